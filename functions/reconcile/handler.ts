import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createSweepStore } from '../../lib/adapters/dynamodb/sweep-store.js';
import { createNotifyingContractStore } from '../../lib/adapters/lambda/notifying-contract-store.js';
import { createAgreementReader } from '../../lib/adapters/marketplace/agreement-reader.js';
import { createAgreementClient, createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { createPacer, pacedAgreements, pacedEntitlements } from '../../lib/adapters/marketplace/pacer.js';
import { DEFAULT_RETRY } from '../../lib/adapters/marketplace/retry.js';
import type { SweepResult } from '../../lib/domain/contract/sweep.js';
import { type ReconcileOptions, reconcileHandler, reconcileMiddlewares } from './create-handler.js';

// Built once per cold start from the environment infra/functions.ts writes.
const logger = new Logger({ serviceName: 'reconcile' });
const documents = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = requireEnv('TABLE_NAME');
const catalog = parseProductCatalog(process.env.PRODUCTS);
const entitlementClient = createEntitlementClient({ endpoint: process.env.MARKETPLACE_ENDPOINT });
// AGREEMENT_API=off (config agreementApi: false): the contracts phase only.
const agreementClient =
  process.env.AGREEMENT_API === 'off'
    ? undefined
    : createAgreementClient({ endpoint: process.env.MARKETPLACE_ENDPOINT });
// Marketplace calls per second for the whole sweep: well inside the APIs' limits, which the
// notifications and setups share (README "Reconciliation sweep").
const ratePerSecond = Number(process.env.SWEEP_CALLS_PER_SECOND ?? '5');
const contracts = createNotifyingContractStore(documents, tableName, logger);
const store = createSweepStore({ client: documents, tableName });

const options: ReconcileOptions = {
  sweep: (remainingMs) => {
    const pace = createPacer(ratePerSecond);
    const retry = { ...DEFAULT_RETRY, remainingMs };
    return {
      catalog,
      contracts,
      entitlements: pacedEntitlements(createEntitlementReader({ client: entitlementClient, retry }), pace),
      ...(agreementClient
        ? { agreements: pacedAgreements(createAgreementReader({ client: agreementClient, retry }), pace) }
        : {}),
      store,
      clock: { now: () => new Date() },
      newRunId: randomUUID,
    };
  },
  logger,
  metricsNamespace: process.env.METRICS_NAMESPACE ?? 'MarketplaceCredits',
};

/** The middy chain: logContext, then the sweep. */
export const handler = middy<unknown, SweepResult, Error, Context>()
  .use(reconcileMiddlewares(options))
  .handler(reconcileHandler(options));

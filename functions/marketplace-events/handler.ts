import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createNotifyingContractStore } from '../../lib/adapters/lambda/notifying-contract-store.js';
import { createAgreementReader } from '../../lib/adapters/marketplace/agreement-reader.js';
import { createAgreementClient, createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { DEFAULT_RETRY } from '../../lib/adapters/marketplace/retry.js';
import {
  batchHandler,
  type MarketplaceEventsOptions,
  marketplaceEventsMiddlewares,
} from './create-handler.js';

// Built once per cold start; a wrong configuration fails here, loudly, before any message is taken.
const entitlementClient = createEntitlementClient({ endpoint: process.env.MARKETPLACE_ENDPOINT });
const agreementClient =
  process.env.AGREEMENT_API === 'off'
    ? undefined
    : createAgreementClient({ endpoint: process.env.MARKETPLACE_ENDPOINT });
const logger = new Logger({ serviceName: 'marketplace-events' });
// A sync that lowers a business's total below its allocations tells its primary user (R9).
const documents = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = requireEnv('TABLE_NAME');

const options: MarketplaceEventsOptions = {
  catalog: parseProductCatalog(process.env.PRODUCTS),
  contracts: createNotifyingContractStore(documents, tableName, logger),
  entitlementsFor: (remainingMs) =>
    createEntitlementReader({ client: entitlementClient, retry: { ...DEFAULT_RETRY, remainingMs } }),
  ...(agreementClient
    ? {
        agreementsFor: (remainingMs: () => number) =>
          createAgreementReader({ client: agreementClient, retry: { ...DEFAULT_RETRY, remainingMs } }),
      }
    : {}),
  clock: { now: () => new Date() },
  logger,
};

/** The middy chain: logContext, then the batch handler (partial batch failures). */
export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  .use(marketplaceEventsMiddlewares(options))
  .handler(batchHandler(options));

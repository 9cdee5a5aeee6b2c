import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createCreditNotices } from '../../lib/adapters/email/credit-notices.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { DEFAULT_RETRY } from '../../lib/adapters/marketplace/retry.js';
import {
  batchHandler,
  type MarketplaceEventsOptions,
  marketplaceEventsMiddlewares,
} from './create-handler.js';

// Built once per cold start; a wrong configuration fails here, loudly, before any message is taken.
const entitlementClient = createEntitlementClient({ endpoint: process.env.MARKETPLACE_ENDPOINT });
const logger = new Logger({ serviceName: 'marketplace-events' });
// A sync that lowers a business's total below its allocations tells its primary user (R9).
const documents = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = requireEnv('TABLE_NAME');
const notices = createCreditNotices({
  businesses: createBusinessDirectory({ client: documents, tableName }),
  mailer: createSesMailer({
    client: createSesClient({ endpoint: process.env.SES_ENDPOINT }),
    from: requireEnv('SENDER_EMAIL'),
  }),
  productName: process.env.PRODUCT_NAME ?? 'our product',
  logger,
});

const options: MarketplaceEventsOptions = {
  catalog: parseProductCatalog(process.env.PRODUCTS),
  contracts: createContractStore({
    client: documents,
    tableName,
    onLedgerTransition: async (ledger, transition) => {
      if (transition === 'became-over-allocated') await notices.overAllocated(ledger);
    },
  }),
  entitlementsFor: (remainingMs) =>
    createEntitlementReader({ client: entitlementClient, retry: { ...DEFAULT_RETRY, remainingMs } }),
  clock: { now: () => new Date() },
  logger,
};

/** The middy chain: logContext, then the batch handler (partial batch failures). */
export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  .use(marketplaceEventsMiddlewares(options))
  .handler(batchHandler(options));

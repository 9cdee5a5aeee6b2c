import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
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

const options: MarketplaceEventsOptions = {
  catalog: parseProductCatalog(process.env.PRODUCTS),
  contracts: createContractStore({
    client: createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT }),
    tableName: requireEnv('TABLE_NAME'),
  }),
  entitlementsFor: (remainingMs) =>
    createEntitlementReader({ client: entitlementClient, retry: { ...DEFAULT_RETRY, remainingMs } }),
  clock: { now: () => new Date() },
  logger: new Logger({ serviceName: 'marketplace-events' }),
};

/** The middy chain: logContext, then the batch handler (partial batch failures). */
export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  .use(marketplaceEventsMiddlewares(options))
  .handler(batchHandler(options));

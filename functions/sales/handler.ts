import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { type SalesEvent, type SalesResult, salesMiddlewares, salesRouter } from './create-handler.js';

// Built once per cold start; a wrong configuration fails here, before any request is served.
const options = {
  reader: createSalesReader({
    client: createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT }),
    tableName: requireEnv('TABLE_NAME'),
  }),
  catalog: parseProductCatalog(process.env.PRODUCTS),
  clock: { now: () => new Date() },
  logger: new Logger({ serviceName: 'sales' }),
};

/** The middy chain: logContext → header normalizer → security headers → errors, then the router. */
export const handler = middy<SalesEvent, SalesResult, Error, Context>()
  .use(salesMiddlewares(options))
  .handler(salesRouter(options));

import { Logger } from '@aws-lambda-powertools/logger';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSalesHandler } from './create-handler.js';

/** The middy chain (create-handler.ts) over this deployment's table, built once per cold start. */
export const handler = createSalesHandler({
  reader: createSalesReader({
    client: createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT }),
    tableName: requireEnv('TABLE_NAME'),
  }),
  catalog: parseProductCatalog(process.env.PRODUCTS),
  clock: { now: () => new Date() },
  logger: new Logger({ serviceName: 'sales' }),
});

import { Logger } from '@aws-lambda-powertools/logger';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSalesHandler } from './create-handler.js';

const tableName = process.env.TABLE_NAME;
if (!tableName) throw new Error('TABLE_NAME is not set');

export const handler = createSalesHandler({
  reader: createSalesReader({
    client: createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT }),
    tableName,
  }),
  catalog: parseProductCatalog(process.env.PRODUCTS),
  clock: { now: () => new Date() },
  logger: new Logger({ serviceName: 'sales' }),
});

import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { cryptoRandomBytes } from '../../lib/adapters/crypto/code-random.js';
import { createBudgetCounter } from '../../lib/adapters/dynamodb/budgets.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createOrderStore } from '../../lib/adapters/dynamodb/order-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createCreditNotices } from '../../lib/adapters/email/credit-notices.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import {
  type LicensesEvent,
  type LicensesOptions,
  type LicensesResult,
  licensesMiddlewares,
  licensesRouter,
} from './create-handler.js';

// Built once per cold start; a wrong configuration fails here, before any request is served.
const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = requireEnv('TABLE_NAME');
const logger = new Logger({ serviceName: 'licenses' });
const businesses = createBusinessDirectory({ client, tableName });
const options: LicensesOptions = {
  catalog: parseProductCatalog(process.env.PRODUCTS),
  ledgers: createLedgerStore({ client, tableName }),
  businesses,
  notices: createCreditNotices({
    businesses,
    mailer: createSesMailer({
      client: createSesClient({ endpoint: process.env.SES_ENDPOINT }),
      from: requireEnv('SENDER_EMAIL'),
    }),
    productName: process.env.PRODUCT_NAME ?? 'our product',
    logger,
  }),
  clock: { now: () => new Date() },
  logger,
  orders: createOrderStore({ client, tableName }),
  budgets: createBudgetCounter({ client, tableName }),
  random: cryptoRandomBytes,
};

/** The middy chain: logContext → header normalizer → security headers → errors, then the router. */
export const handler = middy<LicensesEvent, LicensesResult, Error, Context>()
  .use(licensesMiddlewares(options))
  .handler(licensesRouter(options));

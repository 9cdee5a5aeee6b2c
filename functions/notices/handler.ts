import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import {
  createExpiringLicenses,
  createNoticeClaims,
  refreshLapsedLedgers,
} from '../../lib/adapters/dynamodb/notice-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createCreditNotices } from '../../lib/adapters/email/credit-notices.js';
import { sendSalesDigest } from '../../lib/adapters/email/sales-digest.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { findProductByCode } from '../../lib/domain/product/catalog.js';
import {
  type NoticesOptions,
  type NoticesReport,
  noticesHandler,
  noticesMiddlewares,
} from './create-handler.js';

// Built once per cold start from the environment infra/functions.ts writes.
const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = requireEnv('TABLE_NAME');
const logger = new Logger({ serviceName: 'notices' });
const catalog = parseProductCatalog(process.env.PRODUCTS);
const productCodes = catalog.products.map((p) => p.productCode);
const productName = process.env.PRODUCT_NAME ?? 'our product';
const mailer = createSesMailer({
  client: createSesClient({ endpoint: process.env.SES_ENDPOINT }),
  from: requireEnv('SENDER_EMAIL'),
});
const businesses = createBusinessDirectory({ client, tableName });
const ledgers = createLedgerStore({ client, tableName });
const creditNotices = createCreditNotices({ businesses, mailer, productName, logger });
const salesEmails = (process.env.SALES_EMAILS ?? '').split(',').filter(Boolean);

const options: NoticesOptions = {
  expiry: {
    licenses: createExpiringLicenses({ client, tableName, productCodes }),
    businesses,
    claims: createNoticeClaims({ client, tableName }),
    mailer,
    productName: (code) => findProductByCode(catalog, code)?.name ?? productName,
    consoleUrl: requireEnv('CONSOLE_URL'),
    log: { warn: (message, data) => logger.warn(message, { ...data }) },
  },
  refreshLapsed: (now) =>
    refreshLapsedLedgers({ client, tableName, ledgers, notices: creditNotices, logger }, now),
  ...(salesEmails.length > 0
    ? {
        digest: (now: Date) =>
          sendSalesDigest(
            { client, tableName, mailer, to: salesEmails, productName, productCodes, ledgers },
            now,
          ),
      }
    : {}),
  clock: { now: () => new Date() },
  logger,
};

/** The middy chain: logContext, then the daily run. */
export const handler = middy<ScheduledEvent | Record<string, never>, NoticesReport, Error, Context>()
  .use(noticesMiddlewares(options))
  .handler(noticesHandler(options));

import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { cryptoRandomBytes } from '../../lib/adapters/crypto/code-random.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createBusinessDirectory, jitter } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createSupportStore } from '../../lib/adapters/dynamodb/support/support-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createCreditNotices } from '../../lib/adapters/email/credit-notices.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { codeBook } from '../../lib/domain/support/code-book.js';
import {
  type SupportEvent,
  type SupportOptions,
  type SupportResult,
  supportMiddlewares,
  supportRouter,
} from './create-handler.js';

// Built once per cold start; a wrong configuration fails here, before any request is served.
const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = requireEnv('TABLE_NAME');
const logger = new Logger({ serviceName: 'support' });
const businesses = createBusinessDirectory({ client, tableName });
const options: SupportOptions = {
  store: createSupportStore({ client, tableName }),
  businesses,
  // A transfer can leave the old business over-allocated: its primary user is told (R9).
  notices: createCreditNotices({
    businesses,
    mailer: createSesMailer({
      client: createSesClient({ endpoint: process.env.SES_ENDPOINT }),
      from: requireEnv('SENDER_EMAIL'),
    }),
    productName: process.env.PRODUCT_NAME ?? 'our product',
    logger,
  }),
  codes: codeBook(cryptoRandomBytes),
  clock: { now: () => new Date() },
  newId: () => `sup-${randomBytes(12).toString('base64url')}`,
  pause: jitter,
  logger,
};

/** The middy chain: logContext → header normalizer → security headers → errors, then the router. */
export const handler = middy<SupportEvent, SupportResult, Error, Context>()
  .use(supportMiddlewares(options))
  .handler(supportRouter(options));

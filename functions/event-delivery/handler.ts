import { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createBusinessDirectory } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createSalesNotices } from '../../lib/adapters/email/sales-notices.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { createSqsClient } from '../../lib/adapters/events/clients.js';
import { createSecretSource, createSecretsManagerClient } from '../../lib/adapters/webhooks/secret-source.js';
import { createWebhookSender } from '../../lib/adapters/webhooks/sender.js';
import { DELIVERY_RETRY } from '../../lib/domain/events/delivery.js';
import {
  type EventDeliveryOptions,
  eventDeliveryHandler,
  eventDeliveryMiddlewares,
} from './create-handler.js';

// Built once per cold start from the environment infra/functions.ts writes: a wrong webhook URL fails here.
const logger = new Logger({ serviceName: 'event-delivery' });
const sqs = createSqsClient({ endpoint: process.env.SQS_ENDPOINT });
const queueUrl = requireEnv('DELIVERY_QUEUE_URL');
const salesEmails = (process.env.SALES_EMAILS ?? '').split(',').filter(Boolean);
const webhookUrl = process.env.WEBHOOK_URL;
const client = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = requireEnv('TABLE_NAME');

const options: EventDeliveryOptions = {
  ...(webhookUrl
    ? {
        webhook: createWebhookSender({
          url: webhookUrl,
          keys: createSecretSource({
            client: createSecretsManagerClient({ endpoint: process.env.SECRETS_ENDPOINT }),
            secretId: requireEnv('WEBHOOK_SECRET_ID'),
          }),
        }),
      }
    : {}),
  ...(salesEmails.length > 0
    ? {
        sales: createSalesNotices({
          client,
          tableName,
          mailer: createSesMailer({
            client: createSesClient({ endpoint: process.env.SES_ENDPOINT }),
            from: requireEnv('SENDER_EMAIL'),
          }),
          to: salesEmails,
          productName: process.env.PRODUCT_NAME ?? 'our product',
          businesses: createBusinessDirectory({ client, tableName }),
        }),
      }
    : {}),
  retryLater: async (receiptHandle, seconds) => {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  },
  schedule: {
    ...DELIVERY_RETRY,
    // The local stack retries within seconds so a failing receiver can be watched recover.
    baseSeconds: Number(process.env.DELIVERY_RETRY_BASE_SECONDS) || DELIVERY_RETRY.baseSeconds,
  },
  logger,
};

/** The middy chain: logContext, then the batch handler (partial batch failures, backoff per message). */
export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>()
  .use(eventDeliveryMiddlewares(options))
  .handler(eventDeliveryHandler(options));

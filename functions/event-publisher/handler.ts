import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { requireEnv } from '../../lib/adapters/config/environment.js';
import { createEventBridgeClient, createSqsClient } from '../../lib/adapters/events/clients.js';
import {
  createBusTarget,
  createDeliveryQueueTarget,
  type DeliveryRoute,
} from '../../lib/adapters/events/targets.js';
import { SALES_EVENT_TYPES } from '../../lib/domain/events/delivery.js';
import type { EventTarget } from '../../lib/domain/events/ports.js';
import {
  type EventPublisherOptions,
  eventPublisherHandler,
  eventPublisherMiddlewares,
} from './create-handler.js';

// Built once per cold start from the environment infra/functions.ts writes: each target only when configured.
const logger = new Logger({ serviceName: 'event-publisher' });
const targets: EventTarget[] = [];
if (process.env.EVENT_BUS_NAME) {
  targets.push(
    createBusTarget({
      client: createEventBridgeClient({ endpoint: process.env.EVENTBRIDGE_ENDPOINT }),
      busName: process.env.EVENT_BUS_NAME,
      source: requireEnv('EVENT_SOURCE'),
    }),
  );
}
const routes: DeliveryRoute[] = [
  ...(process.env.WEBHOOK_URL ? [{ target: 'webhook', types: 'all' } as const] : []),
  ...(process.env.SALES_EMAILS ? [{ target: 'sales-mail', types: SALES_EVENT_TYPES } as const] : []),
];
if (routes.length > 0) {
  targets.push(
    createDeliveryQueueTarget({
      client: createSqsClient({ endpoint: process.env.SQS_ENDPOINT }),
      queueUrl: requireEnv('DELIVERY_QUEUE_URL'),
      routes,
    }),
  );
}

const options: EventPublisherOptions = { targets, logger };

/** The middy chain: logContext, then the stream handler (partial batch failures). */
export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>()
  .use(eventPublisherMiddlewares(options))
  .handler(eventPublisherHandler(options));

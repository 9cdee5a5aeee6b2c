import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import { describeIssues } from '../../lib/adapters/validation/messages.js';
import type { OutboundEvent } from '../../lib/domain/events/catalogue.js';
import { DELIVERY_RETRY, type RetrySchedule, retryDelaySeconds } from '../../lib/domain/events/delivery.js';
import { deliveryEnvelopeSchema, deliveryMessageSchema } from './schema.js';

export interface WebhookDelivery {
  deliver(message: {
    id: string;
    body: string;
  }): Promise<{ ok: true; status: number } | { ok: false; status?: number; error: string }>;
}

export interface SalesNotifier {
  /** Mails sales about the event once (idempotent per event id); throws when it could not. */
  notify(event: OutboundEvent): Promise<void>;
}

export interface EventDeliveryOptions {
  /** The seller's endpoint; absent: webhook messages fail (and are kept) until it is configured again. */
  readonly webhook?: WebhookDelivery;
  readonly sales?: SalesNotifier;
  /** Keeps a failed message invisible for `seconds` (ChangeMessageVisibility): the backoff. */
  readonly retryLater: (receiptHandle: string, seconds: number) => Promise<void>;
  readonly schedule?: RetrySchedule;
  readonly logger: Logger;
}

export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

/** A message no retry can mend (not JSON, not our shape): it goes to the DLQ after its receives, without backoff. */
export class MalformedDeliveryError extends DeliveryError {
  override name = 'MalformedDeliveryError';
}

export const eventDeliveryMiddlewares = (options: EventDeliveryOptions) => [logContext(options.logger)];

/**
 * The delivery queue's consumer: a webhook POST or a sales mail per message. A failure keeps
 * the message invisible for the backoff of its receive count (1, 2, 4 … minutes, then every
 * 3 hours), then reports it in `batchItemFailures`; after `maxReceiveCount` receives (about a
 * day) SQS parks it in the DLQ, from where the runbook redrives it.
 */
export function eventDeliveryHandler(options: EventDeliveryOptions) {
  const { logger } = options;
  const schedule = options.schedule ?? DELIVERY_RETRY;
  const processor = new BatchProcessor(EventType.SQS);

  async function deliver(record: SQSRecord): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(record.body);
    } catch {
      throw new MalformedDeliveryError('Delivery message is not JSON');
    }
    const envelope = deliveryEnvelopeSchema.safeParse(json);
    if (!envelope.success)
      throw new MalformedDeliveryError(`Delivery message refused: ${describeIssues(envelope.error)}`);
    const parsed = deliveryMessageSchema.safeParse(json);
    if (!parsed.success) throw new DeliveryError(`Event not understood: ${describeIssues(parsed.error)}`);
    const { target } = parsed.data;
    // The event as parsed (unknown top-level fields dropped): the signed body is its JSON.
    const event = parsed.data.event as OutboundEvent;
    if (target === 'webhook') {
      if (!options.webhook) throw new DeliveryError('No webhook endpoint is configured');
      const result = await options.webhook.deliver({ id: event.id, body: JSON.stringify(event) });
      if (!result.ok) throw new DeliveryError(`Webhook not accepted: ${result.error}`);
      return;
    }
    if (!options.sales) throw new DeliveryError('No sales addresses are configured');
    await options.sales.notify(event);
  }

  async function processRecord(record: SQSRecord): Promise<void> {
    const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
    try {
      await deliver(record);
    } catch (error) {
      // A malformed message is made visible again at once: it reaches the DLQ in seconds, not a day.
      const delay = error instanceof MalformedDeliveryError ? 0 : retryDelaySeconds(receiveCount, schedule);
      const last = receiveCount >= schedule.maxReceiveCount;
      logger[last ? 'error' : 'warn'](
        last
          ? 'Delivery failed for the last time: the message goes to the DLQ'
          : 'Delivery failed: retried later',
        {
          messageId: record.messageId,
          receiveCount,
          retryInSeconds: last ? undefined : delay,
          // Our own errors say what failed; another's message (an SES refusal) can carry an address.
          error:
            error instanceof DeliveryError
              ? `${error.name}: ${error.message}`
              : error instanceof Error
                ? error.name
                : typeof error,
        },
      );
      if (!last) {
        await options.retryLater(record.receiptHandle, delay).catch((e: unknown) => {
          logger.warn('Backoff not set: the queue visibility timeout applies', { error: e as Error });
        });
      }
      throw error;
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    // One at a time: with the mapping's concurrency cap, at most that many POSTs reach the seller's endpoint at once.
    processPartialResponse(event, processRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
      processInParallel: false,
    });
}

/** The chain handler.ts builds, over other dependencies (tests, bench, local stack). */
export const createEventDeliveryHandler = (options: EventDeliveryOptions) =>
  middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(eventDeliveryMiddlewares(options))
    .handler(eventDeliveryHandler(options));

import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  eventDeliveryHandler,
  type WebhookDelivery,
} from '../../../functions/event-delivery/create-handler.js';
import { eventIdOf } from '../../../lib/adapters/events/stream-records.js';
import { contractEvents } from '../../../lib/domain/events/catalogue.js';
import {
  DELIVERY_RETRY,
  deliveryWindowSeconds,
  retryDelaySeconds,
} from '../../../lib/domain/events/delivery.js';
import { lambdaContext } from '../../support/lambda-context.js';
import { auditEntries } from './fixtures.js';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const [event] = contractEvents(auditEntries()['contract.activated'] as never, eventIdOf);

function message(body: unknown, receiveCount = 1, id = 'm-1'): SQSRecord {
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1764669600000',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '1764669600000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:event-delivery',
    awsRegion: 'us-east-1',
  };
}

function harness(answers: ('ok' | 'fail')[]) {
  const delivered: { id: string; body: string }[] = [];
  const backoffs: [string, number][] = [];
  const webhook: WebhookDelivery = {
    async deliver(m) {
      delivered.push(m);
      return answers.shift() === 'fail'
        ? { ok: false, status: 503, error: 'HTTP 503' }
        : { ok: true, status: 204 };
    },
  };
  const handler = eventDeliveryHandler({
    webhook,
    retryLater: async (handle, seconds) => {
      backoffs.push([handle, seconds]);
    },
    logger,
  });
  const run = (...records: SQSRecord[]) =>
    handler({ Records: records } as SQSEvent, lambdaContext() as unknown as Context);
  return { run, delivered, backoffs };
}

describe('delivery retry schedule', () => {
  it('doubles from a minute to three hours and parks a message after about a day', () => {
    expect([1, 2, 3, 8, 9, 13].map((n) => retryDelaySeconds(n))).toEqual([60, 120, 240, 7680, 10800, 10800]);
    const hours = deliveryWindowSeconds() / 3600;
    expect(hours).toBeGreaterThan(20);
    expect(hours).toBeLessThan(26);
  });
});

describe('event delivery handler', () => {
  it('posts the event as it was published, with its id as the webhook id', async () => {
    const h = harness(['ok']);
    const out = await h.run(message({ target: 'webhook', event }));
    expect(out.batchItemFailures).toEqual([]);
    expect(h.delivered[0]?.id).toBe(event?.id);
    expect(h.delivered[0]?.body).toBe(JSON.stringify(event));
  });

  it('keeps a failed delivery invisible for the backoff of its receive count and reports it', async () => {
    const h = harness(['fail']);
    const out = await h.run(message({ target: 'webhook', event }, 3));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(h.backoffs).toEqual([['rh-m-1', 240]]);
  });

  it('lets the last receive go to the DLQ without another backoff', async () => {
    const h = harness(['fail']);
    const out = await h.run(message({ target: 'webhook', event }, DELIVERY_RETRY.maxReceiveCount));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(h.backoffs).toEqual([]);
  });

  it.each([
    ['not JSON', '{"target":', 0],
    ['an unknown target', { target: 'sms', event }, 0],
    ['no event', { target: 'webhook' }, 0],
    // Our envelope, an event not understood: perhaps a newer publisher's, so the normal backoff.
    ['a forged event id', { target: 'webhook', event: { ...event, id: 'evt_../../etc' } }, 60],
    ['an unknown type', { target: 'webhook', event: { ...event, type: 'contract.stolen' } }, 60],
  ])(
    'refuses %s: reported, so it is retried and then dead-lettered, never posted',
    async (_case, body, backoff) => {
      const h = harness(['ok']);
      const out = await h.run(message(body));
      expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
      expect(h.delivered).toEqual([]);
      // No message of ours: visible again at once, so it reaches the DLQ in minutes, not a day.
      expect(h.backoffs).toEqual([['rh-m-1', backoff]]);
    },
  );

  it('signs the event as parsed: a field smuggled next to it is not posted', async () => {
    const h = harness(['ok']);
    await h.run(message({ target: 'webhook', event: { ...event, extra: 'smuggled' } }));
    expect(h.delivered[0]?.body).toBe(JSON.stringify(event));
  });

  it('fails a sales-mail message when no sales address is configured (kept, not dropped)', async () => {
    const h = harness([]);
    const out = await h.run(message({ target: 'sales-mail', event }));
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
  });
});

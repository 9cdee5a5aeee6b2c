import { createHash } from 'node:crypto';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createEventPublisherHandler } from '../functions/event-publisher/create-handler.js';
import { EVENT_STREAM } from '../infra/functions.js';
import { keys } from '../lib/adapters/dynamodb/keys.js';
import { auditRow } from '../lib/adapters/dynamodb/rows.js';
import { createEventBridgeClient, createSqsClient } from '../lib/adapters/events/clients.js';
import { eventsOfRecord } from '../lib/adapters/events/stream-records.js';
import {
  createBusTarget,
  createDeliveryQueueTarget,
  type DeliveryMessage,
  type DeliveryRoute,
} from '../lib/adapters/events/targets.js';
import { createSecretSource, createSecretsManagerClient } from '../lib/adapters/webhooks/secret-source.js';
import { createWebhookSender, type WebhookMessage } from '../lib/adapters/webhooks/sender.js';
import { parseWebhookSecrets, webhookHeaders } from '../lib/adapters/webhooks/signature.js';
import type { AuditEntry } from '../lib/domain/contract/ports.js';
import type { OutboundEvent } from '../lib/domain/events/catalogue.js';
import type { EventTarget } from '../lib/domain/events/ports.js';
import { startEventConsole } from '../local/event-console/index.js';
import { startSqsLocal } from '../local/sqs-local.js';
import { auditEntries, PRODUCT } from '../test/unit/events/fixtures.js';
import { lambdaContext, median, silentLogger } from './support.js';

/** One path measured against its yardstick, rounds alternating. */
export interface PairedRate {
  /** Events each side sent in the timed rounds (warm-up left out). */
  readonly events: number;
  readonly rounds: number;
  /** Ours: events ÷ the summed time of our rounds. */
  readonly perSecond: number;
  /** The yardstick's: the same SDK (or fetch) work, prebuilt, without our code. */
  readonly rawPerSecond: number;
  /** Median of the per-round ratios perSecond ÷ rawPerSecond of neighbouring runs: the goal's figure. */
  readonly ratio: number;
  /** The smallest and largest per-round ratio. */
  readonly ratioRange: readonly [number, number];
}

export interface EventsThroughputResult {
  /** Stream records per publisher invocation (the event source mapping's batch size). */
  readonly batchSize: number;
  /** Publisher → bus target (PutEvents to the event console) vs raw PutEvents of the same entries. */
  readonly bus: PairedRate;
  /** Publisher → delivery queue target (SendMessageBatch to local SQS) vs raw SendMessageBatch of the same bodies. */
  readonly deliveryQueue: PairedRate;
  /** The webhook sender's deliveries vs raw `fetch` POSTs with precomputed headers, to the console's receiver. */
  readonly webhook: PairedRate & { readonly inFlight: number };
}

const BATCH_SIZE = EVENT_STREAM.batchSize;
/** The event console's entries per PutEvents and SQS's per SendMessageBatch, as the targets chunk. */
const CHUNK = 10;
/** Webhook deliveries at once: about what several delivery-function invocations side by side send. */
const IN_FLIGHT = 8;
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const SOURCE = 'marketplace-credits';
const BUS = 'bench-events';
const ROUTES: readonly DeliveryRoute[] = [{ target: 'webhook', types: 'all' }];

/**
 * Events per second out of the event publisher (functions/event-publisher, the middy chain on a
 * Lambda DynamoDB stream event of BATCH_SIZE audit-row INSERTs, one invocation after the other as
 * one shard's poller calls it), each target on its own, and of the webhook sender, each paired
 * with a yardstick doing the same SDK work without our code on the same client and the same
 * local receiver:
 * - bus: the publisher with the bus target against PutEvents of the same entries (built as the
 *   target builds them, before the clock starts), CHUNK at a time, one after the other;
 * - delivery queue: the publisher with the delivery-queue target (a webhook route) against
 *   SendMessageBatch of the same bodies;
 * - webhook: `createWebhookSender(…).deliver` (keys from the cached Secrets Manager source, as the
 *   delivery function has them) against `fetch` POSTs of the same bodies with headers signed
 *   before the clock starts, IN_FLIGHT at once.
 * Our side decodes the stream records, builds the events (ids hashed), logs (silently) and
 * chunks; that is what the ratio prices. Rounds alternate (the yardstick first in even rounds)
 * after a warm-up of each; the event console's log is cleared between
 * rounds, untimed (the queue is not: see `between`).
 */
export async function measureEventsThroughput({
  batches,
  rounds,
}: {
  /** Batches of BATCH_SIZE records per round and side (webhook: as many events). */
  batches: number;
  rounds: number;
}): Promise<EventsThroughputResult> {
  const [console, sqs] = await Promise.all([
    startEventConsole({ port: 0, webhookSecret: WEBHOOK_SECRET }),
    startSqsLocal(),
  ]);
  const eventBridge = createEventBridgeClient({ endpoint: console.url });
  const sqsClient = createSqsClient({ endpoint: sqs.endpoint });
  try {
    const { QueueUrl: queueUrl } = await sqsClient.send(
      new CreateQueueCommand({ QueueName: 'bench-delivery' }),
    );
    if (!queueUrl) throw new Error('local SQS made no queue');
    const streamBatches = Array.from({ length: (rounds + 1) * batches }, (_, b) =>
      Array.from({ length: BATCH_SIZE }, (_, i) => auditRecord(b * BATCH_SIZE + i)),
    );
    // SQS allows one PurgeQueue a minute, so the queue keeps what both sides sent; the
    // alternating order (yardstick first, then ours first) spreads its growth evenly.
    const between = async () => console.clear();

    const bus = await pair({
      batches,
      rounds,
      between,
      ours: publisher(createBusTarget({ client: eventBridge, busName: BUS, source: SOURCE }), streamBatches),
      raw: rawPutEvents(eventBridge, streamBatches),
    });
    const deliveryQueue = await pair({
      batches,
      rounds,
      between,
      ours: publisher(
        createDeliveryQueueTarget({ client: sqsClient, queueUrl, routes: ROUTES }),
        streamBatches,
      ),
      raw: rawSendMessageBatch(sqsClient, queueUrl, streamBatches),
    });

    const secrets = createSecretsManagerClient({ endpoint: console.url });
    const sender = createWebhookSender({
      url: console.webhookUrl,
      keys: createSecretSource({ client: secrets, secretId: 'bench-webhook' }),
    });
    const messages = streamBatches.map((batch) =>
      eventsOf(batch).map((event): WebhookMessage => ({ id: event.id, body: JSON.stringify(event) })),
    );
    const signingKeys = parseWebhookSecrets(WEBHOOK_SECRET);
    let refused = 0;
    const webhook = await pair({
      batches,
      rounds,
      between,
      ours: async (from, to) => {
        const sent = messages.slice(from, to).flat();
        await pool(sent, async (message) => {
          if (!(await sender.deliver(message)).ok) refused++;
        });
        return sent.length;
      },
      raw: async (from, to) => {
        // Signed just before its round (webhook-timestamp must be within 5 minutes), untimed.
        const signed = messages
          .slice(from, to)
          .flat()
          .map((m) => ({ body: m.body, headers: webhookHeaders(signingKeys, m.id, new Date(), m.body) }));
        return async () => {
          await pool(signed, async ({ body, headers }) => {
            const response = await fetch(console.webhookUrl, {
              method: 'POST',
              headers,
              body,
              redirect: 'manual',
            });
            await response.arrayBuffer();
            if (!response.ok) refused++;
          });
          return signed.length;
        };
      },
    });
    secrets.destroy();
    if (refused > 0) throw new Error(`${refused} webhook deliveries were refused: no honest rate to report`);
    return { batchSize: BATCH_SIZE, bus, deliveryQueue, webhook: { ...webhook, inFlight: IN_FLIGHT } };
  } finally {
    eventBridge.destroy();
    sqsClient.destroy();
    await Promise.allSettled([console.stop(), sqs.close()]);
  }
}

/**
 * Runs batches [from, to) and answers the events sent. A side may instead answer a function
 * that does the timed part: what it did before is preparation, not measured.
 */
type Side = (from: number, to: number) => Promise<number | (() => Promise<number>)>;

/** Warm-up (the first `batches`), then `rounds` alternating rounds of `batches` each, timed. */
async function pair({
  batches,
  rounds,
  between,
  ours,
  raw,
}: {
  batches: number;
  rounds: number;
  between: () => Promise<void>;
  ours: Side;
  raw: Side;
}): Promise<PairedRate> {
  const time = async (side: Side, from: number, to: number): Promise<{ ms: number; events: number }> => {
    await between();
    const start = performance.now();
    const result = await side(from, to);
    if (typeof result === 'number') return { ms: performance.now() - start, events: result };
    const prepared = performance.now();
    const events = await result();
    return { ms: performance.now() - prepared, events };
  };
  await time(ours, 0, batches);
  await time(raw, 0, batches);
  let oursMs = 0;
  let rawMs = 0;
  let events = 0;
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const from = (round + 1) * batches;
    const to = from + batches;
    let a = { ms: 0, events: 0 };
    let b = { ms: 0, events: 0 };
    if (round % 2 === 0) {
      b = await time(raw, from, to);
      a = await time(ours, from, to);
    } else {
      a = await time(ours, from, to);
      b = await time(raw, from, to);
    }
    if (a.events !== b.events) throw new Error(`ours sent ${a.events} events, the yardstick ${b.events}`);
    oursMs += a.ms;
    rawMs += b.ms;
    events += a.events;
    ratios.push(b.ms / a.ms);
  }
  const perSecond = events / (oursMs / 1000);
  const rawPerSecond = events / (rawMs / 1000);
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    events,
    rounds,
    perSecond: Math.round(perSecond),
    rawPerSecond: Math.round(rawPerSecond),
    ratio: r3(median(ratios)),
    ratioRange: [r3(Math.min(...ratios)), r3(Math.max(...ratios))],
  };
}

/** The publisher handler as functions/event-publisher/handler.ts wires it, with one target. */
function publisher(target: EventTarget, streamBatches: readonly DynamoDBRecord[][]): Side {
  const handler = createEventPublisherHandler({ targets: [target], logger: silentLogger('event-publisher') });
  return async (from, to) => {
    let events = 0;
    for (const batch of streamBatches.slice(from, to)) {
      const out = await handler({ Records: batch } satisfies DynamoDBStreamEvent, lambdaContext());
      if (out.batchItemFailures.length > 0)
        throw new Error(`The publisher failed from ${out.batchItemFailures[0]?.itemIdentifier}`);
      events += batch.length;
    }
    return events;
  };
}

/** The yardstick of the bus target: PutEvents of prebuilt entries, CHUNK at a time, in order. */
function rawPutEvents(client: EventBridgeClient, streamBatches: readonly DynamoDBRecord[][]): Side {
  return async (from, to) => {
    const entries = streamBatches.slice(from, to).map((batch) =>
      eventsOf(batch).map(
        (event): PutEventsRequestEntry => ({
          EventBusName: BUS,
          Source: SOURCE,
          DetailType: event.type,
          Detail: JSON.stringify(event),
          Time: new Date(event.timestamp),
        }),
      ),
    );
    return async () => {
      let events = 0;
      for (const batch of entries)
        for (const chunk of chunks(batch)) {
          const out = await client.send(new PutEventsCommand({ Entries: chunk }));
          if (out.FailedEntryCount) throw new Error(`${out.FailedEntryCount} raw entries refused`);
          events += chunk.length;
        }
      return events;
    };
  };
}

/** The yardstick of the delivery-queue target: SendMessageBatch of prebuilt bodies, CHUNK at a time, in order. */
function rawSendMessageBatch(
  client: SQSClient,
  queueUrl: string,
  streamBatches: readonly DynamoDBRecord[][],
): Side {
  return async (from, to) => {
    const bodies = streamBatches
      .slice(from, to)
      .map((batch) =>
        eventsOf(batch).map((event) =>
          JSON.stringify({ target: 'webhook', event } satisfies DeliveryMessage),
        ),
      );
    return async () => {
      let events = 0;
      for (const batch of bodies)
        for (const chunk of chunks(batch)) {
          const Entries = chunk.map(
            (MessageBody, i): SendMessageBatchRequestEntry => ({ Id: String(i), MessageBody }),
          );
          const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
          if (out.Failed?.length) throw new Error(`${out.Failed.length} raw messages refused`);
          events += chunk.length;
        }
      return events;
    };
  };
}

/** `items` through `act`, IN_FLIGHT at a time. */
async function pool<T>(items: readonly T[], act: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await act(item);
      }
    }),
  );
}

function chunks<T>(items: readonly T[]): T[][] {
  return Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) =>
    items.slice(i * CHUNK, i * CHUNK + CHUNK),
  );
}

/** A batch's events as the publisher makes them (outside the clock, for the yardsticks). */
function eventsOf(batch: readonly DynamoDBRecord[]): OutboundEvent[] {
  return batch.flatMap((record) => eventsOfRecord(record));
}

/**
 * The `n`-th stream record: an audit row's INSERT as Lambda delivers it (as
 * test/unit/events/publish.test.ts builds them), each of its own contract, cycling through the
 * kinds of change a book of contracts mostly sees (test/unit/events/fixtures.ts's entries).
 */
function auditRecord(n: number): DynamoDBRecord {
  const contractId = `${PRODUCT}~L~l-${createHash('md5').update(String(n)).digest('hex')}`;
  const entry = auditEntry(contractId, n % KINDS);
  const key = keys.audit(entry.contractId, entry.version);
  return {
    eventID: `id-${n}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall(key) as never,
      NewImage: marshall(auditRow(entry), { removeUndefinedValues: true }) as never,
      SequenceNumber: String(1_000_000 + n),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const KINDS = 5;

/** The fixtures' audit entries (one per kind of change), moved to this contract. */
const ENTRIES: readonly AuditEntry[] = Object.values(auditEntries()).slice(0, KINDS);

function auditEntry(contractId: string, kind: number): AuditEntry {
  const entry = ENTRIES[kind % ENTRIES.length];
  if (!entry) throw new Error('no fixture entries');
  return { ...entry, contractId };
}

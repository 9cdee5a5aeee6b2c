import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventType, OutboundEvent } from '../../domain/events/catalogue.js';
import type { EventTarget } from '../../domain/events/ports.js';

/** Both APIs take 10 entries and 256 KB per call. */
const MAX_ENTRIES = 10;
const MAX_BYTES = 256 * 1024;
/** Tries of the entries a call refused (throttled, internal failure), with a short pause between. */
const ENTRY_ATTEMPTS = 3;

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * Math.random()));

/** Chunks of at most 10 entries and 256 KB, in order. */
function chunks<T>(items: readonly T[], size: (item: T) => number): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length === MAX_ENTRIES || (current.length > 0 && bytes + n > MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Sends entries in chunks; an entry a call refused is sent again (up to 3 tries), a call that
 * fails outright (after the SDK's retries) fails its chunk. Answers the keys not sent.
 */
async function sendAll<T extends { key: string; bytes: number }>(
  entries: readonly T[],
  send: (chunk: readonly T[]) => Promise<readonly T[]>,
): Promise<Set<string>> {
  const failed = new Set<string>();
  for (const chunk of chunks(entries, (e) => e.bytes)) {
    let pending: readonly T[] = chunk;
    for (let attempt = 1; pending.length > 0 && attempt <= ENTRY_ATTEMPTS; attempt++) {
      if (attempt > 1) await pause(attempt);
      try {
        pending = await send(pending);
      } catch {
        if (attempt === ENTRY_ATTEMPTS) break;
      }
    }
    for (const entry of pending) failed.add(entry.key);
  }
  return failed;
}

export interface BusTargetOptions {
  readonly client: EventBridgeClient;
  readonly busName: string;
  /** The events' `source` (rules match on it), e.g. `marketplace-credits`. */
  readonly source: string;
}

/** The stack's EventBridge bus: DetailType is the event type, Detail the event itself. */
export function createBusTarget({ client, busName, source }: BusTargetOptions): EventTarget {
  return {
    name: 'bus',
    async publish(events) {
      const entries = events.map((event) => {
        const entry: PutEventsRequestEntry = {
          EventBusName: busName,
          Source: source,
          DetailType: event.type,
          Detail: JSON.stringify(event),
          Time: new Date(event.timestamp),
        };
        return { key: event.id, bytes: Buffer.byteLength(entry.Detail ?? '') + 200, entry };
      });
      return sendAll(entries, async (chunk) => {
        const out = await client.send(new PutEventsCommand({ Entries: chunk.map((c) => c.entry) }));
        // Results are in the order of the entries; an ErrorCode means that one was not put.
        return chunk.filter((_, i) => out.Entries?.[i]?.ErrorCode || !out.Entries?.[i]?.EventId);
      });
    },
  };
}

/** A target the delivery function serves from the queue, and the events it wants. */
export interface DeliveryRoute {
  readonly target: 'webhook' | 'sales-mail';
  readonly types: ReadonlySet<EventType> | 'all';
}

/** What the delivery queue's messages hold. */
export interface DeliveryMessage {
  readonly target: DeliveryRoute['target'];
  readonly event: OutboundEvent;
}

export interface DeliveryQueueTargetOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly routes: readonly DeliveryRoute[];
}

/**
 * The delivery queue: one message per event and target, so a webhook endpoint that is down
 * for hours holds back neither the stream nor the sales mails (each message has its own retries).
 */
export function createDeliveryQueueTarget({
  client,
  queueUrl,
  routes,
}: DeliveryQueueTargetOptions): EventTarget {
  return {
    name: 'delivery-queue',
    async publish(events) {
      const entries = events.flatMap((event) =>
        routes
          .filter((route) => route.types === 'all' || route.types.has(event.type))
          .map((route) => {
            const body = JSON.stringify({ target: route.target, event } satisfies DeliveryMessage);
            return { key: event.id, bytes: Buffer.byteLength(body), body };
          }),
      );
      return sendAll(entries, async (chunk) => {
        const batch: SendMessageBatchRequestEntry[] = chunk.map((c, i) => ({
          Id: String(i),
          MessageBody: c.body,
        }));
        const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch }));
        const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
        return chunk.filter((_, i) => failedIds.has(String(i)));
      });
    },
  };
}

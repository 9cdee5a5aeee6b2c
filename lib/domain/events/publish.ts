import type { OutboundEvent } from './catalogue.js';
import type { EventTarget } from './ports.js';

/** The events of one stream record, with the record's place in its shard. */
export interface RecordEvents {
  readonly sequenceNumber: string;
  readonly events: readonly OutboundEvent[];
}

export interface PublishOutcome {
  readonly published: number;
  /** The first record with an event some target refused: it and every later record are retried. */
  readonly failedFrom?: string;
  /** Target name → event ids it refused. */
  readonly failures: Readonly<Record<string, readonly string[]>>;
}

/**
 * Publishes a batch's events to every target, the targets at once. A record counts as done
 * only when each target took all its events; from the first record that is not done the
 * stream delivers again (in order), so later records' events that did go out go out again
 * with the same ids: at least once, never dropped, duplicates dropped by id downstream.
 */
export async function publishRecords(
  records: readonly RecordEvents[],
  targets: readonly EventTarget[],
): Promise<PublishOutcome> {
  const events = records.flatMap((record) => record.events);
  if (events.length === 0 || targets.length === 0) return { published: events.length, failures: {} };
  const refused = await Promise.all(
    targets.map(async (target) => {
      try {
        return [target.name, [...(await target.publish(events))]] as const;
      } catch {
        return [target.name, events.map((event) => event.id)] as const;
      }
    }),
  );
  const failed = new Set(refused.flatMap(([, ids]) => ids));
  const first = records.find((record) => record.events.some((event) => failed.has(event.id)));
  const failures = Object.fromEntries(refused.filter(([, ids]) => ids.length > 0));
  return first
    ? { published: events.length - failed.size, failedFrom: first.sequenceNumber, failures }
    : { published: events.length, failures };
}

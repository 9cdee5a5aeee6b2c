/**
 * History entries: the audit trail of changes that are not a contract version (an order
 * imported or registered, a license moved between businesses, a code replaced). Each is
 * written beside what it is about, in the same transaction as the change, and its insert is
 * the outbox of the event it names, as a contract's audit entry is for contract events.
 */

/** What a history entry records; also the event's subject. */
export type HistoryType = 'order-imported' | 'order-registered' | 'license-transferred' | 'code-replaced';

/** The events history entries publish (one per entry, or none). */
export const HISTORY_EVENT_TYPES = [
  'order.imported',
  'order.registered',
  'license.transferred',
  'code.replaced',
] as const;

export type HistoryEventType = (typeof HISTORY_EVENT_TYPES)[number];

export interface HistoryEntry {
  readonly entity: 'history';
  readonly type: HistoryType;
  /** Unique within its partition with `at`: the write's own id (an order revision, a transfer id). */
  readonly entryId: string;
  readonly at: string;
  /** Who did it: a support caller's identity, `buyer:<businessId>`, `import:<caller>`. */
  readonly by: string;
  /** Support operations carry why and the ticket they answer (R3). */
  readonly reason?: string;
  readonly ticket?: string;
  /** What changed, for the trail (may name an email: the trail is not an event). */
  readonly details: Readonly<Record<string, unknown>>;
  /** The event this entry publishes: never an email address or a code. */
  readonly event?: { readonly type: HistoryEventType; readonly data: Readonly<Record<string, unknown>> };
}

/** What the event console keeps of each event that reached it. */

/** An entry EventBridge PutEvents accepted. */
export interface BusEvent {
  readonly via: 'bus';
  /** EventBusName as sent (a name or an ARN). */
  readonly bus: string;
  readonly source: string;
  /** The event's type (`contract.activated`). */
  readonly detailType: string;
  /** The entry's Time, or when it arrived if it had none (ISO). */
  readonly time: string;
  /** The event's own `id` (in Detail), when it has one. */
  readonly id: string | undefined;
  /** The EventId the stand-in answered with. */
  readonly eventId: string;
  /** Detail, as sent. */
  readonly body: string;
  readonly receivedAt: string;
}

/** A delivery attempt at the webhook receiver, whatever it was answered. */
export interface WebhookDelivery {
  readonly via: 'webhook';
  readonly verified: boolean;
  /** Why the signature check failed. */
  readonly reason?: string;
  /** The event's own `id` from the body, else the `webhook-id` header. */
  readonly id: string | undefined;
  readonly webhookId: string | undefined;
  /** The event's `type` from the body. */
  readonly type: string | undefined;
  /** What the receiver answered: 204 verified, 401 not, 503 when a failure was injected. */
  readonly status: number;
  readonly injectedFailure: boolean;
  readonly body: string;
  readonly receivedAt: string;
}

export type ReceivedEvent = BusEvent | WebhookDelivery;

/** A local page, not a database: the oldest go first past this many. */
export const MAX_KEPT_EVENTS = 1000;

export interface EventLog {
  add(event: ReceivedEvent): void;
  /** In arrival order, oldest first. */
  all(): readonly ReceivedEvent[];
  clear(): void;
}

export function createEventLog(max = MAX_KEPT_EVENTS): EventLog {
  let events: ReceivedEvent[] = [];
  return {
    add(event) {
      events.push(event);
      if (events.length > max) events = events.slice(events.length - max);
    },
    all: () => [...events],
    clear() {
      events = [];
    },
  };
}

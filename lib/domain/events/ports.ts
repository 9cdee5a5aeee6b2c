import type { OutboundEvent } from './catalogue.js';

/** Where events go: the stack's EventBridge bus, the delivery queue (webhooks, sales mails). */
export interface EventTarget {
  readonly name: string;
  /** Publishes the events in order; answers the ids it could not publish (they are retried). */
  publish(events: readonly OutboundEvent[]): Promise<ReadonlySet<string>>;
}

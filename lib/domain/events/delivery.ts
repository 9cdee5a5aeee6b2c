import type { EventType } from './catalogue.js';

/** The events sales is mailed about (R-less: the seller's own follow-up): activations and cancellations. */
export const SALES_EVENT_TYPES: ReadonlySet<EventType> = new Set([
  'contract.activated',
  'contract.cancelled',
]);

/**
 * How the delivery queue retries a webhook or a mail: after the n-th failed receive the message
 * stays invisible for 60 s × 2ⁿ⁻¹, at most 3 hours, so a receiver that is down is tried again
 * at 1, 2, 4 … 128 minutes and then every 3 hours; the 15th failed receive moves it to the DLQ,
 * about 22 hours after the first (`deliveryWindowSeconds`).
 */
export const DELIVERY_RETRY = {
  baseSeconds: 60,
  maxSeconds: 3 * 60 * 60,
  maxReceiveCount: 15,
} as const;

export interface RetrySchedule {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
  readonly maxReceiveCount: number;
}

/** Seconds the message stays invisible after its `receiveCount`-th failed receive. */
export function retryDelaySeconds(receiveCount: number, schedule: RetrySchedule = DELIVERY_RETRY): number {
  const n = Math.max(1, Math.floor(receiveCount));
  return Math.min(schedule.maxSeconds, schedule.baseSeconds * 2 ** Math.min(n - 1, 30));
}

/** From the first attempt to the DLQ: the sum of the pauses between the receives. */
export function deliveryWindowSeconds(schedule: RetrySchedule = DELIVERY_RETRY): number {
  let total = 0;
  for (let n = 1; n < schedule.maxReceiveCount; n++) total += retryDelaySeconds(n, schedule);
  return total;
}

import * as z from 'zod/mini';
import { EVENT_TYPES, EVENT_VERSION } from '../../lib/domain/events/catalogue.js';
import '../../lib/adapters/validation/messages.js';

/**
 * The envelope alone: a message that fails this is no message of ours (no retry can mend it).
 * One that passes it but not the full schema may be of a newer publisher (a new event type
 * during a deploy): it keeps the normal backoff.
 */
export const deliveryEnvelopeSchema = z.object({
  target: z.enum(['webhook', 'sales-mail']),
  event: z.object({ id: z.string() }),
});

/** What the publisher puts on the delivery queue (lib/adapters/events/targets.ts `DeliveryMessage`). */
export const deliveryMessageSchema = z.object({
  target: z.enum(['webhook', 'sales-mail']),
  event: z.object({
    id: z.string().check(z.regex(/^evt_[A-Za-z0-9_-]{24}$/, 'an event id such as evt_…')),
    type: z.enum(EVENT_TYPES),
    version: z.literal(EVENT_VERSION),
    timestamp: z.iso.datetime(),
    data: z.record(z.string(), z.unknown()),
  }),
});

export type ParsedDeliveryMessage = z.infer<typeof deliveryMessageSchema>;

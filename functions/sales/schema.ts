import * as z from 'zod/mini';
import { CONTRACT_STATUSES } from '../../lib/adapters/dynamodb/sales-reader.js';
import '../../lib/adapters/validation/messages.js';

const limit = z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(1), z.maximum(100))), 50);
const cursor = z.optional(
  z.string().check(z.maxLength(4000), z.regex(/^[A-Za-z0-9_-]*$/, 'an opaque cursor from a previous page')),
);
const format = z.optional(z.enum(['json', 'csv', 'html']));

export const contractsQuerySchema = z.object({
  status: z.optional(z.enum(CONTRACT_STATUSES as [string, ...string[]])),
  product: z.optional(z.string().check(z.maxLength(255))),
  expiringBefore: z.optional(
    z.pipe(
      z.string().check(
        z.maxLength(40),
        z.refine((s) => !Number.isNaN(Date.parse(s)), 'a date such as 2027-01-31'),
      ),
      z.transform((s: string) => new Date(s).toISOString()),
    ),
  ),
  business: z.optional(z.string().check(z.maxLength(100))),
  freeTrial: z.optional(
    z.pipe(
      z.enum(['true', 'false']),
      z.transform((v) => v === 'true'),
    ),
  ),
  limit,
  cursor,
  format,
});

export const setupsQuerySchema = z.object({
  state: z._default(z.enum(['open', 'expired']), 'open'),
  limit,
  cursor,
  format,
});

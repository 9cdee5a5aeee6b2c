import * as z from 'zod/mini';
import { CONTRACT_STATUSES } from '../../lib/adapters/dynamodb/sales-reader.js';
import { BUSINESS_ID } from '../../lib/domain/setup/model.js';
import '../../lib/adapters/validation/messages.js';

// Every query is a strict object: a parameter the route does not know (a typo such as
// `?statuss=active`) is a 400, never silently ignored into a wider answer.

const limit = z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(1), z.maximum(100))), 50);
const cursor = z.optional(
  z.string().check(z.maxLength(4000), z.regex(/^[A-Za-z0-9_-]*$/, 'an opaque cursor from a previous page')),
);
const format = z.optional(z.enum(['json', 'csv', 'html']));

/** Business ids exactly as the setup makes them (lib/domain/setup/model.ts); anything else is refused before a read. */
export const businessIdSchema = z.string().check(z.regex(BUSINESS_ID, 'a business id such as biz-Xq3v…'));

export const contractsQuerySchema = z.strictObject({
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

export const setupsQuerySchema = z.strictObject({
  state: z._default(z.enum(['open', 'expired']), 'open'),
  limit,
  cursor,
  format,
});

/** `/businesses` lists only the over-allocated ones (there is no listing of every business). */
export const businessesQuerySchema = z.strictObject({
  overAllocated: z.optional(z.enum(['true'])),
  limit,
  format,
});

/** One contract, one business, the summary: nothing but the format. */
export const detailQuerySchema = z.strictObject({ format });

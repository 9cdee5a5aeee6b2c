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

/** yes / no / any (true / false accepted too); `any` is no filter. */
const yesNoAny = z.optional(
  z.pipe(
    z.enum(['true', 'false', 'yes', 'no', 'any']),
    z.transform((v) => (v === 'any' ? undefined : v === 'true' || v === 'yes')),
  ),
);

/** A day (`2027-01-31`, the start of that day in UTC) or an instant with its zone. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** The contract list's filters: the same for the page, its JSON and its CSV download. */
const contractFilters = {
  status: z.optional(z.enum(CONTRACT_STATUSES as [string, ...string[]])),
  product: z.optional(z.string().check(z.maxLength(255))),
  expiringBefore: z.optional(
    z.pipe(
      z.string().check(
        z.maxLength(40),
        z.refine((s) => ISO_DATE.test(s) && !Number.isNaN(Date.parse(s)), 'a date such as 2027-01-31'),
      ),
      z.transform((s: string) => new Date(s).toISOString()),
    ),
  ),
  business: z.optional(
    z.string().check(z.maxLength(100), z.regex(/^[\x21-\x7e]+$/, 'a business id such as biz-Xq3v…')),
  ),
  freeTrial: yesNoAny,
  autoRenew: yesNoAny,
  /** A 12-digit AWS account id, or a piece of a business name (any case). */
  q: z.optional(
    z.pipe(
      z.string().check(
        z.maxLength(100, 'at most 100 characters: an AWS account id or a piece of a business name'),
        z.refine(
          (s) => ![...s].some((ch) => ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127),
          'text without control characters',
        ),
      ),
      z.transform((s: string) => s.trim()),
    ),
  ),
};

/** The names an HTML form may send empty (a select's `any`, an empty box): empty means no filter. */
export const BLANKABLE_FILTERS: ReadonlySet<string> = new Set(Object.keys(contractFilters));

export const contractsQuerySchema = z.strictObject({ ...contractFilters, limit, cursor, format });

/** The CSV download of a list: its filters, and a cursor to go on where a capped download stopped. */
export const contractsCsvQuerySchema = z.strictObject({ ...contractFilters, cursor });

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

import * as z from 'zod/mini';
import { MAX_LICENSE_CREDITS, MAX_UNITS } from '../../lib/domain/credits/use-cases.js';
import { MAX_ORDER_LINES, ORDER_ID, ORDER_STATES } from '../../lib/domain/orders/model.js';
import { BUSINESS_ID } from '../../lib/domain/setup/model.js';
import '../../lib/adapters/validation/messages.js';

/** Business ids as the setup makes them (lib/domain/setup/model.ts); anything else is refused before a read. */
export const businessIdSchema = z.string().check(z.regex(BUSINESS_ID, 'a business id such as biz-Xq3v…'));
export const serviceIdSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a service id like endpoint-security'));

const units = z.number().check(z.int(), z.minimum(0), z.maximum(MAX_UNITS));

export const allocationBodySchema = z.strictObject({ units });

export const estimateBodySchema = z.strictObject({
  lines: z.array(z.strictObject({ service: serviceIdSchema, units })).check(z.minLength(1), z.maxLength(100)),
});

/** An instant with its zone (`Z` or an offset), so a date means the same instant everywhere; a day that does not exist (30 February, hour 24) is refused, not rolled over. */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;
const instant = z.string().check(
  z.maxLength(40),
  z.regex(INSTANT, 'an ISO 8601 instant such as 2027-03-31T23:59:59Z'),
  z.refine((s) => {
    const [, y, m, d] = INSTANT.exec(s) ?? [];
    const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
    return (
      day.getUTCFullYear() === Number(y) &&
      day.getUTCMonth() === Number(m) - 1 &&
      day.getUTCDate() === Number(d)
    );
  }, 'a day that exists'),
);

const text = (max: number) =>
  z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(max),
      z.regex(/^[^\p{Cc}\p{Cf}]*$/u, 'text without control or hidden characters'),
    );

/** Order ids as the vendor's systems name them (lib/domain/orders/model.ts ORDER_ID). */
export const orderIdSchema = z
  .string()
  .check(z.regex(ORDER_ID, 'an order id of letters, digits and . _ : - (at most 64)'));

/** An order from another channel (R12): the buyer's company and its lines. */
export const orderBodySchema = z.strictObject({
  orderId: orderIdSchema,
  company: z.strictObject({
    name: text(200),
    email: z.optional(
      z
        .string()
        .check(z.maxLength(254), z.regex(/^[^\s@\p{Cc}\p{Cf}]+@[^\s@\p{Cc}\p{Cf}]+$/u, 'an email address')),
    ),
    country: z.optional(z.string().check(z.regex(/^[A-Z]{2}$/, 'an ISO 3166 country code such as DE'))),
  }),
  lines: z
    .array(
      z.strictObject({
        productCode: z.string().check(z.minLength(1), z.maxLength(255)),
        service: serviceIdSchema,
        credits: z.optional(z.number().check(z.int(), z.positive(), z.maximum(MAX_LICENSE_CREDITS))),
        units: z.optional(z.number().check(z.int(), z.positive(), z.maximum(MAX_UNITS))),
        startsAt: z.optional(instant),
        expiresAt: instant,
      }),
    )
    .check(z.minLength(1), z.maxLength(MAX_ORDER_LINES)),
});

export const orderListQuerySchema = z.strictObject({
  state: z.optional(z.enum(ORDER_STATES)),
  limit: z.optional(z.string().check(z.regex(/^(?:[1-9]\d?|100)$/, 'a whole number from 1 to 100'))),
  cursor: z.optional(z.string().check(z.maxLength(400))),
});

/** A code to look up (R11), and the end client the product asks for (its budget's key). */
export const codeLookupBodySchema = z.strictObject({
  code: z.string().check(z.maxLength(80)),
  client: z.optional(
    z.string().check(z.regex(/^[\x21-\x7e]{1,100}$/, 'at most 100 visible ASCII characters')),
  ),
});

export const directLicenseBodySchema = z.strictObject({
  reference: z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/,
        'a reference of letters, digits and . _ : / - (at most 128)',
      ),
    ),
  productCode: z.string().check(z.minLength(1), z.maxLength(255)),
  credits: z.number().check(z.int(), z.positive(), z.maximum(MAX_LICENSE_CREDITS)),
  expiresAt: instant,
  description: z.optional(
    z
      .string()
      .check(z.maxLength(200), z.regex(/^[^\p{Cc}\p{Cf}]*$/u, 'text without control or hidden characters')),
  ),
});

export const emailQuerySchema = z.strictObject({
  email: z.string().check(z.maxLength(254), z.regex(/^[^\s@]+@[^\s@]+$/, 'an email address')),
});

import * as z from 'zod/mini';
import { MAX_LICENSE_CREDITS, MAX_UNITS } from '../../lib/domain/credits/use-cases.js';
import '../../lib/adapters/validation/messages.js';

/** Business ids as the setup makes them (`biz-` and a URL-safe token); anything else is refused before a read. */
export const businessIdSchema = z
  .string()
  .check(z.regex(/^biz-[A-Za-z0-9_-]{1,64}$/, 'a business id like biz-…'));
export const serviceIdSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a service id like endpoint-security'));

const units = z.number().check(z.int(), z.minimum(0), z.maximum(MAX_UNITS));

export const allocationBodySchema = z.strictObject({ units });

export const estimateBodySchema = z.strictObject({
  lines: z.array(z.strictObject({ service: serviceIdSchema, units })).check(z.minLength(1), z.maxLength(100)),
});

/** An instant with its zone (`Z` or an offset), so a date means the same instant everywhere. */
const instant = z.string().check(
  z.maxLength(40),
  z.regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/,
    'an ISO 8601 instant such as 2027-03-31T23:59:59Z',
  ),
  z.refine((s) => !Number.isNaN(Date.parse(s)), 'a real date'),
);

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

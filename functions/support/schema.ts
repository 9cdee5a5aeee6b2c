import * as z from 'zod/mini';
import { BUSINESS_ID } from '../../lib/domain/setup/model.js';
import '../../lib/adapters/validation/messages.js';

/**
 * What support may send (R3, R11): strict bodies, every id checked by pattern before any read,
 * so a forged id (a `#` that would reach another key, an extra `~`) is a 400 and reads nothing.
 */

/**
 * A contract id (`<productCode>~L~l-…` or, for a legacy customer, `<productCode>~C~<customer>`),
 * or `direct~<reference>` for a license from another channel (an order line's reference is
 * `order~<orderId>~<lineNo>`). No `#` anywhere: keys are built from these.
 */
export const CONTRACT_LICENSE =
  /^[-a-zA-Z0-9/=:_.@]{1,255}~(?:L~l-[0-9a-zA-Z]{1,64}|C~[A-Za-z0-9_-]{1,255})$/;
export const DIRECT_LICENSE =
  /^direct~(?:[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}|order~[A-Za-z0-9][A-Za-z0-9._:-]{0,63}~[1-9]\d{0,2})$/;

export const licenseSchema = z.string().check(
  z.maxLength(600),
  z.refine(
    (s) => CONTRACT_LICENSE.test(s) || DIRECT_LICENSE.test(s),
    'a contract id (<productCode>~L~l-…) or direct~<reference>',
  ),
);

export const businessIdSchema = z.string().check(z.regex(BUSINESS_ID, 'a business id such as biz-Xq3v…'));

/** Why (R3): plain text a person wrote, 5–500 characters, no control or hidden characters. */
export const reasonSchema = z.string().check(
  z.maxLength(500),
  z.refine((s) => s.trim().length >= 5, 'at least 5 characters that say why'),
  z.regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u, 'text without control or hidden characters'),
);

/** The ticket the operation answers, as a ticketing system names it (`SUP-1234`, `zendesk:98765`). */
export const ticketSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._:#/-]{1,63}$/,
      'a ticket id of 2–64 letters, digits and . _ : # / - (starting with a letter or digit)',
    ),
  );

/** A code as typed: its format and check characters are judged by parseCode (400 `bad-code`). */
export const codeInputSchema = z.string().check(z.minLength(1), z.maxLength(80));

export const transferBodySchema = z.strictObject({
  license: licenseSchema,
  toBusinessId: businessIdSchema,
  reason: reasonSchema,
  ticket: ticketSchema,
  expectedFromBusinessId: z.optional(businessIdSchema),
});

export const replaceCodeBodySchema = z.strictObject({
  code: codeInputSchema,
  reason: reasonSchema,
  ticket: ticketSchema,
});

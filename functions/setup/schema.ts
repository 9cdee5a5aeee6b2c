import * as z from 'zod/mini';
import '../../lib/adapters/validation/messages.js';
import { HIDDEN_CHARACTERS_MESSAGE, hasHiddenCharacters } from '../../lib/domain/setup/business-details.js';

/**
 * Printable text without control characters (no NUL, no line breaks in one-line fields) and
 * without invisible or text-direction characters, which would show reversed or spoofed in sales
 * CSV, HTML and mails (`hasHiddenCharacters`).
 */
const line = (max: number) =>
  z.string().check(
    z.trim(),
    z.minLength(1, 'Required.'),
    z.maxLength(max, `At most ${max} characters.`),
    z.refine((s) => !/\p{Cc}/u.test(s), 'Use letters, digits and punctuation only.'),
    z.refine((s) => !hasHiddenCharacters(s), HIDDEN_CHARACTERS_MESSAGE),
  );

const csrf = z.string().check(z.minLength(20), z.maxLength(100));

/** The marketplace's POST to the fulfillment URL (MARKETPLACE.md §1.1). */
export const marketplacePostSchema = z.object({
  'x-amzn-marketplace-token': z.string().check(z.trim(), z.minLength(1), z.maxLength(4096)),
  'x-amzn-marketplace-offer-type': z.optional(z.string().check(z.maxLength(64))),
});

export const emailFormSchema = z.object({
  csrf,
  email: z.pipe(
    z.string().check(z.trim(), z.maxLength(254, 'At most 254 characters.')),
    z.email('Enter an email address like name@example.com.'),
  ),
});

export const codeFormSchema = z.object({
  csrf,
  code: z.string().check(z.trim(), z.regex(/^\d{6}$/, 'Enter the 6 digits from the email.')),
});

export const csrfOnlySchema = z.object({ csrf });

/**
 * The key form (R11, R12): a Registration Key as typed, any case, dashes and spaces optional
 * (22 characters canonical); the check character is tested by the use case before any read.
 * A long cap here keeps a pasted line with spaces, not a body.
 */
export const registrationKeyFormSchema = z.object({
  csrf,
  key: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'Enter a Registration Key of your order.'),
      z.maxLength(80, 'A Registration Key is 22 characters: check what you pasted.'),
    ),
});

export const businessFormSchema = z.object({
  csrf,
  name: line(200),
  country: line(100),
  dataCenterRegion: line(64),
  timeZone: line(64),
});

export type BusinessForm = z.infer<typeof businessFormSchema>;

/** Field messages of a failed parse, first message per field. */
export function fieldErrors(error: z.core.$ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return errors;
}

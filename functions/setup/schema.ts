import { z } from 'zod';

/** Printable text without control characters (no NUL, no line breaks in one-line fields). */
const line = (max: number) =>
  z
    .string()
    .trim()
    .min(1, 'Required.')
    .max(max, `At most ${max} characters.`)
    .refine((s) => !/\p{Cc}/u.test(s), 'Use letters, digits and punctuation only.');

const csrf = z.string().min(20).max(100);

/** The marketplace's POST to the fulfillment URL (MARKETPLACE.md §1.1). */
export const marketplacePostSchema = z.object({
  'x-amzn-marketplace-token': z.string().trim().min(1).max(4096),
  'x-amzn-marketplace-offer-type': z.string().max(64).optional(),
});

export const emailFormSchema = z.object({
  csrf,
  email: z
    .string()
    .trim()
    .max(254, 'At most 254 characters.')
    .pipe(z.email('Enter an email address like name@example.com.')),
});

export const codeFormSchema = z.object({
  csrf,
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'Enter the 6 digits from the email.'),
});

export const csrfOnlySchema = z.object({ csrf });

export const businessFormSchema = z.object({
  csrf,
  name: line(200),
  country: line(100),
  dataCenterRegion: line(64),
  timeZone: line(64),
});

export type BusinessForm = z.infer<typeof businessFormSchema>;

/** Field messages of a failed parse, first message per field. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    errors[field] ??= issue.message;
  }
  return errors;
}

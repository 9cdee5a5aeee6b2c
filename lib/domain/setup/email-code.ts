/**
 * The email code of R7, shared by the setup (verify-email.ts) and the returning buyer's sign-in
 * (lib/domain/account): how a code is made and stored, the resend cooldown, the mailbox budget
 * across sessions and flows, and the check of a guess (counted before it is compared).
 */
import { CodeCooldownError, CodeExpiredError, TooManyAttemptsError, WrongCodeError } from './errors.js';
import { type Budget, MAILBOX_CODES, mailboxOf, type SetupLimits } from './limits.js';
import { CODE_RESEND_COOLDOWN_MS, CODE_VALIDITY_MS, type EmailCode, MAX_WRONG_CODES } from './model.js';
import type { EmailMessage, Secrets } from './ports.js';

/** A fresh 6-digit code: the digits (for the mail only) and what is stored (an HMAC with a fresh salt). */
export function issueEmailCode(
  secrets: Secrets,
  now: Date,
): { readonly code: string; readonly stored: EmailCode } {
  const code = secrets.digits(6);
  const salt = secrets.token();
  return {
    code,
    stored: {
      hash: secrets.hmac(salt, code),
      salt,
      sentAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + CODE_VALIDITY_MS).toISOString(),
      attempts: 0,
    },
  };
}

/**
 * A stored code that no typed code matches (the HMAC of a random token, not of six digits): an
 * unknown email's sign-in gets one, so it is handled exactly like a known one, minus the mail.
 */
export function unmatchableEmailCode(secrets: Secrets, now: Date): EmailCode {
  const { stored } = issueEmailCode(secrets, now);
  return { ...stored, hash: secrets.hmac(stored.salt, secrets.token()) };
}

/** CodeCooldownError while a code sent to the same mailbox (case and `+tag` aside) is under 30 s old. */
export function checkResendCooldown(
  previous: { readonly code?: EmailCode; readonly email?: string },
  email: string,
  now: Date,
): void {
  if (!previous.code || !previous.email || mailboxOf(previous.email) !== mailboxOf(email)) return;
  const wait = Date.parse(previous.code.sentAt) + CODE_RESEND_COOLDOWN_MS - now.getTime();
  if (wait > 0) throw new CodeCooldownError(Math.ceil(wait / 1000));
}

/**
 * The budget of codes mailed to one mailbox (10 a day) by one flow, whichever session asks.
 * The setup and the returning buyer's sign-in count apart: the sign-in is open to anyone, and
 * ten sign-ins typed with a stranger's address must not stop that stranger verifying their own
 * address in the setup (R7) for a day. Hashed: the key must not hold the address.
 */
export function mailboxBudget(
  email: string,
  secrets: Secrets,
  limits?: SetupLimits,
  flow: 'setup' | 'sign-in' = 'setup',
): Budget {
  const prefix = flow === 'setup' ? 'mailbox' : 'sign-in-mailbox';
  return {
    key: `${prefix}:${secrets.hash(`mailbox:${mailboxOf(email)}`)}`,
    ...(limits?.mailboxCodes ?? MAILBOX_CODES),
  };
}

/**
 * Checks a typed code against the stored one (R7): no code or past its three minutes →
 * CodeExpiredError; the guess is counted by `claim` (atomic, in the store) *before* it is
 * compared, so of any number of parallel guesses at most five are compared; a wrong one →
 * WrongCodeError with the attempts left, the fifth or a refused count → TooManyAttemptsError.
 */
export async function checkEmailCode(
  code: EmailCode | undefined,
  typedCode: string,
  claim: (salt: string, max: number) => Promise<number | undefined>,
  secrets: Secrets,
  now: Date,
): Promise<void> {
  if (!code || now.getTime() >= Date.parse(code.expiresAt)) {
    throw new CodeExpiredError('The code has expired; request a new one');
  }
  if ((code.attempts ?? 0) >= MAX_WRONG_CODES) throw new TooManyAttemptsError('Too many wrong codes');
  const attempt = await claim(code.salt, MAX_WRONG_CODES);
  if (attempt === undefined) throw new TooManyAttemptsError('Too many wrong codes');
  if (!secrets.equal(secrets.hmac(code.salt, typedCode.trim()), code.hash)) {
    if (attempt >= MAX_WRONG_CODES) throw new TooManyAttemptsError('Too many wrong codes');
    throw new WrongCodeError(MAX_WRONG_CODES - attempt);
  }
}

/** The code's mail; `page` is where a new code is asked for, `ignoreUnless` what the reader did not do. */
export function codeMail(
  to: string,
  code: string,
  productName: string,
  text: { readonly page: string; readonly ignoreUnless: string },
): EmailMessage {
  return {
    to,
    subject: `${code} is your ${productName} verification code`,
    text: [
      `Your verification code is ${code}.`,
      '',
      `It is valid for three minutes. If it has expired, request a new one on the ${text.page}.`,
      `If you did not ${text.ignoreUnless}, ignore this email.`,
    ].join('\n'),
  };
}

/** A mail that timed out may still have gone out: it stays counted. */
export function isTimeout(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  return name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ECONNRESET';
}

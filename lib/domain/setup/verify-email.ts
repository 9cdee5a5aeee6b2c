import type { Clock } from '../contract/ports.js';
import { CodeCooldownError, CodeExpiredError, TooManyAttemptsError, WrongCodeError } from './errors.js';
import {
  CODE_RESEND_COOLDOWN_MS,
  CODE_VALIDITY_MS,
  MAX_CODES_PER_SESSION,
  MAX_WRONG_CODES,
  normalizeEmail,
  type SetupSession,
} from './model.js';
import type { Mailer, Secrets, SetupStore } from './ports.js';

export interface VerifyEmailDeps {
  readonly setups: SetupStore;
  readonly secrets: Secrets;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly productName: string;
}

/**
 * Sends a 6-digit code to the email the buyer typed (R7).
 *
 * Steps:
 * 1. Only before verification (steps `email`, `code`); the email may still be corrected then.
 * 2. A resend to the same address waits out the cooldown; a session mails at most ten codes.
 * 3. The code is stored only as an HMAC with a fresh salt, valid three minutes, with a fresh
 *    count of wrong attempts; the session write is conditional, then the mail goes out.
 */
export async function sendEmailCode(
  session: SetupSession,
  rawEmail: string,
  deps: VerifyEmailDeps,
): Promise<SetupSession> {
  const email = normalizeEmail(rawEmail);
  const now = deps.clock.now();
  if (session.code && session.email === email) {
    const wait = Date.parse(session.code.sentAt) + CODE_RESEND_COOLDOWN_MS - now.getTime();
    if (wait > 0) throw new CodeCooldownError(Math.ceil(wait / 1000));
  }
  const codesSent = (session.codesSent ?? 0) + 1;
  if (codesSent > MAX_CODES_PER_SESSION)
    throw new TooManyAttemptsError('This setup has sent as many codes as it may');
  const code = deps.secrets.digits(6);
  const salt = deps.secrets.token();
  const next: SetupSession = {
    ...session,
    step: 'code',
    email,
    codesSent,
    code: {
      hash: deps.secrets.hmac(salt, code),
      salt,
      sentAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + CODE_VALIDITY_MS).toISOString(),
      wrongAttempts: 0,
    },
    version: session.version + 1,
  };
  await deps.setups.saveSession(next, session.version);
  await deps.mailer.send({
    to: email,
    subject: `${code} is your ${deps.productName} verification code`,
    text: [
      `Your verification code is ${code}.`,
      '',
      'It is valid for three minutes. If it has expired, request a new one on the setup page.',
      `If you did not start setting up ${deps.productName}, ignore this email.`,
    ].join('\n'),
  });
  return next;
}

/**
 * Checks the code the buyer typed (R7).
 *
 * Steps:
 * 1. No code, or more than three minutes old → CodeExpiredError (request a new one).
 * 2. Five wrong tries → TooManyAttemptsError until a new code is sent.
 * 3. Wrong → the count goes up (conditionally, so parallel guesses cannot share one count).
 * 4. Right → the code is consumed (a replay finds none), the primary user account exists from
 *    now on, and the buyer goes on to business details, or straight to review when the user's
 *    business already exists (a returning buyer).
 */
export async function verifyEmailCode(
  session: SetupSession,
  typedCode: string,
  deps: VerifyEmailDeps,
): Promise<SetupSession> {
  const now = deps.clock.now();
  const { code, email } = session;
  if (!code || !email || now.getTime() >= Date.parse(code.expiresAt)) {
    throw new CodeExpiredError('The code has expired; request a new one');
  }
  if (code.wrongAttempts >= MAX_WRONG_CODES) throw new TooManyAttemptsError('Too many wrong codes');
  if (!deps.secrets.equal(deps.secrets.hmac(code.salt, typedCode.trim()), code.hash)) {
    const wrongAttempts = code.wrongAttempts + 1;
    await deps.setups.saveSession(
      { ...session, code: { ...code, wrongAttempts }, version: session.version + 1 },
      session.version,
    );
    if (wrongAttempts >= MAX_WRONG_CODES) throw new TooManyAttemptsError('Too many wrong codes');
    throw new WrongCodeError(MAX_WRONG_CODES - wrongAttempts);
  }
  const user = await deps.setups.ensureUser({ email, createdAt: now.toISOString() });
  const business = user.businessId ? await deps.setups.getBusiness(user.businessId) : undefined;
  const { code: _consumed, ...rest } = session;
  const next: SetupSession = {
    ...rest,
    step: business ? 'review' : 'business',
    ...(business ? { businessId: business.businessId, businessName: business.name } : {}),
    version: session.version + 1,
  };
  await deps.setups.saveSession(next, session.version);
  return next;
}

import type { Clock } from '../contract/ports.js';
import {
  CodeCooldownError,
  CodeExpiredError,
  CodeLimitError,
  TooManyAttemptsError,
  WrongCodeError,
} from './errors.js';
import {
  type Budget,
  BudgetSpentError,
  CONTRACT_CODES,
  MAILBOX_CODES,
  mailboxOf,
  type SetupLimits,
} from './limits.js';
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
  readonly limits?: SetupLimits;
}

/**
 * Sends a 6-digit code to the email the buyer typed (R7).
 *
 * Steps:
 * 1. Only before verification (steps `email`, `code`); the email may still be corrected then.
 * 2. A resend to the same mailbox (case and `+tag` aside) waits out the cooldown; a session
 *    mails at most ten codes.
 * 3. Budgets across sessions, taken in the same transaction as the session's write: ten codes a
 *    day to one mailbox and thirty for one contract, whoever asks (CodeLimitError).
 * 4. The code is stored only as an HMAC with a fresh salt, valid three minutes, with a fresh
 *    count of attempts; then the mail goes out. A mail that fails gives the budgets back and
 *    puts the session back as it was, so it costs the buyer nothing.
 */
export async function sendEmailCode(
  session: SetupSession,
  rawEmail: string,
  deps: VerifyEmailDeps,
): Promise<SetupSession> {
  const email = normalizeEmail(rawEmail);
  const mailbox = mailboxOf(email);
  const now = deps.clock.now();
  if (session.code && session.email && mailboxOf(session.email) === mailbox) {
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
      attempts: 0,
    },
    version: session.version + 1,
  };
  const budgets: Budget[] = [
    // Hashed: the budget's key must not hold the address.
    {
      key: `mailbox:${deps.secrets.hash(`mailbox:${mailbox}`)}`,
      ...(deps.limits?.mailboxCodes ?? MAILBOX_CODES),
    },
    { key: `contract:${session.contractId}`, ...(deps.limits?.contractCodes ?? CONTRACT_CODES) },
  ];
  try {
    await deps.setups.saveSession(next, session.version, { budgets, now });
  } catch (error) {
    if (!(error instanceof BudgetSpentError)) throw error;
    throw new CodeLimitError(
      error.budget.key.startsWith('mailbox:')
        ? 'As many codes as may be sent to this address today were sent'
        : 'As many codes as may be sent for this contract today were sent',
    );
  }
  try {
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
  } catch (error) {
    // A mail that timed out may still have gone out: it stays counted and its code valid.
    if (isTimeout(error)) throw error;
    // Refused or unreachable: nothing was sent. The budgets go back and the session is as it
    // was, less any older code (its count of guesses is not restored from a stale read).
    const { code: _unsent, ...before } = session;
    await Promise.allSettled([
      deps.setups.giveBack(budgets, now),
      deps.setups.saveSession({ ...before, version: next.version + 1 }, next.version),
    ]);
    throw error;
  }
  return next;
}

function isTimeout(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  return name === 'TimeoutError' || code === 'ETIMEDOUT' || code === 'ECONNRESET';
}

/**
 * Checks the code the buyer typed (R7).
 *
 * Steps:
 * 1. No code, or more than three minutes old → CodeExpiredError (request a new one).
 * 2. The guess is counted before it is compared, atomically in the store: of any number of
 *    parallel guesses at most five are ever compared, the others get TooManyAttemptsError
 *    until a new code is sent. A wrong guess writes nothing more.
 * 3. Right → the code is consumed (a replay finds none), the primary user account exists from
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
  if ((code.attempts ?? 0) >= MAX_WRONG_CODES) throw new TooManyAttemptsError('Too many wrong codes');
  const attempt = await deps.setups.claimCodeAttempt(session.sessionKey, code.salt, MAX_WRONG_CODES);
  if (attempt === undefined) throw new TooManyAttemptsError('Too many wrong codes');
  if (!deps.secrets.equal(deps.secrets.hmac(code.salt, typedCode.trim()), code.hash)) {
    if (attempt >= MAX_WRONG_CODES) throw new TooManyAttemptsError('Too many wrong codes');
    throw new WrongCodeError(MAX_WRONG_CODES - attempt);
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
  // Counted guesses do not move the version: a right guess consumes the code whatever the
  // wrong ones around it did; a resend in between moved it, and this fails.
  await deps.setups.saveSession(next, session.version);
  return next;
}

import type { Clock } from '../contract/ports.js';
import {
  checkEmailCode,
  checkResendCooldown,
  codeMail,
  issueEmailCode,
  isTimeout,
  mailboxBudget,
} from './email-code.js';
import { CodeExpiredError, CodeLimitError, TooManyAttemptsError } from './errors.js';
import { type Budget, BudgetSpentError, CONTRACT_CODES, type SetupLimits } from './limits.js';
import { MAX_CODES_PER_SESSION, normalizeEmail, type SetupSession } from './model.js';
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
  const now = deps.clock.now();
  checkResendCooldown(session, email, now);
  const codesSent = (session.codesSent ?? 0) + 1;
  if (codesSent > MAX_CODES_PER_SESSION)
    throw new TooManyAttemptsError('This setup has sent as many codes as it may');
  const { code, stored } = issueEmailCode(deps.secrets, now);
  const next: SetupSession = {
    ...session,
    step: 'code',
    email,
    codesSent,
    code: stored,
    version: session.version + 1,
  };
  const budgets: Budget[] = [
    mailboxBudget(email, deps.secrets, deps.limits),
    // Per contract, or per order for a registration (R12): one purchase cannot mail the world.
    {
      key: session.orderId ? `order:${session.orderId}` : `contract:${session.contractId}`,
      ...(deps.limits?.contractCodes ?? CONTRACT_CODES),
    },
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
    await deps.mailer.send(
      codeMail(email, code, deps.productName, {
        page: 'setup page',
        ignoreUnless: `start setting up ${deps.productName}`,
      }),
    );
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
  if (!email) throw new CodeExpiredError('The code has expired; request a new one');
  await checkEmailCode(
    code,
    typedCode,
    (salt, max) => deps.setups.claimCodeAttempt(session.sessionKey, salt, max),
    deps.secrets,
    now,
  );
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

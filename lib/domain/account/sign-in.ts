import { ConcurrentUpdateError } from '../contract/errors.js';
import type { Clock } from '../contract/ports.js';
import type { BusinessDirectory } from '../credits/ports.js';
import {
  checkEmailCode,
  checkResendCooldown,
  codeMail,
  issueEmailCode,
  isTimeout,
  mailboxBudget,
  unmatchableEmailCode,
} from '../setup/email-code.js';
import { CodeLimitError, TooManyAttemptsError, WrongStepError } from '../setup/errors.js';
import {
  type Budget,
  type BudgetCounter,
  BudgetSpentError,
  type SetupLimits,
  SOURCE_SIGN_INS,
  sourceOf,
  windowStart,
} from '../setup/limits.js';
import { MAX_CODES_PER_SESSION, normalizeEmail } from '../setup/model.js';
import type { Mailer, Secrets } from '../setup/ports.js';
import { CsrfError } from '../setup/session.js';
import { NotSignedInError, TooManySignInsError } from './errors.js';
import { ACCOUNT_SESSION_MS, type AccountSession, isAccountSessionOver, SIGN_IN_WINDOW_MS } from './model.js';
import type { AccountStore } from './ports.js';

export interface SignInDeps {
  readonly accounts: AccountStore;
  readonly businesses: Pick<BusinessDirectory, 'findByEmail'>;
  readonly budgets: BudgetCounter;
  readonly secrets: Secrets;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly productName: string;
  readonly limits?: SetupLimits;
  /**
   * How an unknown address is made to take as long as a known one (which waits for its
   * business's read and its mail); default: `answerTiming()` of this process.
   */
  readonly timing?: AnswerTiming;
}

/**
 * The time a sign-in for a known address takes from its lookup to its answer (a running
 * average, starting at 150 ms, a typical SES send), and a pause that makes an unknown
 * address's answer take as long: otherwise the response time tells which addresses have an
 * account, which the pages and budgets are careful not to.
 */
export interface AnswerTiming {
  /** Milliseconds since some fixed point (`performance.now`). */
  now(): number;
  record(ms: number): void;
  /** Waits until `since + typical`; returns the milliseconds waited. */
  padFrom(since: number): Promise<number>;
}

export function answerTiming(
  now: () => number = () => performance.now(),
  pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): AnswerTiming {
  let typical = 150;
  return {
    now,
    record(ms) {
      // A slow outlier moves the average a fifth of the way: one hung mail does not stall every unknown address.
      typical = typical * 0.8 + Math.min(ms, 3000) * 0.2;
    },
    async padFrom(since) {
      const wait = Math.max(0, Math.round(since + typical - now()));
      if (wait > 0) await pause(wait);
      return wait;
    },
  };
}

const processTiming = answerTiming();

type SessionDeps = Pick<SignInDeps, 'accounts' | 'secrets'>;

const MAIL_TEXT = (productName: string) => ({
  page: 'sign-in page',
  ignoreUnless: `try to sign in to ${productName}`,
});

/**
 * The sign-in form's CSRF token before any session exists: derived from the browser's own
 * cookie value (HttpOnly, so another site can neither read nor compute it).
 */
export function signInFormToken(cookieValue: string, secrets: Secrets): string {
  return secrets.hash(`account-form:${cookieValue}`);
}

/** The live session behind a cookie (a sign-in waiting for its code, or signed in), if any. */
export async function findAccountSession(
  cookieValue: string | undefined,
  deps: SessionDeps,
  now: Date,
): Promise<AccountSession | undefined> {
  if (!cookieValue) return undefined;
  const session = await deps.accounts.get(deps.secrets.hash(cookieValue));
  if (!session || session.step === 'ended' || isAccountSessionOver(session, now)) return undefined;
  return session;
}

/**
 * The signed-in session behind a cookie, or NotSignedInError; a form must echo its CSRF token
 * (CsrfError). The business the pages show comes from here and from nowhere else.
 */
export async function signedInSession(
  cookieValue: string | undefined,
  deps: SessionDeps,
  now: Date,
  form?: { readonly csrf: string },
): Promise<AccountSession & { readonly businessId: string }> {
  const session = await findAccountSession(cookieValue, deps, now);
  if (session?.step !== 'signed-in' || !session.businessId) throw new NotSignedInError('Not signed in');
  if (form && !(form.csrf && deps.secrets.equal(form.csrf, session.csrfToken))) {
    throw new CsrfError('The form is missing its CSRF token or it does not match');
  }
  return { ...session, businessId: session.businessId };
}

/** The sign-in waiting for its code behind a cookie: its forms echo its CSRF token. */
export async function pendingSignIn(
  cookieValue: string | undefined,
  deps: SessionDeps,
  now: Date,
  csrf: string,
): Promise<AccountSession> {
  const session = await findAccountSession(cookieValue, deps, now);
  if (!session) throw new NotSignedInError('No sign-in in progress');
  if (!(csrf && deps.secrets.equal(csrf, session.csrfToken))) {
    throw new CsrfError('The form is missing its CSRF token or it does not match');
  }
  if (session.step !== 'code') throw new WrongStepError(`Sign-in is at step ${session.step}`);
  return session;
}

/** One from the source address's sign-in budget, before any lookup or mail (TooManySignInsError). */
async function takeSourceBudget(deps: SignInDeps, sourceAddress: string | undefined, now: Date) {
  const source: Budget = {
    key: `sign-in:${sourceOf(sourceAddress)}`,
    ...(deps.limits?.sourceSignIns ?? SOURCE_SIGN_INS),
  };
  if (!(await deps.budgets.take(source, now))) {
    const end = windowStart(source, now) + source.windowMs;
    throw new TooManySignInsError(Math.max(1, Math.ceil((end - now.getTime()) / 1000)));
  }
}

function codeLimit(error: unknown): never {
  if (error instanceof BudgetSpentError) {
    throw new CodeLimitError('As many codes as may be sent to this address today were sent');
  }
  throw error;
}

export interface SignInRequest {
  readonly email: string;
  readonly sourceAddress?: string;
  /** The cookie the sign-in form was served with, and the token the form echoed. */
  readonly formCookie: string | undefined;
  readonly csrf: string;
}

/**
 * A returning buyer asks for a sign-in code (R7).
 *
 * Steps:
 * 1. The form's token must be the one derived from the browser's cookie (CsrfError).
 * 2. One from the source address's budget (20 in 10 minutes), known email or not.
 * 3. Only the primary user of an existing business can sign in; an unknown email goes the very
 *    same way (a new sign-in, the mailbox budget, the same page) with a code nothing matches
 *    and no mail, so the answer never tells which emails have an account.
 * 4. The sign-in is written under a fresh cookie value with its code (an HMAC with a fresh salt,
 *    valid three minutes), taking one from the mailbox budget the setup uses too (10 a day) in
 *    the same transaction (CodeLimitError); then the mail. A mail that fails gives it back.
 * Returns the new cookie value and the sign-in.
 */
export async function requestSignInCode(
  request: SignInRequest,
  deps: SignInDeps,
): Promise<{ readonly cookieValue: string; readonly session: AccountSession }> {
  if (
    !request.formCookie ||
    !deps.secrets.equal(request.csrf, signInFormToken(request.formCookie, deps.secrets))
  ) {
    throw new CsrfError('The sign-in form is missing its CSRF token or it does not match');
  }
  const now = deps.clock.now();
  await takeSourceBudget(deps, request.sourceAddress, now);
  const email = normalizeEmail(request.email);
  const timing = deps.timing ?? processTiming;
  const started = timing.now();
  const business = await deps.businesses.findByEmail(email);
  const issued = business ? issueEmailCode(deps.secrets, now) : undefined;
  const cookieValue = deps.secrets.token();
  const session: AccountSession = {
    sessionKey: deps.secrets.hash(cookieValue),
    step: 'code',
    email,
    ...(business ? { businessId: business.businessId } : {}),
    csrfToken: deps.secrets.token(),
    code: issued?.stored ?? unmatchableEmailCode(deps.secrets, now),
    codesSent: 1,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + SIGN_IN_WINDOW_MS).toISOString(),
    version: 1,
  };
  const budgets = [mailboxBudget(email, deps.secrets, deps.limits, 'sign-in')];
  await deps.accounts.create(session, { budgets, now }).catch(codeLimit);
  if (issued) {
    await mailCode(session, issued.code, budgets, now, deps, undefined);
    timing.record(timing.now() - started);
  } else {
    await timing.padFrom(started);
  }
  return { cookieValue, session };
}

/**
 * Sends a new code for a sign-in waiting for one (R7): after the 30 s cooldown, at most ten per
 * sign-in, from the source's and the mailbox's budgets like the first; the new code replaces
 * the old one and its count of guesses.
 */
export async function resendSignInCode(
  session: AccountSession,
  sourceAddress: string | undefined,
  deps: SignInDeps,
): Promise<AccountSession> {
  const now = deps.clock.now();
  checkResendCooldown(session, session.email, now);
  const codesSent = (session.codesSent ?? 0) + 1;
  if (codesSent > MAX_CODES_PER_SESSION)
    throw new TooManyAttemptsError('This sign-in has sent as many codes as it may');
  await takeSourceBudget(deps, sourceAddress, now);
  const issued = session.businessId ? issueEmailCode(deps.secrets, now) : undefined;
  const next: AccountSession = {
    ...session,
    codesSent,
    code: issued?.stored ?? unmatchableEmailCode(deps.secrets, now),
    version: session.version + 1,
  };
  const budgets = [mailboxBudget(session.email, deps.secrets, deps.limits, 'sign-in')];
  await deps.accounts.save(next, session.version, { budgets, now }).catch(codeLimit);
  // Padded like the first code: a resend must not tell either whether the address has an account.
  const timing = deps.timing ?? processTiming;
  const started = timing.now();
  if (issued) {
    await mailCode(next, issued.code, budgets, now, deps, session);
    timing.record(timing.now() - started);
  } else {
    await timing.padFrom(started);
  }
  return next;
}

/** The mail of a code; refused or unreachable, the budgets go back and the sign-in loses the unsent code. */
async function mailCode(
  session: AccountSession,
  code: string,
  budgets: readonly Budget[],
  now: Date,
  deps: SignInDeps,
  before: AccountSession | undefined,
): Promise<void> {
  try {
    await deps.mailer.send(codeMail(session.email, code, deps.productName, MAIL_TEXT(deps.productName)));
  } catch (error) {
    if (isTimeout(error)) throw error;
    const { code: _unsent, ...rest } = before ?? session;
    await Promise.allSettled([
      deps.accounts.giveBack(budgets, now),
      deps.accounts.save({ ...rest, version: session.version + 1 }, session.version),
    ]);
    throw error;
  }
}

/**
 * Checks the code of a sign-in (R7) with the setup's rules (`checkEmailCode`: expiry, the guess
 * counted before it is compared, five in all). Right → the sign-in ends and a signed-in session
 * for its business starts under a fresh cookie value (twelve hours), in one transaction: a
 * code opens one session, a replay finds none.
 */
export async function verifySignInCode(
  session: AccountSession,
  typedCode: string,
  deps: Pick<SignInDeps, 'accounts' | 'secrets' | 'clock'>,
): Promise<{ readonly cookieValue: string; readonly session: AccountSession }> {
  const now = deps.clock.now();
  await checkEmailCode(
    session.code,
    typedCode,
    (salt, max) => deps.accounts.claimCodeAttempt(session.sessionKey, salt, max),
    deps.secrets,
    now,
  );
  // Unreachable for an unknown email (its code matches nothing); kept so no path signs in without a business.
  if (!session.businessId) throw new TooManyAttemptsError('No account to sign in to');
  const cookieValue = deps.secrets.token();
  const signedIn: AccountSession = {
    sessionKey: deps.secrets.hash(cookieValue),
    step: 'signed-in',
    email: session.email,
    businessId: session.businessId,
    csrfToken: deps.secrets.token(),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ACCOUNT_SESSION_MS).toISOString(),
    version: 1,
  };
  const { code: _consumed, ...rest } = session;
  const ended: AccountSession = { ...rest, step: 'ended', version: session.version + 1 };
  if (!(await deps.accounts.signIn(ended, session.version, signedIn)))
    throw new ConcurrentUpdateError(session.sessionKey);
  return { cookieValue, session: signedIn };
}

/** Ends the signed-in session (the cookie is cleared by the caller). */
export async function signOut(session: AccountSession, deps: Pick<SignInDeps, 'accounts' | 'clock'>) {
  await deps.accounts.end(session.sessionKey, deps.clock.now());
}

import { NoSetupSessionError, SetupExpiredError, WrongStepError } from './errors.js';
import { isSetupExpired, type SetupSession, type SetupStep } from './model.js';
import type { Secrets, SetupStore } from './ports.js';

/** Thrown when a form does not carry the session's CSRF token. */
export class CsrfError extends Error {
  override readonly name = 'CsrfError';
}

export interface SessionDeps {
  readonly setups: SetupStore;
  readonly secrets: Secrets;
}

/**
 * Finds the session behind a cookie value and checks it is still usable: it exists, its four
 * hours are not over (R4) and, for a form, the CSRF token matches.
 */
export async function openSession(
  cookieValue: string | undefined,
  deps: SessionDeps,
  now: Date,
  options: { csrf?: string | undefined; form?: boolean; steps?: readonly SetupStep[] } = {},
): Promise<SetupSession> {
  if (!cookieValue) throw new NoSetupSessionError('No setup in progress in this browser');
  const session = await deps.setups.getSession(deps.secrets.hash(cookieValue));
  if (!session) throw new NoSetupSessionError('No setup in progress in this browser');
  if (options.form && !(options.csrf && deps.secrets.equal(options.csrf, session.csrfToken))) {
    throw new CsrfError('The form is missing its CSRF token or it does not match');
  }
  if (session.step !== 'completed' && isSetupExpired(session, now))
    throw new SetupExpiredError('Setup window is over');
  if (options.steps && !options.steps.includes(session.step)) {
    throw new WrongStepError(`Session is at step ${session.step}`);
  }
  return session;
}

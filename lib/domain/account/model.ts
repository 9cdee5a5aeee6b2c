/**
 * The returning buyer's sign-in: an email code (R7, the same rules as the setup's) opens a
 * signed-in session bound to the business of the user who signs in.
 */
import type { EmailCode } from '../setup/model.js';

/** How long a sign-in may take from the email form to the right code. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
/** How long a signed-in session lasts. */
export const ACCOUNT_SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * `code`: a code was asked for (known email or not, indistinguishably); `signed-in`: the right
 * code was typed; `ended`: signed out, or the sign-in that became a signed-in session.
 */
export type AccountStep = 'code' | 'signed-in' | 'ended';

export interface AccountSession {
  /** A hash of the cookie value: the database never holds what the browser presents. */
  readonly sessionKey: string;
  readonly step: AccountStep;
  /** The login id (normalized) the code went to, or would have gone to. */
  readonly email: string;
  /** Known only for an email whose user has a business; the only source of the pages' business. */
  readonly businessId?: string;
  readonly csrfToken: string;
  readonly code?: EmailCode;
  readonly codesSent?: number;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly version: number;
}

export function isAccountSessionOver(session: Pick<AccountSession, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= Date.parse(session.expiresAt);
}

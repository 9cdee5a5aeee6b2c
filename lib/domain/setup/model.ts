/**
 * The buyer's setup: one click on "Set up your account" opens a setup session that lives four
 * hours (R4), in which the buyer verifies an email (R7), gives business details (R8), reviews
 * and activates the license once (R3, R5).
 */

export const SETUP_WINDOW_MS = 4 * 60 * 60 * 1000;
export const CODE_VALIDITY_MS = 3 * 60 * 1000;
export const CODE_RESEND_COOLDOWN_MS = 30 * 1000;
export const MAX_WRONG_CODES = 5;
/** Codes one setup session may send in all: the setup page must not become a way to mail strangers. */
export const MAX_CODES_PER_SESSION = 10;

/** Where the buyer is; each step's page is shown until the step is done. */
export type SetupStep = 'email' | 'code' | 'business' | 'review' | 'completed';

export interface EmailCode {
  /** HMAC of the code with `salt`: the code itself is never stored. */
  readonly hash: string;
  readonly salt: string;
  readonly sentAt: string;
  readonly expiresAt: string;
  /**
   * Guesses counted at this code: each guess is counted before it is compared (atomically, in
   * the store), so parallel guesses cannot try more than MAX_WRONG_CODES between them.
   */
  readonly attempts: number;
}

export interface SetupSession {
  /** A hash of the cookie value: the database never holds what the browser presents. */
  readonly sessionKey: string;
  /** The marketplace contract this setup activates; absent for an order's registration. */
  readonly contractId?: string;
  /** The order from another channel this session registers (R12), opened with one of its keys. */
  readonly orderId?: string;
  /** The Registration Key the order's session was opened with: registering re-checks it is valid (R11). */
  readonly registrationKey?: string;
  readonly productCode: string;
  readonly customerAWSAccountId?: string;
  /** The marketplace POST said `x-amzn-marketplace-offer-type=free-trial`. */
  readonly freeTrialOffer: boolean;
  readonly createdAt: string;
  /** Four hours after the click (R4). */
  readonly expiresAt: string;
  readonly step: SetupStep;
  /** Synchronizer token that every form of this session must echo. */
  readonly csrfToken: string;
  readonly email?: string;
  readonly code?: EmailCode;
  /** How many codes this session has mailed. */
  readonly codesSent?: number;
  readonly businessId?: string;
  readonly businessName?: string;
  readonly completedAt?: string;
  readonly version: number;
}

/** The business's primary user; the email is the login id and never changes (R7). */
export interface UserAccount {
  readonly email: string;
  readonly businessId?: string;
  readonly createdAt: string;
}

/** R8: name and region of the business, its data-centre region and the time zone licenses are shown in. */
export interface Business {
  readonly businessId: string;
  readonly name: string;
  readonly country: string;
  readonly dataCenterRegion: string;
  readonly timeZone: string;
  readonly primaryEmail: string;
  readonly createdAt: string;
}

export interface BusinessDetails {
  readonly name: string;
  readonly country: string;
  readonly dataCenterRegion: string;
  readonly timeZone: string;
}

/** Business ids as the setup makes them (`biz-` and 20 characters of a URL-safe token): checked before any read. */
export const BUSINESS_ID = /^biz-[A-Za-z0-9_-]{20}$/;

export function isSetupExpired(session: Pick<SetupSession, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= Date.parse(session.expiresAt);
}

/** Emails compare without case and surrounding space; the login id is stored that way. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

import type { StoredContract } from '../contract/model.js';
import type { AuditEntry } from '../contract/ports.js';
import type { Ledger } from '../credits/model.js';
import type { Budget } from './limits.js';
import type { Business, SetupSession, UserAccount } from './model.js';

/** What ResolveCustomer tells about a registration token. */
export interface ResolvedCustomer {
  readonly productCode: string;
  readonly customerAWSAccountId?: string;
  readonly licenseArn?: string;
  readonly customerIdentifier?: string;
}

export interface CustomerResolver {
  /** Throws InvalidTokenError, ExpiredTokenError, MarketplaceBusyError or MarketplaceUnavailableError. */
  resolve(registrationToken: string): Promise<ResolvedCustomer>;
}

/** Randomness and hashing, so the domain stays free of node:crypto and tests can fix them. */
export interface Secrets {
  /** An unguessable URL-safe token (≥ 256 bits). */
  token(): string;
  /** `digits` random decimal digits. */
  digits(count: number): string;
  /** One-way hash of a cookie value into a storage key. */
  hash(value: string): string;
  /** Keyed hash of an email code. */
  hmac(key: string, value: string): string;
  /** Constant-time comparison. */
  equal(a: string, b: string): boolean;
}

export type ActivationConflict = 'activated' | 'version-moved' | 'session-moved';

export interface ActivationWrite {
  readonly session: SetupSession;
  /** The contract and its items as read: its credits join the business's total, its items the business's index (R2). */
  readonly stored: StoredContract;
  /** The business's credit ledger as read alongside the contract (undefined: it has none yet). */
  readonly ledger: Ledger | undefined;
  readonly contractId: string;
  readonly expectedContractVersion: number;
  readonly businessId: string;
  readonly at: string;
  readonly audit: AuditEntry;
}

export interface SetupStore {
  /**
   * Writes a new session. With `token` (a hash of the registration token, never the token), only
   * if that token opened no setup before: the first POST of a token starts its four hours (R4).
   * A token seen before writes nothing and answers with the deadline its first setup got.
   */
  createSession(
    session: SetupSession,
    token?: { readonly hash: string },
  ): Promise<{ readonly created: true } | { readonly created: false; readonly expiresAt: string }>;
  getSession(sessionKey: string): Promise<SetupSession | undefined>;
  /**
   * Conditional on the version read; throws ConcurrentUpdateError. With `take`, one is taken
   * from each budget in the same transaction (all or none): BudgetSpentError names a spent one.
   */
  saveSession(
    session: SetupSession,
    expectedVersion: number,
    take?: { readonly budgets: readonly Budget[]; readonly now: Date },
  ): Promise<void>;
  /** Gives back what `saveSession` took (a mail that never went out); best effort. */
  giveBack(budgets: readonly Budget[], now: Date): Promise<void>;
  /**
   * Counts one guess at the session's current code (named by its salt) before it is compared,
   * atomically: of any number of parallel guesses at most `max` are counted in all. Returns the
   * guess's number (1…max), or undefined when none is left or that code was replaced.
   */
  claimCodeAttempt(sessionKey: string, salt: string, max: number): Promise<number | undefined>;
  getUser(email: string): Promise<UserAccount | undefined>;
  /** Creates the user unless it exists; returns the stored one either way. */
  ensureUser(user: UserAccount): Promise<UserAccount>;
  getBusiness(businessId: string): Promise<Business | undefined>;
  /** The business's credit ledger, strongly consistent (the activation reads it with the contract). */
  getLedger(businessId: string): Promise<Ledger | undefined>;
  /**
   * One transaction: the business is created, linked to a user that has none yet, and the
   * session moves on. Returns false when the user got a business meanwhile.
   */
  createBusiness(business: Business, session: SetupSession, expectedSessionVersion: number): Promise<boolean>;
  /**
   * One transaction: the contract gets its activating business (only if it has none and its
   * version is the one read), the session is completed, the audit entry written (R3), the
   * contract's credits join the business's ledger (R2) and its items the business's index.
   * Returns undefined on success, else which condition failed.
   */
  activate(
    write: ActivationWrite,
  ): Promise<undefined | { conflict: ActivationConflict; activatedBy?: string }>;
}

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

import type { AuditEntry } from '../contract/ports.js';
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
  readonly contractId: string;
  readonly expectedContractVersion: number;
  readonly businessId: string;
  readonly at: string;
  readonly audit: AuditEntry;
}

export interface SetupStore {
  createSession(session: SetupSession): Promise<void>;
  getSession(sessionKey: string): Promise<SetupSession | undefined>;
  /** Conditional on the version read; throws ConcurrentUpdateError. */
  saveSession(session: SetupSession, expectedVersion: number): Promise<void>;
  getUser(email: string): Promise<UserAccount | undefined>;
  /** Creates the user unless it exists; returns the stored one either way. */
  ensureUser(user: UserAccount): Promise<UserAccount>;
  getBusiness(businessId: string): Promise<Business | undefined>;
  /**
   * One transaction: the business is created, linked to a user that has none yet, and the
   * session moves on. Returns false when the user got a business meanwhile.
   */
  createBusiness(business: Business, session: SetupSession, expectedSessionVersion: number): Promise<boolean>;
  /**
   * One transaction: the contract gets its activating business (only if it has none and its
   * version is the one read), the session is completed, the audit entry written (R3).
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

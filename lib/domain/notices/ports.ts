import type { Business } from '../setup/model.js';
import type { Mailer } from '../setup/ports.js';
import type { ExpiryThreshold } from './expiry.js';

/** One license of a registered business that expires soon, as the expiry index lists it. */
export interface ExpiringLicense {
  /** A marketplace contract, or a license from another channel (R2). */
  readonly kind: 'contract' | 'direct';
  /** The contractId, or the direct license's reference. */
  readonly licenseKey: string;
  readonly productCode: string;
  readonly businessId: string;
  /** Credits the license counts now. */
  readonly credits: number;
  /** The current term's expiration instant (ISO 8601); a renewal moves it (R13). */
  readonly expiresAt: string;
  /** The contract renews by itself at expiry (R1). */
  readonly autoRenew: boolean;
}

export interface ExpiringLicenses {
  /** The licenses of registered businesses expiring in [from, to), read from an index range (never a scan). */
  list(from: Date, to: Date): AsyncIterable<ExpiringLicense>;
}

export interface BusinessDirectory {
  get(businessId: string): Promise<Business | undefined>;
}

/** One notice: a license's term (licenseKey + expiresAt) and the threshold it is due for. */
export interface ExpiryNotice {
  readonly licenseKey: string;
  readonly kind: ExpiringLicense['kind'];
  readonly businessId: string;
  readonly productCode: string;
  readonly expiresAt: string;
  readonly threshold: ExpiryThreshold;
  /** Calendar days left in the business's time zone when the notice was made. */
  readonly daysLeft: number;
  readonly credits: number;
  readonly autoRenew: boolean;
}

/**
 * Who sends which notice, so that a rerun or an overlapping run never sends one twice. Keyed by
 * licenseKey + expiresAt + threshold: a renewal's new expiresAt is a new term whose notices
 * start again (R13).
 */
export interface NoticeClaims {
  /**
   * Conditionally records that this run sends the notice. True: it is ours to send. False: it
   * was sent, or another run is sending it now.
   */
  claim(notice: ExpiryNotice, now: Date): Promise<boolean>;
  /** The mail went out: the claim becomes permanent. */
  sent(notice: ExpiryNotice, now: Date): Promise<void>;
  /** The mail failed: drop the claim so that a later run sends it. */
  release(notice: ExpiryNotice): Promise<void>;
}

export interface NoticeLog {
  warn(message: string, data?: Record<string, unknown>): void;
}

export interface ExpiryNoticeDeps {
  readonly licenses: ExpiringLicenses;
  readonly businesses: BusinessDirectory;
  readonly claims: NoticeClaims;
  readonly mailer: Mailer;
  /** The name buyers know the product by, for a product code. */
  readonly productName: (productCode: string) => string;
  /** Where the business sees its licenses and renews. */
  readonly consoleUrl: string;
  readonly log?: NoticeLog;
}

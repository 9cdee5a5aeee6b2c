import type { Contract, LicenseItem } from '../contract/model.js';
import type { Business } from '../setup/model.js';
import type { AllocationRequest, LedgerTransition } from './ledger.js';
import type { DirectLicense } from './licenses.js';
import type { Allocation, Ledger } from './model.js';

export interface AllocationOutcome {
  /** The ledger after the write (or as read, when nothing changed). */
  readonly ledger: Ledger;
  readonly allocation?: Allocation;
  readonly changed: boolean;
  readonly transition?: LedgerTransition;
}

/** What a business holds: its activated contracts with their items, and its direct licenses. */
export interface BusinessHoldings {
  readonly contracts: readonly { readonly contract: Contract; readonly items: readonly LicenseItem[] }[];
  readonly direct: readonly DirectLicense[];
}

/** What reading a business's credits needs (the buyer's pages): no allocation, no direct license. */
export interface LedgerReader {
  /** The business's ledger, strongly consistent; undefined before it held any license. */
  get(businessId: string): Promise<Ledger | undefined>;
  /** Drops lapsed sources from the stored ledger (nothing when none lapsed). */
  refresh(
    businessId: string,
    now: Date,
  ): Promise<{ readonly ledger?: Ledger; readonly transition?: LedgerTransition }>;
  /** Every license of the business with its items: one Query (paged) of its index partition. */
  holdings(businessId: string): Promise<BusinessHoldings>;
}

export interface LedgerStore extends LedgerReader {
  /**
   * Sets one service's allocation with the balance checked by the write itself: concurrent
   * allocations never overdraw together, and one that loses only a race is retried inside.
   * Throws InsufficientCreditsError, OverAllocatedError or LedgerContentionError.
   */
  setAllocation(businessId: string, request: AllocationRequest, now: Date): Promise<AllocationOutcome>;
  /** Drops lapsed sources from the stored ledger (nothing when none lapsed). */
  refresh(
    businessId: string,
    now: Date,
  ): Promise<{ readonly ledger?: Ledger; readonly transition?: LedgerTransition }>;
  /**
   * Adds a license from another channel and its credits in one transaction, idempotently by
   * its reference; LicenseReferenceConflictError when the reference holds a different license.
   */
  addDirectLicense(
    license: DirectLicense,
    who: { readonly primaryEmail: string; readonly businessName: string },
    now: Date,
  ): Promise<{ readonly created: boolean; readonly license: DirectLicense; readonly ledger: Ledger }>;
  /** Over-allocated businesses at `now` (lapsed sources counted), longest first, at most `limit`. */
  overAllocated(now: Date, limit: number): Promise<Ledger[]>;
}

export interface BusinessDirectory {
  get(businessId: string): Promise<Business | undefined>;
  /** The business whose primary user signs in with this email (normalized), if any. */
  findByEmail(email: string): Promise<Business | undefined>;
}

/** Tells the primary user of a business that it became over-allocated; never throws. */
export interface CreditNotices {
  overAllocated(ledger: Ledger): Promise<void>;
}

/**
 * The credits of a business (R2, R9): what it holds (sources), what its services hold
 * (allocations), and the balance between them, kept in one ledger per business.
 */

/** Where a business's credits come from: an activated marketplace contract, or a license from another channel (R2). */
export type SourceKind = 'contract' | 'direct';

/** One license the business holds, as it counts: its active credits until its expiration instant. */
export interface CreditSource {
  readonly kind: SourceKind;
  readonly productCode: string;
  /** The active items' credits (a contract) or the license's credits (another channel). */
  readonly credits: number;
  /** The instant it stops counting, whether or not a notification arrives then (R2). */
  readonly expiresAt: string;
  /** A registered order line's service and term start: what the order conflict check reads (R12). */
  readonly service?: string;
  readonly startsAt?: string;
}

/** What one service of the vendor's product holds for the business while enabled (R9). */
export interface Allocation {
  readonly service: string;
  readonly productCode: string;
  /** Units of the service (e.g. endpoints). */
  readonly units: number;
  /** units × the service's published rate when it was set (R14). */
  readonly credits: number;
  readonly updatedAt: string;
}

/**
 * One business's credits. `total`, `allocated` and `balance` are kept with the sources and
 * allocations in one item, so the balance check is a condition on that item (never
 * read-then-write), and `balance = total − allocated` holds after every write.
 */
export interface Ledger {
  readonly businessId: string;
  /** Where notices about this business's credits go (the primary user, R7). */
  readonly primaryEmail?: string;
  readonly businessName?: string;
  /** Counted sources by id (`contractId`, or `direct~<reference>`); an ended or lapsed one is removed. */
  readonly sources: Readonly<Record<string, CreditSource>>;
  /** Allocations by service id. */
  readonly allocations: Readonly<Record<string, Allocation>>;
  /** Credits of the counted sources. */
  readonly total: number;
  /** Credits the allocations hold. */
  readonly allocated: number;
  /** total − allocated; below zero the business is over-allocated. */
  readonly balance: number;
  /** The earliest `expiresAt` among the sources: until then `total` is exact without reading a clock. */
  readonly earliestExpiry?: string;
  /** Set when the balance went below zero, cleared when it is back at zero or above. */
  readonly overAllocatedSince?: string;
  /** +1 on every write: the optimistic lock of whole-ledger writes, and an event sequence. */
  readonly revision: number;
  readonly updatedAt: string;
}

/** Ledger id of a license from another channel. */
export function directSourceId(reference: string): string {
  return `direct~${reference}`;
}

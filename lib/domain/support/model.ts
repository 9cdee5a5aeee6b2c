import type { CodeRecord } from '../codes/records.js';
import type { LicenseItem, StoredContract } from '../contract/model.js';
import type { AuditEntry } from '../contract/ports.js';
import type { LedgerTransition } from '../credits/ledger.js';
import type { DirectLicense } from '../credits/licenses.js';
import type { Ledger } from '../credits/model.js';
import type { HistoryEntry } from '../events/history.js';
import type { Order, OrderLine } from '../orders/model.js';

/**
 * The support operations (R3, R11): what they read, what they write in one transaction, and
 * what they answer. Support is trusted (an IAM principal with the support policy): what it
 * reads is shown unmasked; what it writes names who did it, why and for which ticket.
 */

/** The id a license goes by in ledgers and the APIs: a contract id, or `direct~<reference>`. */
export type LicenseRef =
  | { readonly kind: 'contract'; readonly contractId: string }
  | { readonly kind: 'direct'; readonly reference: string };

const DIRECT_PREFIX = 'direct~';

/** `direct~<reference>` is a license from another channel; anything else names a contract. */
export function licenseRefOf(license: string): LicenseRef {
  return license.startsWith(DIRECT_PREFIX)
    ? { kind: 'direct', reference: license.slice(DIRECT_PREFIX.length) }
    : { kind: 'contract', contractId: license };
}

/** What a support request carries for the trail (R3): who, why, which ticket. */
export interface SupportActor {
  /** The caller's IAM identity (its ARN), or `local` on the local stack. */
  readonly by: string;
  /** 5–500 characters without control characters (the schema checks). */
  readonly reason: string;
  readonly ticket: string;
}

/** The license as held now: an activated contract, or a direct license (an order line's included). */
export type HeldLicense =
  | { readonly kind: 'contract'; readonly stored: StoredContract }
  | {
      readonly kind: 'direct';
      readonly license: DirectLicense;
      /** The order the license was registered from, when it is an order line (R12). */
      readonly order?: Order;
    };

/** Where a history entry goes (the adapter turns it into keys.history). */
export type HistoryWhere =
  | { readonly on: 'business'; readonly businessId: string }
  | { readonly on: 'license'; readonly reference: string }
  | { readonly on: 'order'; readonly orderId: string };

export interface PlacedHistory {
  readonly where: HistoryWhere;
  readonly entry: HistoryEntry;
}

/** A ledger replaced on the revision read (undefined: it must not exist yet). */
export interface LedgerPut {
  readonly next: Ledger;
  readonly readRevision: number | undefined;
  readonly transition?: LedgerTransition;
}

/** Everything one transfer writes, as one transaction. */
export interface TransferWrite {
  readonly transferId: string;
  readonly at: string;
  readonly license:
    | {
        readonly kind: 'contract';
        /** As read: the write holds only if its version and holder are still these. */
        readonly before: StoredContract;
        readonly next: StoredContract;
        readonly audit: AuditEntry;
      }
    | {
        readonly kind: 'direct';
        readonly before: DirectLicense;
        readonly next: DirectLicense;
        /** The order line's `registeredBy` moved with it (on the order's revision). */
        readonly order?: { readonly before: Order; readonly next: Order };
      };
  readonly ledgers: readonly LedgerPut[];
  readonly history: readonly PlacedHistory[];
  /**
   * The moved license's Activation Codes, each replaced by a new one (R11, R3): the old holder
   * knew the old ones, so they are refused from the transfer on, as a replaced code is.
   */
  readonly codes: readonly TransferredCode[];
}

/** One Activation Code a transfer replaces: the old one's record turns `replaced`, the new one's is created. */
export interface TransferredCode {
  readonly old: string;
  readonly next: CodeRecord;
}

/** A business's credits after a transfer, as the answer shows them. */
export interface LedgerSummary {
  readonly total: number;
  readonly allocated: number;
  readonly balance: number;
  readonly overAllocated: boolean;
}

export interface TransferOutcome {
  readonly transferId: string;
  readonly license: string;
  readonly kind: 'contract' | 'direct';
  readonly fromBusinessId: string;
  readonly toBusinessId: string;
  /** Credits that moved with the license (0 when it counted nothing). */
  readonly credits: number;
  readonly at: string;
  readonly from: LedgerSummary;
  readonly to: LedgerSummary;
}

/** What a code opens, as read now (the record's target resolved). */
export type CodeTargetState =
  | { readonly kind: 'contract-item'; readonly stored: StoredContract; readonly item: LicenseItem }
  | { readonly kind: 'direct'; readonly license: DirectLicense }
  | { readonly kind: 'order-line'; readonly order: Order; readonly line: OrderLine; readonly index: number };

/** Everything one code replacement writes, as one transaction. */
export interface ReplacementWrite {
  readonly at: string;
  /** The old code's record as read (must still be valid) and the new code's (must not exist). */
  readonly old: CodeRecord;
  readonly next: CodeRecord;
  readonly target:
    | {
        readonly kind: 'contract-item';
        readonly contractId: string;
        readonly itemNo: number;
        readonly readVersion: number;
        readonly audit: AuditEntry;
      }
    | {
        readonly kind: 'direct';
        readonly reference: string;
        /** The holder as read: a transfer committed in between stops the write (its entries name the holder). */
        readonly businessId: string;
      }
    | {
        readonly kind: 'order-line';
        readonly orderId: string;
        /** The line's position in the order's `lines` list, checked with its lineNo. */
        readonly index: number;
        readonly lineNo: number;
        readonly readRevision: number;
      };
  readonly history: readonly PlacedHistory[];
}

export interface ReplacementOutcome {
  /** The new code, in full: support hands it to the customer. */
  readonly code: string;
  /** The old code, masked. */
  readonly replaced: string;
}

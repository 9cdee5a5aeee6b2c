import type { Entitlement } from './entitlement.js';
import type { ContractStatus, ItemOrigin, LicenseItem, StoredContract } from './model.js';
import type { ContractChange } from './reconcile.js';

/** How GetEntitlements is asked for one contract's (or one buyer's) rows. */
export type EntitlementFilter =
  | { readonly by: 'license'; readonly licenseArn: string }
  | { readonly by: 'customer'; readonly customerIdentifier: string }
  | { readonly by: 'account'; readonly customerAWSAccountId: string };

export interface EntitlementReader {
  /** Every row for the product and filter, all pages read. */
  read(productCode: string, filter: EntitlementFilter): Promise<Entitlement[]>;
}

/** What caused a change: kept in the audit trail. */
export interface Trigger {
  readonly source: 'sns' | 'eventbridge' | 'setup' | 'sweep' | 'support';
  /** e.g. `entitlement-updated`, `License Updated - Manufacturer`. */
  readonly type: string;
  /** The notification's id (SNS MessageId, EventBridge id). */
  readonly id: string;
  /** The notification's own timestamp (ISO 8601). */
  readonly at: string;
}

export interface ContractSnapshot {
  readonly status: ContractStatus;
  readonly activeCredits: number;
  readonly expiresAt: string;
}

/** An active license item as events show it. */
export interface ItemState {
  readonly itemNo: number;
  readonly origin: ItemOrigin;
  readonly credits: number;
  readonly expiresAt: string;
}

/**
 * The contract as it stands after a change, written with the audit entry so that the events
 * published from the entry (the outbox) tell the state of that change, not of a later one.
 */
export interface ContractState {
  readonly productCode: string;
  readonly status: ContractStatus;
  readonly credits: number;
  readonly expiresAt: string;
  /** The marketplace's latest word on auto-renewal, if it said anything. */
  readonly autoRenew?: boolean;
  /** The business that activated it (R3). */
  readonly businessId?: string;
  readonly items: readonly ItemState[];
}

export interface AuditEntry {
  readonly contractId: string;
  /** The contract version this entry produced. */
  readonly version: number;
  readonly at: string;
  readonly changes: readonly ContractChange[];
  readonly trigger: Trigger;
  readonly before?: ContractSnapshot;
  readonly after: ContractSnapshot;
  /** The contract after this change (absent on entries written before events existed). */
  readonly state?: ContractState;
}

export interface ContractChangeSet {
  readonly next: StoredContract;
  readonly touchedItems: readonly LicenseItem[];
  /** The version that was read; undefined when the contract must not exist yet. */
  readonly expectedVersion: number | undefined;
  readonly audit: AuditEntry;
}

export interface ContractRepository {
  /** The contract and all its items, strongly consistent; undefined if unknown. */
  load(contractId: string): Promise<StoredContract | undefined>;
  /** Ids of the stored contracts of one buyer for one product. */
  findContractIds(
    productCode: string,
    by: { readonly customerAWSAccountId: string } | { readonly customerIdentifier: string },
  ): Promise<string[]>;
  /** Writes the change atomically, or throws ConcurrentUpdateError if the version moved. */
  save(change: ContractChangeSet): Promise<void>;
  /**
   * Writes several contracts' changes in one transaction (a renewal chain's hand-over), or
   * throws ConcurrentUpdateError if any of their versions moved.
   */
  saveAll(changes: readonly ContractChangeSet[]): Promise<void>;
}

export interface Clock {
  now(): Date;
}

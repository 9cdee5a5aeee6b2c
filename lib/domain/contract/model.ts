import type { AgreementTerms, TermsUnavailable } from './agreement.js';

/**
 * The contract model: what we store about one buyer's marketplace agreement for one product
 * and the license items that carry its credits (PRODUCT.md "Words").
 */

/** How a contract is identified at the marketplace: by license (current listings) or by customer (legacy). */
export type ContractKey =
  | { readonly kind: 'license'; readonly productCode: string; readonly licenseId: string }
  | { readonly kind: 'customer'; readonly productCode: string; readonly customerIdentifier: string };

/** Whether the buyer has completed setup (R3–R5). Only the setup flow changes it; a sync never does. */
export type SetupState = 'pending-setup' | 'active';

/**
 * Where the contract is in its term: running, or ended by expiry, early cancellation, or
 * because a newer agreement under another license continues it (renewed, replaced; R13).
 */
export type TermState = 'current' | 'expired' | 'cancelled' | 'renewed' | 'replaced';

/** The terms that end a contract because its successor continues it. */
export type ContinuedTerm = 'renewed' | 'replaced';

/** The one status a person reads: the term when it has ended, else the setup state. */
export type ContractStatus = SetupState | Exclude<TermState, 'current'>;

/** A value the marketplace told us in a notification, kept only if newer than what we have. */
export interface Fact<T> {
  readonly value: T;
  /** The notification's own timestamp (ISO 8601); a later fact wins, whatever the arrival order. */
  readonly asOf: string;
}

/** Facts that notifications carry but GetEntitlements does not. */
export interface ContractFacts {
  readonly freeTrial?: Fact<boolean>;
  readonly offerId?: Fact<string>;
  readonly agreementId?: Fact<string>;
  readonly autoRenew?: Fact<boolean>;
  /** The agreement this one renews or replaces (`Purchase Agreement Created`, intent RENEW/REPLACE). */
  readonly previousAgreementId?: Fact<string>;
  /** Whether that newer agreement renews or replaces the previous one. */
  readonly continuationIntent?: Fact<'RENEW' | 'REPLACE'>;
  /** The agreement's terms from the Agreement API, dated by when they were read. */
  readonly terms?: Fact<AgreementTerms>;
  /** Why the terms could not be read (a channel partner's offer), dated by when that was learned. */
  readonly termsUnavailable?: Fact<TermsUnavailable>;
}

export interface Contract {
  readonly contractId: string;
  readonly key: ContractKey;
  readonly productCode: string;
  readonly licenseArn?: string;
  readonly customerIdentifier?: string;
  readonly customerAWSAccountId?: string;
  readonly setupState: SetupState;
  readonly term: TermState;
  /** End of the current term (ISO 8601): the marketplace's expiration date (R1). */
  readonly expiresAt: string;
  /** When the term ended (expiry or cancellation); absent while it runs. */
  readonly endedAt?: string;
  /** Credits the marketplace entitles now: the sum of the active items' credits. */
  readonly activeCredits: number;
  /** Entitled quantity per marketplace dimension, as last read from GetEntitlements. */
  readonly dimensions: Readonly<Record<string, number>>;
  /** How many license items exist, ended ones included; the next item's number is this + 1. */
  readonly itemCount: number;
  readonly facts: ContractFacts;
  /** Set by the setup flow when a business activates the contract (R3). */
  readonly activatedBy?: string;
  readonly activatedAt?: string;
  /** The activating business's name when it activated, for lists that should not join. */
  readonly businessName?: string;
  /** The contract this one continues (a renewal or replacement under a new license, R13). */
  readonly previousContractId?: string;
  /** The contract that continues this one; set when this one ends as renewed or replaced. */
  readonly nextContractId?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the entitlements behind this state were read. */
  readonly syncedAt: string;
  /** Optimistic-concurrency version: 1 on create, +1 on every write. */
  readonly version: number;
}

/** Why a license item exists (R6, R13). */
export type ItemOrigin = 'purchase' | 'upgrade' | 'renewal' | 'adjustment' | 'reinstatement';

/** Why an item stopped counting; it is kept as history, never deleted. */
export type ItemEndReason = 'expired' | 'cancelled' | 'superseded' | ContinuedTerm;

export interface LicenseItem {
  readonly contractId: string;
  /** 1, 2, 3 … in order of creation. */
  readonly itemNo: number;
  readonly origin: ItemOrigin;
  readonly credits: number;
  readonly createdAt: string;
  /** Shared by every active item of a contract: the contract's expiration date (R6). */
  readonly expiresAt: string;
  readonly state: 'active' | 'ended';
  readonly endedAt?: string;
  readonly endReason?: ItemEndReason;
  /** The item's Activation Code (R11, canonical form): drawn when the item is first written. */
  readonly activationCode?: string;
}

/** A contract as stored: the contract record and all its items, ended ones included. */
export interface StoredContract {
  readonly contract: Contract;
  readonly items: readonly LicenseItem[];
}

/**
 * Whether the contract is a free trial: the accepted terms decide once read (they replace the
 * registration POST's and the notifications' guesses), else the latest guess.
 */
export function freeTrialOf(contract: Pick<Contract, 'facts'>): boolean | undefined {
  const { terms, freeTrial } = contract.facts;
  if (terms) return terms.value.freeTrial !== undefined;
  return freeTrial?.value;
}

/** Whether it renews by itself: the latest of the accepted renewal term and the notifications' flag. */
export function autoRenewOf(contract: Pick<Contract, 'facts'>): boolean | undefined {
  const { terms, autoRenew } = contract.facts;
  const fromTerms = terms?.value.renewal?.autoRenew;
  if (
    terms &&
    fromTerms !== undefined &&
    (!autoRenew || Date.parse(terms.asOf) >= Date.parse(autoRenew.asOf))
  )
    return fromTerms;
  return autoRenew?.value;
}

/** The agreement the contract belongs to, as a notification or the Agreement API said. */
export function agreementIdOf(contract: Pick<Contract, 'facts'>): string | undefined {
  return contract.facts.agreementId?.value ?? contract.facts.terms?.value.agreementId;
}

export function contractStatus(contract: Pick<Contract, 'term' | 'setupState'>): ContractStatus {
  return contract.term === 'current' ? contract.setupState : contract.term;
}

/** What the audit entry records of a contract after a change (its active items, its status): the events' state. */
export function contractState(stored: StoredContract): {
  productCode: string;
  status: ContractStatus;
  credits: number;
  expiresAt: string;
  autoRenew?: boolean;
  businessId?: string;
  items: { itemNo: number; origin: ItemOrigin; credits: number; expiresAt: string }[];
} {
  const { contract } = stored;
  return {
    productCode: contract.productCode,
    status: contractStatus(contract),
    credits: contract.activeCredits,
    expiresAt: contract.expiresAt,
    ...(autoRenewOf(contract) === undefined ? {} : { autoRenew: autoRenewOf(contract) }),
    ...(contract.activatedBy ? { businessId: contract.activatedBy } : {}),
    items: stored.items
      .filter((item) => item.state === 'active')
      .map(({ itemNo, origin, credits, expiresAt }) => ({ itemNo, origin, credits, expiresAt })),
  };
}

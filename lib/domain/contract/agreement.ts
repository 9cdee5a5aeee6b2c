/**
 * An agreement's commercial terms as the Marketplace Agreement API tells them
 * (DescribeAgreement + GetAgreementTerms, MARKETPLACE.md §7), in domain terms. Terms enrich a
 * contract: the total contract value, the renewal behaviour, the free trial, the chain of
 * renewals. Quantities and dates for credits still come from GetEntitlements (R1).
 */

/** The API's statuses; a status this code does not know yet is kept as it came. */
export type AgreementStatus =
  | 'ACTIVE'
  | 'ARCHIVED'
  | 'CANCELLED'
  | 'EXPIRED'
  | 'RENEWED'
  | 'REPLACED'
  | 'ROLLED_BACK'
  | 'SUPERSEDED'
  | 'TERMINATED'
  | (string & {});

/** The statuses an agreement ends in when a newer agreement continues it (R13). */
export const CONTINUED_STATUSES: ReadonlySet<string> = new Set(['RENEWED', 'REPLACED']);

export interface ContractValue {
  /** A decimal string as the API sends it (`"1200.00"`): money is never a float here. */
  readonly amount: string;
  /** ISO 4217, e.g. `USD`. */
  readonly currency: string;
}

/** What happens when the agreement reaches its end time, and why (`endTimeBehavior`). */
export interface EndBehavior {
  /** `RENEW`, `REPLACE` or `EXPIRE`. */
  readonly type: string;
  /** e.g. `ACCEPTOR_RENEW_OPTED_OUT`, `NO_RENEWAL_TERM`, `RENEWAL_LIMIT_EXHAUSTED`. */
  readonly reasonCode?: string;
  /** The offer the agreement renews into. */
  readonly renewalOfferId?: string;
}

/** The accepted renewal term (`renewalTerm`). */
export interface RenewalTerms {
  readonly autoRenew?: boolean;
  /** ISO 8601 duration before the end in which the buyer can no longer change it, e.g. `P30D`. */
  readonly lockoutPeriod?: string;
  readonly maxRenewals?: number;
  readonly adjustmentDeadline?: string;
  /** The price increase at renewal, in words: `5%` or `3%–7%`. */
  readonly priceIncrease?: string;
}

export interface FreeTrialTerms {
  /** ISO 8601 duration, e.g. `P30D`. */
  readonly duration?: string;
  /** Quantity limit per dimension during the trial. */
  readonly grants: Readonly<Record<string, number>>;
}

export interface AgreementTerms {
  readonly agreementId: string;
  /** The same for every agreement of a chain of renewals and replacements. */
  readonly initialAgreementId?: string;
  readonly status: AgreementStatus;
  readonly acceptorAccountId?: string;
  readonly offerId?: string;
  /** ISO 8601. */
  readonly startTime?: string;
  readonly endTime?: string;
  readonly acceptanceTime?: string;
  /** `estimatedCharges`: the total contract value, amendments that added units included. */
  readonly contractValue?: ContractValue;
  readonly endBehavior?: EndBehavior;
  readonly renewal?: RenewalTerms;
  /** Present only when the accepted terms hold a free-trial pricing term. */
  readonly freeTrial?: FreeTrialTerms;
  /** The buyer's chosen duration (ISO 8601, e.g. `P12M`) from the configurable upfront term. */
  readonly duration?: string;
  /** Units per dimension the buyer chose (configurable upfront term), or granted (fixed upfront). */
  readonly units: Readonly<Record<string, number>>;
}

/** Why the terms of an agreement could not be read; recorded, shown, and not retried on every sync. */
export interface TermsUnavailable {
  readonly agreementId: string;
  /** `access-denied`: the seller is only the manufacturer (a channel partner's private offer). */
  readonly reason: 'access-denied' | 'not-found';
  readonly message: string;
}

export type AgreementRead =
  | { readonly kind: 'found'; readonly terms: AgreementTerms }
  | { readonly kind: 'unavailable'; readonly unavailable: TermsUnavailable };

/** One agreement as SearchAgreements lists it. */
export interface AgreementSummary {
  readonly agreementId: string;
  readonly initialAgreementId?: string;
  readonly status: AgreementStatus;
  readonly acceptorAccountId?: string;
  /** The catalog ids (`prod-…`) of the products it is for. */
  readonly productIds: readonly string[];
  readonly offerId?: string;
  readonly startTime?: string;
  readonly endTime?: string;
  readonly lastUpdateTime?: string;
  readonly licenseArns: readonly string[];
}

export interface AgreementSearch {
  /** Only agreements updated after this instant (ISO 8601): the sweep's watermark. */
  readonly afterLastUpdateTime?: string;
  readonly initialAgreementId?: string;
  readonly licenseArn?: string;
  readonly acceptorAccountId?: string;
  readonly nextToken?: string;
}

export interface AgreementPage {
  /** Sorted by last update time, oldest first, when searched by update time. */
  readonly summaries: readonly AgreementSummary[];
  readonly nextToken?: string;
}

/** The Agreement API, as the seller (proposer) calls it. */
export interface AgreementReader {
  /** DescribeAgreement and every page of GetAgreementTerms; refusals become `unavailable`. */
  read(agreementId: string): Promise<AgreementRead>;
  /** One page of SearchAgreements as proposer for purchase agreements. */
  search(query: AgreementSearch): Promise<AgreementPage>;
}

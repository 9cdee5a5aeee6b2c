import { randomBytes, randomInt } from 'node:crypto';
import { addUtcMonths, assertPositiveInteger } from './license.js';
import type { Quantities } from './state.js';

/**
 * The agreement side of the simulated marketplace: what DescribeAgreement, GetAgreementTerms,
 * SearchAgreements and GetAgreementEntitlements answer about (MARKETPLACE.md §7). Agreements
 * name licenses by ARN; the licenses themselves stay in MarketplaceState.
 *
 * Pricing, so values are easy to check by hand: every dimension costs 1.00 USD per unit per
 * month (`PRICE_PER_UNIT_MONTH_CENTS`), so 100 units for 12 months is "1200.00". An upgrade adds
 * the added units for the remaining part of the term, prorated by time and rounded to cents.
 * A free trial costs "0.00".
 */

export const AGREEMENT_STATUSES = [
  'ACTIVE',
  'ARCHIVED',
  'CANCELLED',
  'EXPIRED',
  'RENEWED',
  'REPLACED',
  'ROLLED_BACK',
  'SUPERSEDED',
  'TERMINATED',
] as const;
export type AgreementStatus = (typeof AGREEMENT_STATUSES)[number];
/** The statuses `endAgreement` can set (ACTIVE is where agreements start, EXPIRED comes from the clock). */
export type EndedAgreementStatus = Exclude<AgreementStatus, 'ACTIVE'>;
export type AgreementIntent = 'NEW' | 'RENEW' | 'REPLACE';
export type EndTimeBehaviorType = 'RENEW' | 'REPLACE' | 'EXPIRE';
export type EndTimeBehaviorReasonCode =
  | 'PROPOSER_RENEW_OPTED_OUT'
  | 'ACCEPTOR_RENEW_OPTED_OUT'
  | 'NO_RENEWAL_TERM'
  | 'RENEWAL_LIMIT_EXHAUSTED';

/** 1.00 USD per unit of any dimension per month of term. */
export const PRICE_PER_UNIT_MONTH_CENTS = 100;
export const FREE_TRIAL_DAYS = 30;
const DAY_MS = 86_400_000;

export interface EndTimeBehavior {
  type: EndTimeBehaviorType;
  reasonCode?: EndTimeBehaviorReasonCode;
  renewalSummary?: { offerId: string };
}

/** Accepted terms in their wire shape (they hold no timestamps, so they go out as they are). */
export interface ConfigurableUpfrontPricingTerm {
  type: 'ConfigurableUpfrontPricingTerm';
  id: string;
  currencyCode: 'USD';
  rateCards: {
    selector: { type: 'Duration'; value: string };
    constraints: { multipleDimensionSelection: 'Allowed'; quantityConfiguration: 'Allowed' };
    rateCard: { dimensionKey: string; price: string }[];
  }[];
  configuration: { selectorValue: string; dimensions: { dimensionKey: string; dimensionValue: number }[] };
}

export interface RenewalTerm {
  type: 'RenewalTerm';
  id: string;
  configuration: { enableAutoRenew: boolean };
  lockoutPeriod: 'P30D';
  maxRenewals?: number;
  priceIncrease?: { fixedPercentage: { value: string } };
}

export interface FreeTrialPricingTerm {
  type: 'FreeTrialPricingTerm';
  id: string;
  duration: string;
  grants: { dimensionKey: string; maxQuantity: number }[];
}

export interface LegalTerm {
  type: 'LegalTerm';
  id: string;
  documents: { type: 'StandardEula'; url: string; version: string }[];
}

export interface AgreementTerms {
  legalTerm: LegalTerm;
  configurableUpfrontPricingTerm: ConfigurableUpfrontPricingTerm;
  freeTrialPricingTerm?: FreeTrialPricingTerm;
  /** Absent for free trials: they end and do not renew (endTimeBehavior EXPIRE, NO_RENEWAL_TERM). */
  renewalTerm?: RenewalTerm;
}

export interface Agreement {
  agreementId: string;
  /** The first agreement of the renewal/replacement chain; its own id for a first agreement. */
  initialAgreementId: string;
  previousAgreementId?: string;
  /** How it came about; what `Purchase Agreement Created` carries as `agreement.intent`. */
  intent: AgreementIntent;
  acceptorAccountId: string;
  /** The seller, or for a channel partner's private offer the partner. */
  proposerAccountId: string;
  productId: string;
  offerId: string;
  /** As read at the simulator's `now`: an ACTIVE agreement past its endTime reads EXPIRED. */
  status: AgreementStatus;
  startTime: Date;
  endTime: Date;
  acceptanceTime: Date;
  /** Strictly increasing across the book; an expiry read from the clock reports its endTime. */
  lastUpdateTime: Date;
  endTimeBehavior: EndTimeBehavior;
  estimatedCharges: { currencyCode: 'USD'; agreementValue: string };
  licenseArns: string[];
  terms: AgreementTerms;
  /** A channel partner's private offer: the seller is only the manufacturer and is refused access. */
  manufacturerOnly: boolean;
}

export interface CreateAgreementRequest {
  acceptorAccountId: string;
  proposerAccountId: string;
  /** `prod-…` */
  productId: string;
  licenseArn: string;
  /** Units per dimension bought; they become the configuration and, for a free trial, the grants. */
  quantities: Quantities;
  /** Term length in months: the selector (`P<months>M`) and the price. Ignored by a free trial. */
  months: number;
  /** Default: now. */
  startTime?: Date;
  /** Default: startTime + months (a free trial: + 30 days). */
  endTime?: Date;
  /** Default false. */
  autoRenew?: boolean;
  freeTrial?: boolean;
  manufacturerOnly?: boolean;
  /** Default: a new `offer-…`, or the previous agreement's offer for a RENEW. */
  offerId?: string;
  /**
   * The agreement this one renews or replaces. It must be ACTIVE (or just EXPIRED); it becomes
   * RENEWED or REPLACED, and this one joins its chain.
   */
  previousAgreementId?: string;
  /** With previousAgreementId: RENEW (default) or REPLACE. */
  intent?: 'RENEW' | 'REPLACE';
  maxRenewals?: number;
  /** Renewal price increase, e.g. `'5'` percent. */
  priceIncreasePercent?: string;
  /** Default: a new `agmt-…`; given when a state file from before agreements is migrated. */
  agreementId?: string;
}

export interface AmendAgreementRequest {
  /** Units to add per dimension (upgrades never decrease quantities). */
  addQuantities?: Quantities;
  autoRenew?: boolean;
  /** Another license the agreement now grants. */
  addLicenseArn?: string;
}

/** The agreement asked for is not in the simulator. */
export class AgreementNotFoundError extends Error {
  override readonly name = 'AgreementNotFoundError';
  constructor(readonly agreementId: string) {
    super(`No agreement ${agreementId} in the marketplace simulator`);
  }
}

/** The change is not possible in the agreement's current state (for example amending a cancelled one). */
export class AgreementStateError extends Error {
  override readonly name = 'AgreementStateError';
}

/** The simulator was asked to store an agreement the real service could never return. */
export class InvalidAgreementError extends Error {
  override readonly name = 'InvalidAgreementError';
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const PRODUCT_ID = /^prod-[A-Za-z0-9]{1,64}$/;
const ACCOUNT_ID = /^\d{12}$/;

function randomId(length: number): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** `agmt-` plus 26 lowercase alphanumerics. */
export const newAgreementId = (): string => `agmt-${randomId(26)}`;
export const newOfferId = (): string => `offer-${randomId(25)}`;
const newTermId = (): string => `term-${randomBytes(16).toString('hex')}`;

const formatCents = (cents: number): string =>
  `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
const parseCents = (value: string): number => {
  const [whole = '0', fraction = '0'] = value.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
};

/** Deep copy; Dates included. */
export function cloneAgreement(agreement: Agreement): Agreement {
  return structuredClone(agreement);
}

/**
 * The simulator's agreements, keyed by id, in creation order. Every change moves the
 * agreement's lastUpdateTime to `now`, or 1 ms past the book's latest update when the clock
 * has not moved, so a watermark on AfterLastUpdateTime never misses a change.
 */
export class AgreementBook {
  readonly #now: () => Date;
  readonly #agreements = new Map<string, Agreement>();
  #lastUpdateMs = Number.NEGATIVE_INFINITY;

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** A new ACTIVE agreement; with previousAgreementId the previous one becomes RENEWED or REPLACED. */
  create(request: CreateAgreementRequest): Agreement {
    validateRequest(request);
    const previous =
      request.previousAgreementId === undefined ? undefined : this.#require(request.previousAgreementId);
    if (previous !== undefined && !['ACTIVE', 'EXPIRED'].includes(this.#read(previous).status)) {
      throw new AgreementStateError(
        `Agreement ${previous.agreementId} is ${this.#read(previous).status}; only an active or expired agreement can be renewed or replaced`,
      );
    }
    const intent: AgreementIntent = previous === undefined ? 'NEW' : (request.intent ?? 'RENEW');
    const now = this.#now();
    const startTime = request.startTime ?? now;
    const freeTrial = request.freeTrial === true;
    const endTime =
      request.endTime ??
      (freeTrial
        ? new Date(startTime.getTime() + FREE_TRIAL_DAYS * DAY_MS)
        : addUtcMonths(startTime, request.months));
    if (endTime.getTime() <= startTime.getTime())
      throw new InvalidAgreementError('endTime must be after startTime');
    const offerId =
      request.offerId ?? (intent === 'RENEW' && previous !== undefined ? previous.offerId : newOfferId());
    const agreementId = request.agreementId ?? newAgreementId();
    if (this.#agreements.has(agreementId))
      throw new InvalidAgreementError(`Agreement ${agreementId} exists already`);
    const autoRenew = !freeTrial && request.autoRenew === true;
    const dimensions = Object.entries(request.quantities).map(([dimensionKey, dimensionValue]) => ({
      dimensionKey,
      dimensionValue,
    }));
    const unitsTotal = dimensions.reduce((sum, d) => sum + d.dimensionValue, 0);
    const terms: AgreementTerms = {
      legalTerm: {
        type: 'LegalTerm',
        id: newTermId(),
        documents: [
          {
            type: 'StandardEula',
            url: 'https://s3.amazonaws.com/aws-mp-standard-contracts/Standard-Contact-for-AWS-Marketplace-2022-07-14.pdf',
            version: '2022-07-14',
          },
        ],
      },
      configurableUpfrontPricingTerm: {
        type: 'ConfigurableUpfrontPricingTerm',
        id: newTermId(),
        currencyCode: 'USD',
        rateCards: [
          {
            selector: { type: 'Duration', value: `P${request.months}M` },
            constraints: { multipleDimensionSelection: 'Allowed', quantityConfiguration: 'Allowed' },
            rateCard: dimensions.map((d) => ({
              dimensionKey: d.dimensionKey,
              price: formatCents(PRICE_PER_UNIT_MONTH_CENTS * request.months),
            })),
          },
        ],
        configuration: { selectorValue: `P${request.months}M`, dimensions },
      },
    };
    if (freeTrial) {
      terms.freeTrialPricingTerm = {
        type: 'FreeTrialPricingTerm',
        id: newTermId(),
        duration: `P${FREE_TRIAL_DAYS}D`,
        grants: dimensions.map((d) => ({ dimensionKey: d.dimensionKey, maxQuantity: d.dimensionValue })),
      };
    } else {
      terms.renewalTerm = {
        type: 'RenewalTerm',
        id: newTermId(),
        configuration: { enableAutoRenew: autoRenew },
        lockoutPeriod: 'P30D',
        ...(request.maxRenewals === undefined ? {} : { maxRenewals: request.maxRenewals }),
        ...(request.priceIncreasePercent === undefined
          ? {}
          : { priceIncrease: { fixedPercentage: { value: request.priceIncreasePercent } } }),
      };
    }
    const agreement: Agreement = {
      agreementId,
      initialAgreementId: previous?.initialAgreementId ?? agreementId,
      ...(previous === undefined ? {} : { previousAgreementId: previous.agreementId }),
      intent,
      acceptorAccountId: request.acceptorAccountId,
      proposerAccountId: request.proposerAccountId,
      productId: request.productId,
      offerId,
      status: 'ACTIVE',
      startTime: new Date(startTime.getTime()),
      endTime: new Date(endTime.getTime()),
      acceptanceTime: new Date(now.getTime()),
      lastUpdateTime: this.#nextUpdateTime(),
      endTimeBehavior: endTimeBehaviorOf(terms, offerId),
      estimatedCharges: {
        currencyCode: 'USD',
        agreementValue: formatCents(freeTrial ? 0 : unitsTotal * PRICE_PER_UNIT_MONTH_CENTS * request.months),
      },
      licenseArns: [request.licenseArn],
      terms,
      manufacturerOnly: request.manufacturerOnly === true,
    };
    if (previous !== undefined) {
      previous.status = intent === 'RENEW' ? 'RENEWED' : 'REPLACED';
      previous.lastUpdateTime = this.#nextUpdateTime();
    }
    this.#agreements.set(agreementId, agreement);
    return this.#read(agreement);
  }

  /** An amendment of an ACTIVE agreement: upgrade units (value up, prorated), auto-renew on/off. */
  amend(agreementId: string, change: AmendAgreementRequest): Agreement {
    const agreement = this.#require(agreementId);
    const status = this.#read(agreement).status;
    if (status !== 'ACTIVE')
      throw new AgreementStateError(`Agreement ${agreementId} is ${status}; it cannot be amended`);
    const { terms } = agreement;
    if (change.addQuantities !== undefined) {
      const now = this.#now().getTime();
      const start = agreement.startTime.getTime();
      const end = agreement.endTime.getTime();
      const remaining = Math.min(1, Math.max(0, (end - Math.max(now, start)) / (end - start)));
      const months = Number(
        /^P(\d+)M$/.exec(terms.configurableUpfrontPricingTerm.configuration.selectorValue)?.[1] ?? 1,
      );
      let addedCents = 0;
      const dimensions = terms.configurableUpfrontPricingTerm.configuration.dimensions;
      for (const [dimensionKey, quantity] of Object.entries(change.addQuantities)) {
        assertPositiveInteger(quantity, `quantity of ${dimensionKey}`);
        const existing = dimensions.find((d) => d.dimensionKey === dimensionKey);
        if (existing === undefined) dimensions.push({ dimensionKey, dimensionValue: quantity });
        else existing.dimensionValue += quantity;
        const grant = terms.freeTrialPricingTerm?.grants.find((g) => g.dimensionKey === dimensionKey);
        if (grant !== undefined) grant.maxQuantity += quantity;
        else terms.freeTrialPricingTerm?.grants.push({ dimensionKey, maxQuantity: quantity });
        addedCents += Math.round(quantity * PRICE_PER_UNIT_MONTH_CENTS * months * remaining);
      }
      if (terms.freeTrialPricingTerm === undefined) {
        agreement.estimatedCharges.agreementValue = formatCents(
          parseCents(agreement.estimatedCharges.agreementValue) + addedCents,
        );
      }
    }
    if (change.autoRenew !== undefined) {
      if (terms.renewalTerm === undefined) {
        throw new AgreementStateError(
          `Agreement ${agreementId} has no renewal term (a free trial); it cannot renew`,
        );
      }
      terms.renewalTerm.configuration.enableAutoRenew = change.autoRenew;
      agreement.endTimeBehavior = endTimeBehaviorOf(terms, agreement.offerId);
    }
    if (change.addLicenseArn !== undefined && !agreement.licenseArns.includes(change.addLicenseArn)) {
      agreement.licenseArns.push(change.addLicenseArn);
    }
    agreement.lastUpdateTime = this.#nextUpdateTime();
    return this.#read(agreement);
  }

  /** Ends an ACTIVE agreement. CANCELLED and TERMINATED end it now: its endTime moves to now. */
  end(agreementId: string, status: EndedAgreementStatus): Agreement {
    const agreement = this.#require(agreementId);
    const current = this.#read(agreement).status;
    if (current !== 'ACTIVE') throw new AgreementStateError(`Agreement ${agreementId} is already ${current}`);
    if (!(AGREEMENT_STATUSES as readonly string[]).includes(status) || status === ('ACTIVE' as string)) {
      throw new InvalidAgreementError(`An agreement cannot be ended as ${status}`);
    }
    agreement.status = status;
    if (status === 'CANCELLED' || status === 'TERMINATED') {
      const now = this.#now();
      if (now.getTime() < agreement.endTime.getTime()) agreement.endTime = new Date(now.getTime());
    }
    agreement.lastUpdateTime = this.#nextUpdateTime();
    return this.#read(agreement);
  }

  /**
   * Stores an agreement as given (a reload from a state file, or a test's hand-made one).
   * Later changes still get increasing lastUpdateTimes.
   */
  put(agreement: Agreement): Agreement {
    if (!/^agmt-[a-z0-9]{1,60}$/.test(agreement.agreementId)) {
      throw new InvalidAgreementError(
        `agreementId must look like agmt-<lowercase alphanumerics>, got ${agreement.agreementId}`,
      );
    }
    if (!PRODUCT_ID.test(agreement.productId))
      throw new InvalidAgreementError(`productId must look like prod-…, got ${agreement.productId}`);
    if (!(AGREEMENT_STATUSES as readonly string[]).includes(agreement.status)) {
      throw new InvalidAgreementError(`Unknown agreement status ${agreement.status}`);
    }
    const stored = cloneAgreement(agreement);
    this.#agreements.set(stored.agreementId, stored);
    this.#lastUpdateMs = Math.max(this.#lastUpdateMs, stored.lastUpdateTime.getTime());
    return this.#read(stored);
  }

  get(agreementId: string): Agreement | undefined {
    const agreement = this.#agreements.get(agreementId);
    return agreement === undefined ? undefined : this.#read(agreement);
  }

  /** All agreements as read now, in creation order. */
  list(): Agreement[] {
    return [...this.#agreements.values()].map((a) => this.#read(a));
  }

  /** A copy with the status (and lastUpdateTime) an expiry by the clock implies. */
  #read(agreement: Agreement): Agreement {
    const copy = cloneAgreement(agreement);
    const nowMs = this.#now().getTime();
    if (copy.status === 'ACTIVE' && copy.endTime.getTime() <= nowMs) {
      copy.status = 'EXPIRED';
      if (copy.endTime.getTime() > copy.lastUpdateTime.getTime())
        copy.lastUpdateTime = new Date(copy.endTime.getTime());
    }
    return copy;
  }

  #require(agreementId: string): Agreement {
    const agreement = this.#agreements.get(agreementId);
    if (agreement === undefined) throw new AgreementNotFoundError(agreementId);
    return agreement;
  }

  #nextUpdateTime(): Date {
    const ms = Math.max(this.#now().getTime(), this.#lastUpdateMs + 1);
    this.#lastUpdateMs = ms;
    return new Date(ms);
  }
}

function endTimeBehaviorOf(terms: AgreementTerms, offerId: string): EndTimeBehavior {
  if (terms.renewalTerm === undefined) return { type: 'EXPIRE', reasonCode: 'NO_RENEWAL_TERM' };
  return terms.renewalTerm.configuration.enableAutoRenew
    ? { type: 'RENEW', renewalSummary: { offerId } }
    : { type: 'EXPIRE', reasonCode: 'ACCEPTOR_RENEW_OPTED_OUT', renewalSummary: { offerId } };
}

function validateRequest(request: CreateAgreementRequest): void {
  if (!ACCOUNT_ID.test(request.acceptorAccountId)) {
    throw new InvalidAgreementError(`acceptorAccountId must be 12 digits, got ${request.acceptorAccountId}`);
  }
  if (!ACCOUNT_ID.test(request.proposerAccountId)) {
    throw new InvalidAgreementError(`proposerAccountId must be 12 digits, got ${request.proposerAccountId}`);
  }
  if (!PRODUCT_ID.test(request.productId)) {
    throw new InvalidAgreementError(
      `productId must look like prod-<alphanumerics>, got ${request.productId}`,
    );
  }
  if (request.licenseArn.length === 0) throw new InvalidAgreementError('licenseArn is required');
  assertPositiveInteger(request.months, 'months');
  const entries = Object.entries(request.quantities);
  if (entries.length === 0) throw new InvalidAgreementError('quantities must name at least one dimension');
  for (const [dimension, quantity] of entries) assertPositiveInteger(quantity, `quantity of ${dimension}`);
  if (request.maxRenewals !== undefined) assertPositiveInteger(request.maxRenewals, 'maxRenewals');
}

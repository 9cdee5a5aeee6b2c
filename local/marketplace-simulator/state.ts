import { type AgreementEntitlementRow, acceptedTerms } from './agreement-protocol.js';
import { AgreementPager, type Page, type PageQuery, type SearchQuery } from './agreement-query.js';
import {
  type Agreement,
  AgreementBook,
  type AmendAgreementRequest,
  type CreateAgreementRequest,
  type EndedAgreementStatus,
} from './agreements.js';
import { type EntitlementPage, EntitlementPager, type EntitlementQuery } from './entitlement-query.js';
import {
  addUtcMonths,
  assertPositiveInteger,
  assertValidLicense,
  cloneLicense,
  InvalidLicenseError,
  type License,
  type LicenseEntitlement,
  LicenseNotFoundError,
  LicenseStateError,
  licenseExpiration,
  newAccountId,
  newCustomerIdentifier,
  newLicenseArn,
} from './license.js';
import { RegistrationTokens, type ResolvedCustomer } from './registration-tokens.js';
import { accessDenied, resourceNotFound } from './service-error.js';

export interface MarketplaceStateOptions {
  /** Simulator clock; token expiry, purchase dates and entitlement expiry all read it. Default: real time. */
  now?: () => Date;
}

/** Quantity per dimension API name, e.g. `{ Users: 10, AdminUsers: 2 }`. */
export type Quantities = Readonly<Record<string, number>>;

export interface PurchaseRequest {
  productCode: string;
  /** 12 digits; a fresh account is generated when absent. */
  customerAWSAccountId?: string;
  quantities: Quantities;
  /** Contract length in whole months, counted from `now()` in UTC. */
  months: number;
  /** Overrides the end date `months` implies (a free trial's 30 days, for example). */
  endDate?: Date;
  /** A legacy (CustomerIdentifier-era) listing: ResolveCustomer and GetEntitlements then carry a CustomerIdentifier. */
  legacy?: boolean;
}

export interface RenewRequest {
  months: number;
  /** The quantities of the renewed term; when absent the current ones carry over. */
  quantities?: Quantities;
}

/**
 * The in-memory marketplace: licenses, agreements and registration tokens, with the buyer
 * actions (purchase, upgrade, renew, cancel) that change licenses and the agreement book
 * methods (create, amend, end) that change agreements. Licenses and agreements are changed
 * separately: the caller (the marketplace console) keeps them consistent. Every method
 * returns copies.
 */
export class MarketplaceState {
  protected readonly now: () => Date;
  readonly #licenses = new Map<string, License>();
  readonly #tokens: RegistrationTokens;
  readonly #pager = new EntitlementPager();
  readonly #agreements: AgreementBook;
  readonly #agreementPager = new AgreementPager();

  constructor(options: MarketplaceStateOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.#tokens = new RegistrationTokens(this.now);
    this.#agreements = new AgreementBook(this.now);
  }

  /** Stores (or replaces) a license as given. Throws InvalidLicenseError for shapes the real service never returns. */
  putLicense(license: License): License {
    assertValidLicense(license);
    const stored = cloneLicense(license);
    this.#licenses.set(stored.licenseArn, stored);
    return cloneLicense(stored);
  }

  getLicense(licenseArn: string): License | undefined {
    const license = this.#licenses.get(licenseArn);
    return license === undefined ? undefined : cloneLicense(license);
  }

  /** Removes the license; tokens minted for it still resolve (they are snapshots). Returns whether it existed. */
  deleteLicense(licenseArn: string): boolean {
    return this.#licenses.delete(licenseArn);
  }

  /** All licenses, in the order they were first stored. */
  listLicenses(): License[] {
    return [...this.#licenses.values()].map(cloneLicense);
  }

  /** A buyer accepts a public offer: a new license whose entitlements all end `months` from now. */
  purchase(request: PurchaseRequest): License {
    assertPositiveInteger(request.months, 'months');
    const account = request.customerAWSAccountId ?? newAccountId();
    const expirationDate = request.endDate ?? addUtcMonths(this.now(), request.months);
    const license: License = {
      licenseArn: newLicenseArn(account),
      productCode: request.productCode,
      customerAWSAccountId: account,
      entitlements: toEntitlements(request.quantities, expirationDate),
    };
    if (request.legacy === true) license.customerIdentifier = newCustomerIdentifier();
    return this.putLicense(license);
  }

  /**
   * Mid-contract upgrade: adds `quantities` to the current ones (new dimensions are added).
   * The end date stays the same, as Marketplace upgrades keep it; quantities never decrease.
   */
  upgrade(licenseArn: string, quantities: Quantities): License {
    const license = this.#require(licenseArn);
    const expirationDate = licenseExpiration(license);
    if (expirationDate === undefined || expirationDate.getTime() <= this.now().getTime()) {
      throw new LicenseStateError(`License ${licenseArn} has no running contract to upgrade`);
    }
    const added = toEntitlements(quantities, expirationDate);
    const entitlements = license.entitlements.map((e) => ({ ...e }));
    for (const addition of added) {
      const existing = entitlements.find((e) => e.dimension === addition.dimension);
      if (existing === undefined) entitlements.push(addition);
      else existing.quantity += addition.quantity;
    }
    return this.putLicense({ ...license, entitlements });
  }

  /** Renewal: the new end date is the old end date plus `months`; quantities may change with it. */
  renew(licenseArn: string, request: RenewRequest): License {
    const license = this.#require(licenseArn);
    assertPositiveInteger(request.months, 'months');
    const previousEnd = licenseExpiration(license);
    if (previousEnd === undefined) {
      throw new LicenseStateError(`License ${licenseArn} was cancelled; a renewal needs a contract end date`);
    }
    const expirationDate = addUtcMonths(previousEnd, request.months);
    const entitlements =
      request.quantities === undefined
        ? license.entitlements.map((e) => ({ ...e, expirationDate: new Date(expirationDate.getTime()) }))
        : toEntitlements(request.quantities, expirationDate);
    return this.putLicense({ ...license, entitlements });
  }

  /** Cancellation: the license stays (tokens still resolve) but it has no entitlements any more. */
  cancel(licenseArn: string): License {
    const license = this.#require(licenseArn);
    return this.putLicense({ ...license, entitlements: [] });
  }

  /** A registration token for the license, as the buyer's browser would POST it to the fulfillment URL. */
  mintToken(licenseArn: string): string {
    const license = this.#require(licenseArn);
    const resolved: ResolvedCustomer = {
      customerAWSAccountId: license.customerAWSAccountId,
      productCode: license.productCode,
      licenseArn: license.licenseArn,
    };
    if (license.customerIdentifier !== undefined) resolved.customerIdentifier = license.customerIdentifier;
    return this.#tokens.mint(resolved);
  }

  /** ResolveCustomer semantics in-process (no faults, no call log). Throws ServiceError. */
  resolveCustomer(registrationToken: string): ResolvedCustomer {
    return this.#tokens.resolve(registrationToken);
  }

  /** GetEntitlements semantics in-process (no faults, no call log). Throws ServiceError. */
  getEntitlements(query: EntitlementQuery): EntitlementPage {
    return this.#pager.page(this.#licenses.values(), query, this.now());
  }

  // ---- agreements ----

  /**
   * A buyer accepts an offer: a new ACTIVE agreement for `licenseArn`. With
   * `previousAgreementId` it renews or replaces that agreement (which becomes RENEWED or
   * REPLACED) and joins its chain. Throws InvalidAgreementError, AgreementNotFoundError,
   * AgreementStateError.
   */
  createAgreement(request: CreateAgreementRequest): Agreement {
    return this.#agreements.create(request);
  }

  /** Upgrade units (value up, prorated), turn auto-renew on/off, add a license. ACTIVE agreements only. */
  amendAgreement(agreementId: string, change: AmendAgreementRequest): Agreement {
    return this.#agreements.amend(agreementId, change);
  }

  /** CANCELLED, TERMINATED (endTime moves to now), RENEWED, REPLACED, …; ACTIVE agreements only. */
  endAgreement(agreementId: string, status: EndedAgreementStatus): Agreement {
    return this.#agreements.end(agreementId, status);
  }

  /** Stores an agreement as given, e.g. reloaded from a state file. */
  putAgreement(agreement: Agreement): Agreement {
    return this.#agreements.put(agreement);
  }

  /** As read now: an ACTIVE agreement past its end reads EXPIRED. */
  getAgreement(agreementId: string): Agreement | undefined {
    return this.#agreements.get(agreementId);
  }

  /** All agreements, in creation order. */
  listAgreements(): Agreement[] {
    return this.#agreements.list();
  }

  /** The agreements that grant `licenseArn`, oldest first; the last is the license's current one. */
  agreementsForLicense(licenseArn: string): Agreement[] {
    return this.#agreements.list().filter((a) => a.licenseArns.includes(licenseArn));
  }

  /** DescribeAgreement semantics in-process (no faults, no call log). Throws ServiceError. */
  describeAgreement(agreementId: string): Agreement {
    return this.#visibleAgreement(agreementId);
  }

  /** GetAgreementTerms semantics in-process. Throws ServiceError. */
  getAgreementTerms(query: PageQuery): Page<Record<string, unknown>> {
    const agreement = this.#visibleAgreement(query.agreementId);
    return this.#agreementPager.pageList('terms', acceptedTerms(agreement.terms), query);
  }

  /** SearchAgreements semantics in-process; manufacturer-only agreements are left out. Throws ServiceError. */
  searchAgreements(query: SearchQuery): Page<Agreement> {
    return this.#agreementPager.search(this.#agreements.list(), query);
  }

  /**
   * GetAgreementEntitlements semantics in-process: one row per license of the agreement,
   * PROVISIONED (with a fresh registration token, 4-hour TTL like all simulator tokens) while
   * the agreement is ACTIVE and the license still has entitlements, else DEPROVISIONED.
   */
  getAgreementEntitlements(query: PageQuery): Page<AgreementEntitlementRow> {
    const agreement = this.#visibleAgreement(query.agreementId);
    const rows = agreement.licenseArns.map((licenseArn): AgreementEntitlementRow => {
      const license = this.#licenses.get(licenseArn);
      const provisioned =
        agreement.status === 'ACTIVE' &&
        license !== undefined &&
        license.entitlements.some((e) => e.expirationDate.getTime() > this.now().getTime());
      return provisioned
        ? {
            licenseArn,
            productId: agreement.productId,
            status: 'PROVISIONED',
            statusReasonCode: 'AGREEMENT_ACTIVE',
            registrationToken: this.mintToken(licenseArn),
          }
        : {
            licenseArn,
            productId: agreement.productId,
            status: 'DEPROVISIONED',
            statusReasonCode: 'AGREEMENT_INACTIVE',
          };
    });
    return this.#agreementPager.pageList('entitlements', rows, query);
  }

  #visibleAgreement(agreementId: string): Agreement {
    const agreement = this.#agreements.get(agreementId);
    if (agreement === undefined) throw resourceNotFound(agreementId);
    if (agreement.manufacturerOnly) {
      throw accessDenied(
        `The caller is not a party to agreement ${agreementId}: it comes from a channel partner's offer, and the seller is only its manufacturer.`,
      );
    }
    return agreement;
  }

  #require(licenseArn: string): License {
    const license = this.#licenses.get(licenseArn);
    if (license === undefined) throw new LicenseNotFoundError(licenseArn);
    return license;
  }
}

function toEntitlements(quantities: Quantities, expirationDate: Date): LicenseEntitlement[] {
  const entries = Object.entries(quantities);
  if (entries.length === 0) throw new InvalidLicenseError('quantities must name at least one dimension');
  return entries.map(([dimension, quantity]) => {
    assertPositiveInteger(quantity, `quantity of ${dimension}`);
    return { dimension, quantity, expirationDate: new Date(expirationDate.getTime()) };
  });
}

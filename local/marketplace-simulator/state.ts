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
  /** A legacy (CustomerIdentifier-era) listing: ResolveCustomer and GetEntitlements then carry a CustomerIdentifier. */
  legacy?: boolean;
}

export interface RenewRequest {
  months: number;
  /** The quantities of the renewed term; when absent the current ones carry over. */
  quantities?: Quantities;
}

/**
 * The in-memory marketplace: licenses and registration tokens, with the buyer actions
 * (purchase, upgrade, renew, cancel) that change them. Every method returns copies.
 */
export class MarketplaceState {
  protected readonly now: () => Date;
  readonly #licenses = new Map<string, License>();
  readonly #tokens: RegistrationTokens;
  readonly #pager = new EntitlementPager();

  constructor(options: MarketplaceStateOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.#tokens = new RegistrationTokens(this.now);
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
    const expirationDate = addUtcMonths(this.now(), request.months);
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

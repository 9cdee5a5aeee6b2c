import { randomBytes, randomInt } from 'node:crypto';

/** One contract dimension of a license, as GetEntitlements reports it (IntegerValue = quantity). */
export interface LicenseEntitlement {
  dimension: string;
  quantity: number;
  expirationDate: Date;
}

/**
 * A granted Marketplace license: one buyer account's purchase of one product.
 * `customerIdentifier` is set only for legacy (pre-Concurrent-Agreements) integrations.
 */
export interface License {
  licenseArn: string;
  productCode: string;
  customerAWSAccountId: string;
  customerIdentifier?: string;
  entitlements: LicenseEntitlement[];
}

/** The simulator was asked to store a license that the real service could never return. */
export class InvalidLicenseError extends Error {
  override readonly name = 'InvalidLicenseError';
}

/** No license with this ARN exists in the simulator. */
export class LicenseNotFoundError extends Error {
  override readonly name = 'LicenseNotFoundError';
  constructor(readonly licenseArn: string) {
    super(`No license ${licenseArn} in the marketplace simulator`);
  }
}

/** The change is not possible in the license's current state (for example upgrading a cancelled one). */
export class LicenseStateError extends Error {
  override readonly name = 'LicenseStateError';
}

const LICENSE_ARN = /^arn:aws:license-manager::\d{12}:license:l-[0-9a-f]{32}$/;
const ACCOUNT_ID = /^\d{12}$/;
// ProductCode pattern from the metering model (ResolveCustomerResult.ProductCode), min length 1 as in GetEntitlements.
const PRODUCT_CODE = /^[-a-zA-Z0-9/=:_.@]{1,255}$/;
const IDENTIFIER_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function newAccountId(): string {
  // No leading zero, so the id also survives being handled as a number somewhere.
  return String(randomInt(100_000_000_000, 1_000_000_000_000));
}

export function newLicenseArn(accountId: string): string {
  return `arn:aws:license-manager::${accountId}:license:l-${randomBytes(16).toString('hex')}`;
}

export function newCustomerIdentifier(): string {
  let id = '';
  for (let i = 0; i < 13; i++) id += IDENTIFIER_ALPHABET[randomInt(IDENTIFIER_ALPHABET.length)];
  return id;
}

/**
 * Adds calendar months in UTC, keeping the time of day; the day is clamped to the target
 * month's length (Jan 31 + 1 month = Feb 28/29), as contract end dates do.
 */
export function addUtcMonths(date: Date, months: number): Date {
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const daysInTarget = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const result = new Date(date.getTime());
  result.setUTCFullYear(year, month, Math.min(date.getUTCDate(), daysInTarget));
  return result;
}

export function assertPositiveInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidLicenseError(`${what} must be a positive integer, got ${value}`);
  }
}

export function assertValidLicense(license: License): void {
  if (!LICENSE_ARN.test(license.licenseArn)) {
    throw new InvalidLicenseError(
      `licenseArn must look like arn:aws:license-manager::<12 digits>:license:l-<32 hex>, got ${license.licenseArn}`,
    );
  }
  if (!PRODUCT_CODE.test(license.productCode)) {
    throw new InvalidLicenseError(`productCode is not a valid product code: ${license.productCode}`);
  }
  if (!ACCOUNT_ID.test(license.customerAWSAccountId)) {
    throw new InvalidLicenseError(
      `customerAWSAccountId must be 12 digits, got ${license.customerAWSAccountId}`,
    );
  }
  if (license.customerIdentifier !== undefined && license.customerIdentifier.length === 0) {
    throw new InvalidLicenseError('customerIdentifier must be absent or non-empty');
  }
  const seen = new Set<string>();
  for (const entitlement of license.entitlements) {
    if (entitlement.dimension.length === 0 || entitlement.dimension.length > 255) {
      throw new InvalidLicenseError(`dimension must be 1..255 characters, got "${entitlement.dimension}"`);
    }
    if (seen.has(entitlement.dimension)) {
      throw new InvalidLicenseError(`dimension ${entitlement.dimension} appears twice in one license`);
    }
    seen.add(entitlement.dimension);
    if (!Number.isSafeInteger(entitlement.quantity) || entitlement.quantity < 0) {
      throw new InvalidLicenseError(`quantity of ${entitlement.dimension} must be an integer >= 0`);
    }
    if (!(entitlement.expirationDate instanceof Date) || Number.isNaN(entitlement.expirationDate.getTime())) {
      throw new InvalidLicenseError(`expirationDate of ${entitlement.dimension} must be a valid Date`);
    }
  }
}

/** Deep copy, so callers never share mutable state (Dates included) with the simulator. */
export function cloneLicense(license: License): License {
  const copy: License = {
    licenseArn: license.licenseArn,
    productCode: license.productCode,
    customerAWSAccountId: license.customerAWSAccountId,
    entitlements: license.entitlements.map((e) => ({
      dimension: e.dimension,
      quantity: e.quantity,
      expirationDate: new Date(e.expirationDate.getTime()),
    })),
  };
  if (license.customerIdentifier !== undefined) copy.customerIdentifier = license.customerIdentifier;
  return copy;
}

/** The contract end date of a license: the latest expiration of its entitlements. */
export function licenseExpiration(license: License): Date | undefined {
  let latest: Date | undefined;
  for (const e of license.entitlements) {
    if (latest === undefined || e.expirationDate > latest) latest = e.expirationDate;
  }
  return latest === undefined ? undefined : new Date(latest.getTime());
}

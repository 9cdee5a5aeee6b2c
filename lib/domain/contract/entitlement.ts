import { creditsPerUnit, type ProductConfig } from '../product/catalog.js';

/** One GetEntitlements row, in domain terms (the adapter converts the SDK shape). */
export interface Entitlement {
  readonly productCode: string;
  readonly dimension: string;
  /** IntegerValue or DoubleValue; a true BooleanValue counts 1; anything else 0. */
  readonly quantity: number;
  /** ISO 8601. */
  readonly expiresAt: string;
  readonly licenseArn?: string;
  readonly customerIdentifier?: string;
  readonly customerAWSAccountId?: string;
}

/** What a set of entitlements of one contract amounts to. */
export interface EntitlementSummary {
  readonly credits: number;
  readonly dimensions: Readonly<Record<string, number>>;
  /**
   * The latest expiration among the entitlements. The AWS sample reads only the first row;
   * a contract's dimensions share one date, and if they ever disagree the buyer keeps the longest.
   */
  readonly expiresAt: string;
  readonly licenseArn?: string;
  readonly customerIdentifier?: string;
  readonly customerAWSAccountId?: string;
}

export function summarizeEntitlements(
  entitlements: readonly Entitlement[],
  product: ProductConfig,
): EntitlementSummary | undefined {
  const first = entitlements[0];
  if (!first) return undefined;
  const dimensions: Record<string, number> = {};
  let credits = 0;
  let expiresAtMs = Number.NEGATIVE_INFINITY;
  for (const e of entitlements) {
    dimensions[e.dimension] = (dimensions[e.dimension] ?? 0) + e.quantity;
    credits += e.quantity * creditsPerUnit(product, e.dimension);
    expiresAtMs = Math.max(expiresAtMs, Date.parse(e.expiresAt));
  }
  const withLicense = entitlements.find((e) => e.licenseArn);
  const withCustomer = entitlements.find((e) => e.customerIdentifier);
  const withAccount = entitlements.find((e) => e.customerAWSAccountId);
  return {
    credits,
    dimensions,
    expiresAt: new Date(expiresAtMs).toISOString(),
    ...(withLicense?.licenseArn ? { licenseArn: withLicense.licenseArn } : {}),
    ...(withCustomer?.customerIdentifier ? { customerIdentifier: withCustomer.customerIdentifier } : {}),
    ...(withAccount?.customerAWSAccountId ? { customerAWSAccountId: withAccount.customerAWSAccountId } : {}),
  };
}

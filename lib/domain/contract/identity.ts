import type { ContractKey } from './model.js';

/**
 * Marketplace license ARNs come in more than one spelling (`arn:aws:license-manager::1:license:l-…`
 * from ResolveCustomer, `aws:license-manager:us-east-1:1:l-…` in EventBridge examples; MARKETPLACE.md
 * §1.3). The `l-…` license id is the part they agree on, so identity compares that.
 */
export function licenseIdFromArn(arn: string): string | undefined {
  const match = /(?:^|[:/])(l-[0-9a-zA-Z]+)$/.exec(arn.trim());
  return match?.[1];
}

/** The stable, URL-safe id of a contract: product code plus license id or customer identifier. */
export function contractIdOf(key: ContractKey): string {
  return key.kind === 'license'
    ? `${key.productCode}~L~${key.licenseId}`
    : `${key.productCode}~C~${key.customerIdentifier}`;
}

export function sameKey(a: ContractKey, b: ContractKey): boolean {
  return contractIdOf(a) === contractIdOf(b);
}

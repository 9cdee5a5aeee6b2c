/**
 * The EventBridge detail-types of `aws.agreement-marketplace` this backend consumes
 * (MARKETPLACE.md §4.1). The consumer's parser and the CDK rule both read this list.
 */
export const LICENSE_DETAIL_TYPES = [
  'License Updated - Manufacturer',
  'License Deprovisioned - Manufacturer',
] as const;

export const AGREEMENT_DETAIL_TYPES = [
  'Purchase Agreement Created - Proposer',
  'Purchase Agreement Created - Manufacturer',
  'Purchase Agreement Amended - Proposer',
  'Purchase Agreement Amended - Manufacturer',
  'Purchase Agreement Ended - Proposer',
  'Purchase Agreement Ended - Manufacturer',
] as const;

export const MARKETPLACE_DETAIL_TYPES: readonly string[] = [
  ...AGREEMENT_DETAIL_TYPES,
  ...LICENSE_DETAIL_TYPES,
];

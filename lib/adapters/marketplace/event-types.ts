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
  // 180/120/90/60/30 days before an agreement's end (MARKETPLACE.md §4.1): a sync, and the
  // auto-renew flag when it carries one; the expiry notices (R10) never depend on it.
  'Purchase Agreement Ending - Proposer',
] as const;

export const MARKETPLACE_DETAIL_TYPES: readonly string[] = [
  ...AGREEMENT_DETAIL_TYPES,
  ...LICENSE_DETAIL_TYPES,
];

/** The AWS-owned account that publishes the legacy marketplace SNS topics (MARKETPLACE.md §3.1). */
export const MARKETPLACE_SNS_ACCOUNT = '287250355862';

/** A product's legacy marketplace topic; they live in us-east-1. */
export function marketplaceTopicArn(kind: 'entitlement' | 'subscription', productCode: string): string {
  return `arn:aws:sns:us-east-1:${MARKETPLACE_SNS_ACCOUNT}:aws-mp-${kind}-notification-${productCode}`;
}

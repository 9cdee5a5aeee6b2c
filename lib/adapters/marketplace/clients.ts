import { MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';

export interface MarketplaceClientOptions {
  /** The local marketplace simulator's URL; absent in AWS. */
  readonly endpoint?: string;
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * GetEntitlements is served only in us-east-1 (MARKETPLACE.md §2), wherever the function runs.
 * The SDK's own retries are off: `withRetry` retries within the invocation's time budget.
 */
export function createEntitlementClient({
  endpoint,
}: MarketplaceClientOptions = {}): MarketplaceEntitlementServiceClient {
  return new MarketplaceEntitlementServiceClient({
    region: 'us-east-1',
    maxAttempts: 1,
    ...(endpoint ? { endpoint, credentials: localCredentials } : {}),
  });
}

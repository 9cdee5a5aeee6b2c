import { MarketplaceAgreementClient } from '@aws-sdk/client-marketplace-agreement';
import { MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';

export interface MarketplaceClientOptions {
  /** The local marketplace simulator's URL; absent in AWS. */
  readonly endpoint?: string;
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The SDK's Node handler waits forever by default. Connecting to an AWS endpoint takes
 * milliseconds, so 1 s is a dead network path; the request timeout here is only the fallback for a
 * call made without one, since `withRetry` gives each attempt its own from the time left
 * (`attemptTimeout`). `throwOnRequestTimeout` makes a breach a TimeoutError (retryable) instead
 * of a logged warning; the socket timeout covers a body that stops halfway.
 */
export const MARKETPLACE_HTTP = {
  connectionTimeout: 1000,
  requestTimeout: 5000,
  socketTimeout: 5000,
  throwOnRequestTimeout: true,
} as const;

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
    requestHandler: MARKETPLACE_HTTP,
    ...(endpoint ? { endpoint, credentials: localCredentials } : {}),
  });
}

/**
 * ResolveCustomer must be called from the seller account; it is served in most commercial
 * regions, us-east-1 is the common choice (MARKETPLACE.md §1.3).
 */
export function createMeteringClient({
  endpoint,
  region = 'us-east-1',
}: MarketplaceClientOptions & { region?: string } = {}): MarketplaceMeteringClient {
  return new MarketplaceMeteringClient({
    region,
    maxAttempts: 1,
    requestHandler: MARKETPLACE_HTTP,
    ...(endpoint ? { endpoint, credentials: localCredentials } : {}),
  });
}

/**
 * The Agreement API (MARKETPLACE.md §7) is called in us-east-1, as AWS's sample does; the
 * seller's agreements are global. Retries happen in `withRetry`, as for the other clients.
 */
export function createAgreementClient({
  endpoint,
}: MarketplaceClientOptions = {}): MarketplaceAgreementClient {
  return new MarketplaceAgreementClient({
    region: 'us-east-1',
    maxAttempts: 1,
    requestHandler: MARKETPLACE_HTTP,
    ...(endpoint ? { endpoint, credentials: localCredentials } : {}),
  });
}

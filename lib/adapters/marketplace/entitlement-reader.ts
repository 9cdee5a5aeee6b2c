import {
  GetEntitlementFilterName,
  GetEntitlementsCommand,
  type MarketplaceEntitlementServiceClient,
  type Entitlement as SdkEntitlement,
} from '@aws-sdk/client-marketplace-entitlement-service';
import type { Entitlement } from '../../domain/contract/entitlement.js';
import type { EntitlementFilter, EntitlementReader } from '../../domain/contract/ports.js';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.js';

export interface EntitlementReaderOptions {
  /** Build it with region us-east-1 (the only commercial endpoint) and maxAttempts 1: retries happen here. */
  readonly client: MarketplaceEntitlementServiceClient;
  readonly retry?: RetryPolicy;
}

/** GetEntitlements, every page (an empty page may still carry a NextToken; MARKETPLACE.md §2). */
export function createEntitlementReader({
  client,
  retry = DEFAULT_RETRY,
}: EntitlementReaderOptions): EntitlementReader {
  return {
    async read(productCode, filter) {
      const rows: Entitlement[] = [];
      let NextToken: string | undefined;
      do {
        const page = await withRetry(
          'GetEntitlements',
          (attempt) =>
            client.send(
              new GetEntitlementsCommand({
                ProductCode: productCode,
                Filter: filterOf(filter),
                MaxResults: 25,
                NextToken,
              }),
              attempt,
            ),
          retry,
        );
        for (const e of page.Entitlements ?? []) {
          const row = toDomain(e, productCode);
          if (row) rows.push(row);
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return rows;
    },
  };
}

function filterOf(filter: EntitlementFilter): Partial<Record<GetEntitlementFilterName, string[]>> {
  switch (filter.by) {
    case 'license':
      return { [GetEntitlementFilterName.LICENSE_ARN]: [filter.licenseArn] };
    case 'customer':
      return { [GetEntitlementFilterName.CUSTOMER_IDENTIFIER]: [filter.customerIdentifier] };
    case 'account':
      return { [GetEntitlementFilterName.CUSTOMER_AWS_ACCOUNT_ID]: [filter.customerAWSAccountId] };
  }
}

function quantityOf(value: SdkEntitlement['Value']): number {
  if (!value) return 0;
  if (typeof value.IntegerValue === 'number') return value.IntegerValue;
  if (typeof value.DoubleValue === 'number') return value.DoubleValue;
  if (value.BooleanValue === true) return 1;
  return 0;
}

/** A row without a dimension or an expiration date cannot be reconciled; it is left out. */
function toDomain(e: SdkEntitlement, productCode: string): Entitlement | undefined {
  if (!e.Dimension || !(e.ExpirationDate instanceof Date) || Number.isNaN(e.ExpirationDate.getTime()))
    return undefined;
  return {
    productCode: e.ProductCode ?? productCode,
    dimension: e.Dimension,
    quantity: quantityOf(e.Value),
    expiresAt: e.ExpirationDate.toISOString(),
    ...(e.LicenseArn ? { licenseArn: e.LicenseArn } : {}),
    ...(e.CustomerIdentifier ? { customerIdentifier: e.CustomerIdentifier } : {}),
    ...(e.CustomerAWSAccountId ? { customerAWSAccountId: e.CustomerAWSAccountId } : {}),
  };
}

import { type MarketplaceMeteringClient, ResolveCustomerCommand } from '@aws-sdk/client-marketplace-metering';
import { MarketplaceUnavailableError } from '../../domain/contract/errors.js';
import { ExpiredTokenError, InvalidTokenError, MarketplaceBusyError } from '../../domain/setup/errors.js';
import type { CustomerResolver } from '../../domain/setup/ports.js';
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.js';

export interface CustomerResolverOptions {
  readonly client: MarketplaceMeteringClient;
  /** A buyer is waiting: fewer, shorter retries than for queued notifications. */
  readonly retry?: RetryPolicy;
}

export const BUYER_RETRY: RetryPolicy = {
  ...DEFAULT_RETRY,
  maxAttempts: 3,
  maxDelayMs: 800,
  reserveMs: 2000,
};

/** ResolveCustomer, with marketplace errors turned into the setup flow's typed errors. */
export function createCustomerResolver({
  client,
  retry = BUYER_RETRY,
}: CustomerResolverOptions): CustomerResolver {
  return {
    async resolve(registrationToken) {
      try {
        const result = await withRetry(
          'ResolveCustomer',
          () => client.send(new ResolveCustomerCommand({ RegistrationToken: registrationToken })),
          retry,
        );
        if (!result.ProductCode) throw new InvalidTokenError('ResolveCustomer returned no product code');
        return {
          productCode: result.ProductCode,
          ...(result.CustomerAWSAccountId ? { customerAWSAccountId: result.CustomerAWSAccountId } : {}),
          ...(result.LicenseArn ? { licenseArn: result.LicenseArn } : {}),
          ...(result.CustomerIdentifier ? { customerIdentifier: result.CustomerIdentifier } : {}),
        };
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name === 'InvalidTokenException') throw new InvalidTokenError('Registration token is invalid');
        if (name === 'ExpiredTokenException') throw new ExpiredTokenError('Registration token has expired');
        if (error instanceof MarketplaceUnavailableError) {
          const cause = error.cause instanceof Error ? error.cause.name : '';
          if (cause === 'ThrottlingException') throw new MarketplaceBusyError('ResolveCustomer is throttled');
        }
        throw error;
      }
    },
  };
}

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

/**
 * Three attempts of at most 2.5 s and two waits of at most 0.8 s: under 10 s in the worst case,
 * inside the setup function's 15 s even when the wiring gives no remaining time.
 */
export const BUYER_RETRY: RetryPolicy = {
  ...DEFAULT_RETRY,
  maxAttempts: 3,
  maxDelayMs: 800,
  reserveMs: 2000,
  attemptTimeoutMs: 2500,
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
          (attempt) =>
            client.send(new ResolveCustomerCommand({ RegistrationToken: registrationToken }), attempt),
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

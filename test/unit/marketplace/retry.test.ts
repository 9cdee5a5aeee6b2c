import { describe, expect, it } from 'vitest';
import { isRetryable, type RetryPolicy, withRetry } from '../../../lib/adapters/marketplace/retry.js';
import { MarketplaceUnavailableError } from '../../../lib/domain/contract/errors.js';

function awsError(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy & { slept: number[] } {
  const slept: number[] = [];
  return {
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    random: () => 1,
    sleep: async (ms) => {
      slept.push(ms);
    },
    slept,
    ...overrides,
  };
}

describe('withRetry', () => {
  it('retries throttling with growing, capped delays and returns the first success', async () => {
    const p = policy({ maxAttempts: 6 });
    let calls = 0;
    const result = await withRetry(
      'GetEntitlements',
      async () => {
        calls += 1;
        if (calls < 6) throw awsError('ThrottlingException', 400);
        return 'ok';
      },
      p,
    );
    expect(result).toBe('ok');
    expect(p.slept).toEqual([100, 200, 400, 800, 1000]);
  });

  it('gives up with MarketplaceUnavailableError after the last attempt, keeping the cause', async () => {
    const cause = awsError('InternalServiceErrorException', 500);
    const error = await withRetry('GetEntitlements', async () => Promise.reject(cause), policy()).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(MarketplaceUnavailableError);
    expect(error).toMatchObject({ attempts: 4, cause });
  });

  it('stops early when the next wait would eat into the reserved end of the invocation', async () => {
    // 5300 ms left: waits of 100 and 200 ms still leave 5000 ms; the third wait (400 ms) would not.
    let remaining = 5300;
    const p = policy({
      reserveMs: 5000,
      remainingMs: () => remaining,
      sleep: async (ms) => {
        remaining -= ms;
      },
    });
    const error = await withRetry(
      'GetEntitlements',
      async () => Promise.reject(awsError('ThrottlingException', 400)),
      p,
    ).catch((e) => e);
    expect(error).toMatchObject({ name: 'MarketplaceUnavailableError', attempts: 3 });
  });

  it('does not retry a client error', async () => {
    let calls = 0;
    const invalid = awsError('InvalidParameterException', 400);
    await expect(
      withRetry(
        'GetEntitlements',
        async () => {
          calls += 1;
          throw invalid;
        },
        policy(),
      ),
    ).rejects.toBe(invalid);
    expect(calls).toBe(1);
  });

  it.each([
    ['ThrottlingException', 400, true],
    ['InternalServiceErrorException', 500, true],
    ['SomethingElse', 503, true],
    ['InvalidParameterException', 400, false],
    ['InvalidTokenException', 400, false],
  ])('classifies %s (%i) as retryable=%s', (name, status, expected) => {
    expect(isRetryable(awsError(name, status))).toBe(expected);
  });
});

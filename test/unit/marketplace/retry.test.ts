import { describe, expect, it } from 'vitest';
import {
  attemptTimeout,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  isRetryable,
  type RetryPolicy,
  withRetry,
} from '../../../lib/adapters/marketplace/retry.js';
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

describe('attemptTimeout', () => {
  it('gives each attempt the cap when the invocation has time to spare', () => {
    expect(attemptTimeout(policy())).toBe(DEFAULT_ATTEMPT_TIMEOUT_MS);
    expect(
      attemptTimeout(policy({ attemptTimeoutMs: 2500, remainingMs: () => 60_000, reserveMs: 5000 })),
    ).toBe(2500);
  });

  it('gives an attempt only the time left before the reserve when that is less than the cap', () => {
    expect(attemptTimeout(policy({ attemptTimeoutMs: 5000, remainingMs: () => 9000, reserveMs: 5000 }))).toBe(
      4000,
    );
  });

  it('lets the last attempts eat into the first half of the reserve, never further', () => {
    expect(attemptTimeout(policy({ attemptTimeoutMs: 5000, remainingMs: () => 7000, reserveMs: 5000 }))).toBe(
      2500,
    );
    expect(attemptTimeout(policy({ attemptTimeoutMs: 5000, remainingMs: () => 5000, reserveMs: 5000 }))).toBe(
      2500,
    );
  });

  it('gives an attempt half of what is left below the reserve, and never 0 (no timeout)', () => {
    expect(attemptTimeout(policy({ remainingMs: () => 500, reserveMs: 1000 }))).toBe(250);
    expect(attemptTimeout(policy({ remainingMs: () => 1, reserveMs: 1000 }))).toBe(1);
    expect(attemptTimeout(policy({ remainingMs: () => -50, reserveMs: 1000 }))).toBe(1);
  });
});

describe('withRetry deadlines', () => {
  it('passes each attempt a request timeout from the time left, and retries a timed-out attempt', async () => {
    let remaining = 9000;
    const given: number[] = [];
    const p = policy({
      attemptTimeoutMs: 3000,
      reserveMs: 5000,
      remainingMs: () => remaining,
      sleep: async (ms) => {
        remaining -= ms;
      },
    });
    const result = await withRetry(
      'GetEntitlements',
      async ({ requestTimeout }) => {
        given.push(requestTimeout);
        remaining -= requestTimeout; // the attempt hung until its deadline
        if (given.length < 2) throw Object.assign(new Error('timed out'), { name: 'TimeoutError' });
        return 'ok';
      },
      p,
    );
    expect(result).toBe('ok');
    // 9000 left: the 3000 cap; then 5900 left (after a 100 ms wait): into half the reserve, 2500.
    expect(given).toEqual([3000, 2500]);
  });

  it('gives up, reporting the marketplace unavailable, when attempts keep timing out and time runs short', async () => {
    let remaining = 9000;
    const p = policy({
      maxAttempts: 6,
      attemptTimeoutMs: 3000,
      reserveMs: 5000,
      remainingMs: () => remaining,
      sleep: async (ms) => {
        remaining -= ms;
      },
    });
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    const error = await withRetry(
      'GetEntitlements',
      async ({ requestTimeout }) => {
        remaining -= requestTimeout;
        throw timeout;
      },
      p,
    ).catch((e) => e);
    // 3000, wait 100, 2500: 3400 left, the next wait would leave less than the reserve.
    expect(error).toMatchObject({ name: 'MarketplaceUnavailableError', attempts: 2, cause: timeout });
    expect(remaining).toBeGreaterThan(0);
  });

  it.each([
    ['TimeoutError', { name: 'TimeoutError' }],
    ['ETIMEDOUT', { code: 'ETIMEDOUT' }],
    ['ECONNREFUSED', { code: 'ECONNREFUSED' }],
  ])('treats a %s as worth another attempt', (_, fields) => {
    expect(isRetryable(Object.assign(new Error('network'), fields))).toBe(true);
  });
});

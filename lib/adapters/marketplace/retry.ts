import { MarketplaceUnavailableError } from '../../domain/contract/errors.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * Time left in this invocation (Lambda's getRemainingTimeInMillis). A retry that would not
   * finish with `reserveMs` to spare is not started: the message goes back to the queue instead.
   */
  readonly remainingMs?: () => number;
  readonly reserveMs?: number;
  /**
   * The longest one attempt may take (connect, send, answer). Each attempt gets the smaller of
   * this and the time left before the reserve, so a hung call is abandoned while there is still
   * time to retry it or to hand the message back. Default `DEFAULT_ATTEMPT_TIMEOUT_MS`.
   */
  readonly attemptTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * GetEntitlements answers a 25-row page in well under a second; 5 s is a hung call, not a slow one,
 * and six of them still fit the 60 s marketplace-events timeout with its 5 s reserve.
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 5000;

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 3000,
  reserveMs: 5000,
  attemptTimeoutMs: DEFAULT_ATTEMPT_TIMEOUT_MS,
};

/** What one attempt is given: pass it to `client.send(command, attempt)`. */
export interface AttemptOptions {
  /** Milliseconds this attempt may take; the SDK's request handler aborts it with a TimeoutError. */
  readonly requestTimeout: number;
}

/**
 * The time one attempt may take: the policy's cap, or less when the invocation's time runs short.
 * Normally that is what is left before the reserve. Close to the end an attempt may eat into the
 * reserve, but only into its first half (or, with less than the reserve left, take half of what
 * is left): a first attempt always runs, and its failure must still be reported before Lambda
 * stops the invocation. Continuous in the time left, so the deadline never jumps.
 */
export function attemptTimeout(policy: RetryPolicy): number {
  const cap = policy.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  if (policy.remainingMs === undefined) return cap;
  const remaining = policy.remainingMs();
  const reserve = policy.reserveMs ?? 0;
  const budget = Math.max(remaining - reserve, Math.min(remaining / 2, reserve / 2));
  // 0 would mean "no timeout" to the SDK.
  return Math.max(1, Math.floor(Math.min(cap, budget)));
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'InternalServiceErrorException',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Throttling, 5xx and network faults are worth another try; a client error never is. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = error as Error & {
    $metadata?: { httpStatusCode?: number };
    code?: string;
    $retryable?: unknown;
  };
  return (
    RETRYABLE_NAMES.has(error.name) ||
    (meta.$metadata?.httpStatusCode ?? 0) >= 500 ||
    meta.$retryable !== undefined ||
    (meta.code !== undefined && RETRYABLE_CODES.has(meta.code))
  );
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call`, retrying marketplace faults with capped exponential backoff and full jitter. Each
 * attempt is given its deadline (`attemptTimeout`); a timed-out attempt is a fault like a 5xx.
 */
export async function withRetry<T>(
  operation: string,
  call: (attempt: AttemptOptions) => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call({ requestTimeout: attemptTimeout(policy) });
    } catch (error) {
      if (!isRetryable(error)) throw error;
      const delay = Math.round(
        random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)),
      );
      const outOfTime =
        policy.remainingMs !== undefined && policy.remainingMs() - delay < (policy.reserveMs ?? 0);
      if (attempt >= policy.maxAttempts || outOfTime) {
        throw new MarketplaceUnavailableError(operation, attempt, { cause: error });
      }
      await sleep(delay);
    }
  }
}

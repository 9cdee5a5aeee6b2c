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
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 100,
  maxDelayMs: 3000,
  reserveMs: 5000,
};

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

/** Runs `call`, retrying marketplace faults with capped exponential backoff and full jitter. */
export async function withRetry<T>(
  operation: string,
  call: () => Promise<T>,
  policy: RetryPolicy,
): Promise<T> {
  const sleep = policy.sleep ?? realSleep;
  const random = policy.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
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

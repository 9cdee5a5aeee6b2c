/**
 * Request quotas as a token bucket per operation group, driven by the simulator's `now` clock
 * (not real time), so a test moves the clock instead of sleeping. Off until configured.
 */
export interface RateLimit {
  /** Tokens added per second of simulator time; may be fractional. */
  perSecond: number;
  /** Bucket size: requests allowed back to back from a full bucket. */
  burst: number;
  /** The operations sharing this bucket (e.g. `['SearchAgreements']`); all operations when absent. */
  operations?: readonly string[];
}

interface Bucket {
  limit: RateLimit;
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  readonly #now: () => Date;
  #buckets: Bucket[] = [];

  constructor(now: () => Date) {
    this.#now = now;
  }

  /**
   * Replaces the limits; `undefined` or `[]` turns them off. Each entry is one group with its
   * own bucket, starting full. A request is checked against the first group that names its
   * operation (a group without `operations` matches everything).
   */
  set(limits: RateLimit | readonly RateLimit[] | undefined): void {
    const list: readonly RateLimit[] =
      limits === undefined ? [] : Array.isArray(limits) ? limits : [limits as RateLimit];
    for (const limit of list) {
      if (!(Number.isFinite(limit.perSecond) && limit.perSecond >= 0)) {
        throw new RangeError(`perSecond must be a finite number >= 0, got ${limit.perSecond}`);
      }
      if (!(Number.isSafeInteger(limit.burst) && limit.burst >= 1)) {
        throw new RangeError(`burst must be an integer >= 1, got ${limit.burst}`);
      }
    }
    const atMs = this.#now().getTime();
    this.#buckets = list.map((limit) => ({
      limit: { ...limit, ...(limit.operations === undefined ? {} : { operations: [...limit.operations] }) },
      tokens: limit.burst,
      atMs,
    }));
  }

  /** Takes a token for `operation`; false means throttle. A refused request takes nothing. */
  take(operation: string): boolean {
    const bucket = this.#buckets.find(
      (b) => b.limit.operations === undefined || b.limit.operations.includes(operation),
    );
    if (bucket === undefined) return true;
    const nowMs = this.#now().getTime();
    // A clock moved backwards refills nothing.
    if (nowMs > bucket.atMs) {
      bucket.tokens = Math.min(
        bucket.limit.burst,
        bucket.tokens + ((nowMs - bucket.atMs) / 1000) * bucket.limit.perSecond,
      );
      bucket.atMs = nowMs;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

import { randomBytes } from 'node:crypto';
import type { RandomBytes } from '../../domain/codes/codes.js';

/** Bytes taken from the CSPRNG at once: each randomBytes call costs about 2.5 µs, a code needs 32. */
const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);

/**
 * The CSPRNG codes are drawn from in production (R11): a guessable code would open a license.
 * Served from a pool refilled with randomBytes, so drawing a code is one slice, not one call;
 * bytes are handed out once and never reused.
 */
export const cryptoRandomBytes: RandomBytes = (count) => {
  if (count > POOL_SIZE) return new Uint8Array(randomBytes(count));
  if (pool.length < count) pool = randomBytes(POOL_SIZE);
  const out = new Uint8Array(pool.subarray(0, count));
  pool = pool.subarray(count);
  return out;
};

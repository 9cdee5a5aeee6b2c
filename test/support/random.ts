import { createHash } from 'node:crypto';
import type { RandomBytes } from '../../lib/domain/codes/codes.js';

/**
 * A repeatable stand-in for the CSPRNG: SHA-256 of a seed and a counter, so codes drawn in a
 * test (and recorded in an example) are the same on every run. Never used outside tests.
 */
export function seededRandom(seed: string): RandomBytes {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (count) => {
    while (pool.length < count) {
      pool = Buffer.concat([pool, createHash('sha256').update(`${seed}|${counter++}`).digest()]);
    }
    const out = pool.subarray(0, count);
    pool = pool.subarray(count);
    return new Uint8Array(out);
  };
}

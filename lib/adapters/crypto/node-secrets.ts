import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Secrets } from '../../domain/setup/ports.js';

/** Secrets from node:crypto: 256-bit tokens, uniform digits, SHA-256 and HMAC-SHA-256. */
export const nodeSecrets: Secrets = {
  token: () => randomBytes(32).toString('base64url'),
  digits: (count) => Array.from({ length: count }, () => String(randomInt(10))).join(''),
  hash: (value) => createHash('sha256').update(value).digest('base64url'),
  hmac: (key, value) => createHmac('sha256', key).update(value).digest('base64url'),
  equal: (a, b) => {
    const left = Buffer.from(a);
    const right = Buffer.from(b);
    return left.length === right.length && timingSafeEqual(left, right);
  },
};

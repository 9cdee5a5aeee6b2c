import { randomBytes } from 'node:crypto';
import type { RandomBytes } from '../../domain/codes/codes.js';

/** The CSPRNG codes are drawn from in production (R11): a guessable code would open a license. */
export const cryptoRandomBytes: RandomBytes = (count) => randomBytes(count);

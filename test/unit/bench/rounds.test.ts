import { describe, expect, it } from 'vitest';
import { pairedQuartiles, pairedRatio, runRounds } from '../../../bench/processes.js';

describe('paired rounds', () => {
  it('runs every step once per round, every other round in reverse, and pairs samples by round', async () => {
    const order: string[] = [];
    let n = 0;
    const step = (key: 'a' | 'b' | 'c') => ({
      key,
      run: () => {
        order.push(key);
        return n++;
      },
    });
    const samples = await runRounds([step('a'), step('b'), step('c')], { rounds: 2, warmup: 1 });
    expect(order.join('')).toBe('abc' + 'cba' + 'abc');
    // Round 0 (warm-up) is dropped; round 1 ran c b a (3 4 5), round 2 a b c (6 7 8).
    expect(samples).toEqual({ a: [5, 6], b: [4, 7], c: [3, 8] });
  });

  it('takes ratios round by round, and their middle half', () => {
    const reference = [100, 200, 100, 100];
    const subject = [110, 200, 130, 90];
    expect(pairedRatio(reference, subject)).toBeCloseTo(1.05);
    expect(pairedQuartiles(reference, subject)).toEqual([1, 1.3]);
    expect(pairedQuartiles([], [])).toEqual([Number.NaN, Number.NaN]);
  });
});

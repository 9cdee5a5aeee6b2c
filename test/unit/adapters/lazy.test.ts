import { describe, expect, it } from 'vitest';
import { lazy } from '../../../lib/adapters/lazy.js';

describe('lazy', () => {
  it('builds once on first use and shares the value, also between concurrent first calls', async () => {
    let builds = 0;
    const value = lazy(async () => ({ n: ++builds }));
    expect(builds).toBe(0);
    const [a, b] = await Promise.all([value(), value()]);
    expect(a).toBe(b);
    expect(await value()).toBe(a);
    expect(builds).toBe(1);
  });

  it('tries again after a failed build instead of keeping the failure', async () => {
    let attempts = 0;
    const value = lazy(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('module not loaded');
      return attempts;
    });
    await expect(value()).rejects.toThrow('module not loaded');
    expect(await value()).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { answerTiming } from '../../../lib/domain/account/sign-in.js';

describe('answerTiming', () => {
  it('pads an unknown address to the running average of known ones, from when its lookup started', async () => {
    // Arrange: a fake clock and a pause that only records.
    let now = 1000;
    const paused: number[] = [];
    const timing = answerTiming(
      () => now,
      async (ms) => {
        paused.push(ms);
        now += ms;
      },
    );

    // Act: two known sign-ins of 400 ms, then an unknown one whose lookup took 20 ms.
    timing.record(400);
    timing.record(400);
    const started = now;
    now += 20;
    const waited = await timing.padFrom(started);

    // Assert: the average moved from 150 towards 400 (150 → 200 → 240), less the 20 ms spent.
    expect(waited).toBe(220);
    expect(paused).toEqual([220]);
  });

  it('does not wait when the unknown address already took as long, and a hung mail moves the average only a little', async () => {
    let now = 0;
    const timing = answerTiming(
      () => now,
      async () => {
        throw new Error('must not pause');
      },
    );
    timing.record(60_000); // counted as 3 s: 150 × 0.8 + 3000 × 0.2 = 720
    const started = now;
    now += 720;
    expect(await timing.padFrom(started)).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { sweepRequestSchema } from '../../../functions/reconcile/schema.js';
import { createPacer } from '../../../lib/adapters/marketplace/pacer.js';

describe('what starts a sweep', () => {
  it('a scheduled event or {} is an incremental run; continue and backfill by action', () => {
    expect(sweepRequestSchema({})).toEqual({ mode: 'incremental' });
    expect(sweepRequestSchema({ 'detail-type': 'Scheduled Event', source: 'aws.events' })).toEqual({
      mode: 'incremental',
    });
    expect(sweepRequestSchema({ action: 'continue' })).toEqual({ mode: 'continue' });
    expect(sweepRequestSchema({ action: 'backfill' })).toEqual({ mode: 'backfill' });
  });

  it('refuses anything else, so a mistyped invocation never starts a backfill', () => {
    for (const event of [null, [], 'backfill', { action: 'backfil' }, { action: 1 }, { detail: {} }]) {
      expect(() => sweepRequestSchema(event)).toThrow(TypeError);
    }
  });
});

describe('the sweep pacer', () => {
  it('spreads calls at the rate, in order, whatever arrives at once', async () => {
    let t = 0;
    const waits: number[] = [];
    const pace = createPacer(4, {
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await Promise.all([pace(), pace(), pace(2), pace()]);
    // Slots at 0, 250, 500 (two slots: 500 and 750), 1000.
    expect(waits).toEqual([250, 500, 1000]);
    t = 5000;
    waits.length = 0;
    await pace();
    expect(waits).toEqual([]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => createPacer(0)).toThrow(RangeError);
  });
});

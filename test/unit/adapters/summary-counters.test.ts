import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keys } from '../../../lib/adapters/dynamodb/keys.js';
import {
  type CountedState,
  MAX_SUMMARY_UPDATES,
  summaryDeltas,
  summaryShardOf,
  summaryUpdates,
} from '../../../lib/adapters/dynamodb/summary-counters.js';
import type { ContractStatus } from '../../../lib/domain/contract/model.js';

const ID = 'prod~L~l-0001';
const shard = summaryShardOf(ID);
const flat = (deltas: ReturnType<typeof summaryDeltas>) =>
  Object.fromEntries([...deltas.values()].map(({ key, add }) => [key.sk, Object.fromEntries(add)]));

describe('summaryDeltas', () => {
  it('counts a new live contract in its month, day and hour of expiry, with its credits', () => {
    const deltas = summaryDeltas(ID, undefined, {
      status: 'pending-setup',
      activeCredits: 500,
      expiresAt: '2026-05-03T14:30:00.000Z',
    });
    expect(flat(deltas)).toEqual({
      SUMMARY: {
        count_pending_setup: 1,
        activeCredits: 500,
        'exp:2026-05:pending-setup': 1,
        'exp:2026-05:credits': 500,
      },
      'EXPIRY#2026-05': { 'exp:2026-05-03:pending-setup': 1, 'exp:2026-05-03:credits': 500 },
      'EXPIRY#2026-05-03': { 'exp:2026-05-03T14:pending-setup': 1, 'exp:2026-05-03T14:credits': 500 },
    });
    expect([...deltas.values()].every(({ key }) => key.pk === keys.summaryShard(shard).pk)).toBe(true);
  });

  it('moves activation between statuses in every bucket and leaves the credits alone', () => {
    const before = {
      status: 'pending-setup',
      activeCredits: 500,
      expiresAt: '2026-05-03T14:30:00.000Z',
    } as const;
    const deltas = summaryDeltas(ID, before, { ...before, status: 'active' });
    expect(flat(deltas)).toEqual({
      SUMMARY: {
        count_pending_setup: -1,
        count_active: 1,
        'exp:2026-05:pending-setup': -1,
        'exp:2026-05:active': 1,
      },
      'EXPIRY#2026-05': { 'exp:2026-05-03:pending-setup': -1, 'exp:2026-05-03:active': 1 },
      'EXPIRY#2026-05-03': { 'exp:2026-05-03T14:pending-setup': -1, 'exp:2026-05-03T14:active': 1 },
    });
  });

  it('takes an ended contract out of its expiry buckets (R1)', () => {
    const deltas = summaryDeltas(
      ID,
      { status: 'active', activeCredits: 500, expiresAt: '2026-05-03T14:30:00.000Z' },
      { status: 'expired', activeCredits: 0, expiresAt: '2026-05-03T14:30:00.000Z' },
    );
    expect(flat(deltas).SUMMARY).toEqual({
      count_active: -1,
      count_expired: 1,
      activeCredits: -500,
      'exp:2026-05:active': -1,
      'exp:2026-05:credits': -500,
    });
  });

  it('writes nothing when nothing counted moves', () => {
    const state = { status: 'active', activeCredits: 5, expiresAt: '2026-05-03T14:30:00.000Z' } as const;
    expect(summaryUpdates('t', ID, state, state)).toEqual([]);
    // Another minute of the same hour is the same bucket.
    expect(summaryUpdates('t', ID, state, { ...state, expiresAt: '2026-05-03T14:59:00.000Z' })).toEqual([]);
  });

  it('adds up, over any chain of changes, to the counts of the last state alone', () => {
    const statuses: ContractStatus[] = ['pending-setup', 'active', 'expired', 'cancelled'];
    const state = fc.record({
      status: fc.constantFrom(...statuses),
      activeCredits: fc.nat(10_000),
      expiresAt: fc
        .integer({ min: Date.parse('2026-01-01'), max: Date.parse('2029-01-01') })
        .map((ms) => new Date(ms).toISOString()),
    });
    fc.assert(
      fc.property(fc.array(state, { minLength: 1, maxLength: 8 }), (chain: CountedState[]) => {
        const sum = new Map<string, number>();
        let before: CountedState | undefined;
        for (const after of chain) {
          const updates = summaryUpdates('t', ID, before, after);
          expect(updates.length).toBeLessThanOrEqual(MAX_SUMMARY_UPDATES);
          for (const { key, add } of summaryDeltas(ID, before, after).values())
            for (const [name, n] of add)
              sum.set(`${key.sk} ${name}`, (sum.get(`${key.sk} ${name}`) ?? 0) + n);
          before = after;
        }
        const last = chain[chain.length - 1] as CountedState;
        const alone = new Map<string, number>();
        for (const { key, add } of summaryDeltas(ID, undefined, last).values())
          for (const [name, n] of add) alone.set(`${key.sk} ${name}`, n);
        expect(new Map([...sum].filter(([, n]) => n !== 0))).toEqual(alone);
      }),
    );
  });
});

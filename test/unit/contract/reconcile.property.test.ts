import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entitlement } from '../../../lib/domain/contract/entitlement.js';
import type { ContractFacts, ContractKey, StoredContract } from '../../../lib/domain/contract/model.js';
import { mergeFacts, reconcile } from '../../../lib/domain/contract/reconcile.js';
import type { ProductConfig } from '../../../lib/domain/product/catalog.js';

/**
 * Property: whatever the marketplace does (purchase, upgrade, renewal with a new quantity,
 * cancellation, time passing past expiry) and however its notifications are duplicated,
 * delayed and reordered, every sync leaves the stored contract equal to the entitlements it
 * read, never loses history and never touches the setup state.
 */

const product: ProductConfig = {
  productCode: 'prodcredits01',
  creditsPerUnit: { Credits: 1, CreditPack: 100, Support: 0 },
};
const licenseArn = 'arn:aws:license-manager::111122223333:license:l-0123456789abcdef';
const key: ContractKey = { kind: 'license', productCode: 'prodcredits01', licenseId: 'l-0123456789abcdef' };
const DAY = 24 * 3600 * 1000;
const START = Date.parse('2026-01-01T00:00:00.000Z');

type Quantities = Record<'Credits' | 'CreditPack' | 'Support', number>;
interface Marketplace {
  contract?: { quantities: Quantities; expiresAt: number };
}

type Step =
  | { op: 'purchase'; quantities: Quantities; months: number }
  | { op: 'upgrade'; add: Quantities }
  | { op: 'renew'; months: number; quantities?: Quantities }
  | { op: 'cancel' }
  | { op: 'advance'; days: number }
  | { op: 'activate' }
  | { op: 'deliver'; pick: number; keep: boolean };

const quantities = fc.record({
  Credits: fc.integer({ min: 0, max: 5000 }),
  CreditPack: fc.integer({ min: 0, max: 5 }),
  Support: fc.integer({ min: 0, max: 1 }),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('purchase' as const), quantities, months: fc.constantFrom(1, 12, 24, 36) }),
  fc.record({ op: fc.constant('upgrade' as const), add: quantities }),
  fc.record({
    op: fc.constant('renew' as const),
    months: fc.constantFrom(1, 12),
    quantities: fc.option(quantities, { nil: undefined }),
  }),
  fc.record({ op: fc.constant('cancel' as const) }),
  fc.record({ op: fc.constant('advance' as const), days: fc.integer({ min: 0, max: 400 }) }),
  fc.record({ op: fc.constant('activate' as const) }),
  // Deliver one pending notification: `pick` chooses which (reordering), `keep` leaves it queued (duplicate).
  {
    arbitrary: fc.record({ op: fc.constant('deliver' as const), pick: fc.nat(), keep: fc.boolean() }),
    weight: 4,
  },
);

function entitlementsOf(market: Marketplace, now: number): Entitlement[] {
  const c = market.contract;
  if (!c || c.expiresAt <= now) return [];
  return (Object.entries(c.quantities) as [string, number][])
    .filter(([, q]) => q > 0)
    .map(([dimension, quantity]) => ({
      productCode: 'prodcredits01',
      dimension,
      quantity,
      expiresAt: new Date(c.expiresAt).toISOString(),
      licenseArn,
      customerAWSAccountId: '111122223333',
    }));
}

const creditsOf = (rows: Entitlement[]) =>
  rows.reduce((sum, r) => sum + r.quantity * (product.creditsPerUnit?.[r.dimension] ?? 0), 0);

function addMonths(ms: number, months: number): number {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

function checkMatches(state: StoredContract | undefined, rows: Entitlement[], now: number): void {
  const expected = creditsOf(rows);
  const live = rows.length > 0;
  if (!state) {
    expect(live).toBe(false);
    return;
  }
  const { contract, items } = state;
  const active = items.filter((i) => i.state === 'active');
  expect(active.reduce((s, i) => s + i.credits, 0)).toBe(contract.activeCredits);
  expect(items.map((i) => i.itemNo)).toEqual(items.map((_, n) => n + 1));
  expect(contract.itemCount).toBe(items.length);
  if (live) {
    const expiresAt = rows[0]?.expiresAt;
    expect(contract.term).toBe('current');
    expect(contract.activeCredits).toBe(expected);
    expect(contract.expiresAt).toBe(expiresAt);
    for (const item of active) expect(item.expiresAt).toBe(expiresAt);
    expect(active.every((i) => i.credits > 0)).toBe(true);
  } else {
    expect(contract.term).not.toBe('current');
    expect(active).toHaveLength(0);
    expect(contract.activeCredits).toBe(0);
    expect(Date.parse(contract.endedAt ?? '')).toBeLessThanOrEqual(now);
  }
}

describe('reconcile (properties)', () => {
  it('keeps stored state equal to the last entitlements read when notifications are duplicated, delayed and reordered', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const market: Marketplace = {};
        let now = START;
        let state: StoredContract | undefined;
        let activatedBy: string | undefined;
        let pending: number[] = [];
        let nextId = 0;
        const notify = () => pending.push(nextId++);

        const sync = () => {
          const rows = entitlementsOf(market, now);
          const observation = { key, entitlements: rows, facts: {}, observedAt: new Date(now).toISOString() };
          const before = state;
          const result = reconcile(state, observation, product, new Date(now));
          if (result.changed) {
            // History is never lost: every item that existed is still there, and ended items stay ended.
            for (const old of before?.items ?? []) {
              const now_ = result.next.items.find((i) => i.itemNo === old.itemNo);
              expect(now_).toBeDefined();
              if (old.state === 'ended') expect(now_).toEqual(old);
            }
            expect(result.next.contract.version).toBe((before?.contract.version ?? 0) + 1);
            state = result.next;
          }
          // Idempotent: the same observation again changes nothing.
          expect(reconcile(state, observation, product, new Date(now))).toEqual({ changed: false });
          checkMatches(state, rows, now);
          if (activatedBy) expect(state?.contract).toMatchObject({ setupState: 'active', activatedBy });
        };

        for (const s of steps) {
          switch (s.op) {
            case 'purchase':
              if (!market.contract || market.contract.expiresAt <= now) {
                market.contract = { quantities: { ...s.quantities }, expiresAt: addMonths(now, s.months) };
                notify();
              }
              break;
            case 'upgrade':
              if (market.contract && market.contract.expiresAt > now) {
                const q = market.contract.quantities;
                market.contract.quantities = {
                  Credits: q.Credits + s.add.Credits,
                  CreditPack: q.CreditPack + s.add.CreditPack,
                  Support: Math.max(q.Support, s.add.Support),
                };
                notify();
              }
              break;
            case 'renew':
              if (market.contract && market.contract.expiresAt > now) {
                market.contract.expiresAt = addMonths(market.contract.expiresAt, s.months);
                if (s.quantities) market.contract.quantities = { ...s.quantities };
                notify();
              }
              break;
            case 'cancel':
              if (market.contract) {
                market.contract = undefined;
                notify();
              }
              break;
            case 'advance':
              now += s.days * DAY;
              if (market.contract && market.contract.expiresAt <= now) notify();
              break;
            case 'activate':
              if (state && !activatedBy) {
                activatedBy = 'biz-1';
                state = { ...state, contract: { ...state.contract, setupState: 'active', activatedBy } };
              }
              break;
            case 'deliver':
              if (pending.length > 0) {
                const index = s.pick % pending.length;
                if (!s.keep) pending = pending.filter((_, n) => n !== index);
                sync();
              }
              break;
          }
        }
        // Drain: whatever is still queued is delivered late, in order.
        for (const _ of pending) sync();
      }),
      { numRuns: 1000 },
    );
  });

  it('ends with the fact of the newest notification whatever the order and repetition of delivery', () => {
    const fact = fc.record({
      value: fc.boolean(),
      asOf: fc.integer({ min: 0, max: 10_000 }).map((s) => new Date(START + s * 1000).toISOString()),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(fact, { minLength: 1, maxLength: 12, selector: (f) => f.asOf }),
        fc.nat(),
        (facts, seed) => {
          const deliveries = [...facts, ...facts.slice(0, seed % facts.length)];
          const shuffled = deliveries
            .map((f, n) => ({ f, order: (n * 7919 + seed) % 104729 }))
            .sort((a, b) => a.order - b.order)
            .map((x) => x.f);
          let current: ContractFacts = {};
          for (const f of shuffled) current = mergeFacts(current, { freeTrial: f }).facts;
          const newest = [...facts].sort((a, b) => Date.parse(b.asOf) - Date.parse(a.asOf))[0];
          expect(current.freeTrial).toEqual(newest);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

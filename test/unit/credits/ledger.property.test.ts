import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  creditUsage,
  emptyLedger,
  ledgerAt,
  planAllocation,
  withSources,
} from '../../../lib/domain/credits/ledger.js';
import type { CreditSource, Ledger } from '../../../lib/domain/credits/model.js';

/**
 * Property (R2, R9): whatever happens to a business's licenses (allocate, release, resize,
 * upgrade, renew higher or lower, cancel, expire, time passing, a direct license added), after
 * every step the ledger agrees with an independent model: balance = total − allocated, the
 * total is the credits of the sources whose expiration instant is ahead, no allocation ever
 * succeeds into a negative balance, a refusal happens only when the model says it must, and
 * the business is marked over-allocated exactly when allocated > total.
 */

const DAY = 86_400_000;
const START = Date.parse('2026-03-01T00:00:00.000Z');
const RATES: Record<string, number> = { edr: 1, email: 2, cloud: 5, network: 10, mobile: 3 };
const SERVICES = Object.keys(RATES);
const CONTRACTS = ['c1', 'c2', 'c3'];

type Step =
  | { op: 'allocate'; service: string; units: number }
  | { op: 'release'; service: string }
  | { op: 'purchase'; contract: string; credits: number; days: number }
  | { op: 'upgrade'; contract: string; add: number }
  | { op: 'renew'; contract: string; credits: number; days: number }
  | { op: 'cancel'; contract: string }
  | { op: 'expire'; contract: string }
  | { op: 'advance'; hours: number }
  | { op: 'direct'; credits: number; days: number };

const service = fc.constantFrom(...SERVICES);
const contract = fc.constantFrom(...CONTRACTS);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('allocate' as const),
      service,
      units: fc.integer({ min: 0, max: 40 }),
    }),
    weight: 5,
  },
  fc.record({ op: fc.constant('release' as const), service }),
  fc.record({
    op: fc.constant('purchase' as const),
    contract,
    credits: fc.integer({ min: 1, max: 200 }),
    days: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({ op: fc.constant('upgrade' as const), contract, add: fc.integer({ min: 1, max: 100 }) }),
  fc.record({
    op: fc.constant('renew' as const),
    contract,
    credits: fc.integer({ min: 1, max: 300 }),
    days: fc.integer({ min: 1, max: 400 }),
  }),
  fc.record({ op: fc.constant('cancel' as const), contract }),
  fc.record({ op: fc.constant('expire' as const), contract }),
  fc.record({ op: fc.constant('advance' as const), hours: fc.integer({ min: 1, max: 24 * 120 }) }),
  fc.record({
    op: fc.constant('direct' as const),
    credits: fc.integer({ min: 1, max: 150 }),
    days: fc.integer({ min: 1, max: 200 }),
  }),
);

interface Model {
  now: number;
  /** What the marketplace and the vendor say each license holds, independent of the ledger. */
  sources: Map<string, { credits: number; expiresAt: number }>;
  units: Map<string, number>;
  directs: number;
}

function modelTotal(model: Model): number {
  let total = 0;
  for (const source of model.sources.values()) if (source.expiresAt > model.now) total += source.credits;
  return total;
}
function modelAllocated(model: Model): number {
  let sum = 0;
  for (const [name, units] of model.units) sum += units * (RATES[name] ?? 0);
  return sum;
}
const asSource = (s: { credits: number; expiresAt: number }, kind: CreditSource['kind']): CreditSource => ({
  kind,
  productCode: 'prod',
  credits: s.credits,
  expiresAt: new Date(s.expiresAt).toISOString(),
});

/** The write a contract change makes: the source set to what the contract holds now. */
function setSource(ledger: Ledger, model: Model, id: string, kind: CreditSource['kind']): Ledger {
  const source = model.sources.get(id);
  const live = source && source.expiresAt > model.now ? asSource(source, kind) : undefined;
  return withSources(ledger, { [id]: live }, new Date(model.now))?.next ?? ledger;
}

describe('credit ledger', () => {
  it('agrees with an independent model after every step of 1,000 random histories', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const model: Model = { now: START, sources: new Map(), units: new Map(), directs: 0 };
        let ledger = emptyLedger('biz', new Date(START));
        for (const s of steps) {
          const now = () => new Date(model.now);
          switch (s.op) {
            case 'allocate':
            case 'release': {
              const units = s.op === 'release' ? 0 : s.units;
              const rate = RATES[s.service] ?? 1;
              const before = modelTotal(model) - modelAllocated(model);
              const delta = units * rate - (model.units.get(s.service) ?? 0) * rate;
              const plan = planAllocation(
                ledger,
                { service: s.service, productCode: 'prod', units, creditsPerUnit: rate },
                now(),
              );
              if (plan.kind === 'refused') {
                // Refused only when it would overdraw, or raise while over-allocated.
                expect(delta).toBeGreaterThan(0);
                expect(delta > before || before < 0).toBe(true);
                if (plan.code === 'insufficient-credits') expect(plan.available).toBe(Math.max(0, before));
                else expect(before).toBeLessThan(0);
                ledger = plan.ledger;
              } else {
                expect(delta <= 0 || delta <= before).toBe(true);
                if (plan.kind === 'write') {
                  ledger = plan.next;
                  if (delta > 0) expect(ledger.balance).toBeGreaterThanOrEqual(0);
                }
                if (units === 0) model.units.delete(s.service);
                else model.units.set(s.service, units);
              }
              break;
            }
            case 'purchase':
              model.sources.set(s.contract, { credits: s.credits, expiresAt: model.now + s.days * DAY });
              ledger = setSource(ledger, model, s.contract, 'contract');
              break;
            case 'upgrade': {
              const current = model.sources.get(s.contract);
              if (!current || current.expiresAt <= model.now) break;
              model.sources.set(s.contract, { ...current, credits: current.credits + s.add });
              ledger = setSource(ledger, model, s.contract, 'contract');
              break;
            }
            case 'renew': {
              const current = model.sources.get(s.contract);
              if (!current) break;
              model.sources.set(s.contract, {
                credits: s.credits,
                expiresAt: Math.max(current.expiresAt, model.now) + s.days * DAY,
              });
              ledger = setSource(ledger, model, s.contract, 'contract');
              break;
            }
            case 'cancel':
              model.sources.delete(s.contract);
              ledger = setSource(ledger, model, s.contract, 'contract');
              break;
            case 'expire': {
              const current = model.sources.get(s.contract);
              if (!current) break;
              model.now = Math.max(model.now, current.expiresAt);
              ledger = setSource(ledger, model, s.contract, 'contract');
              break;
            }
            case 'advance':
              model.now += s.hours * 3_600_000;
              break;
            case 'direct': {
              const id = `direct~d${++model.directs}`;
              model.sources.set(id, { credits: s.credits, expiresAt: model.now + s.days * DAY });
              ledger = setSource(ledger, model, id, 'direct');
              break;
            }
          }

          // What every reader sees at this instant, lapsed sources counted out.
          const seen = ledgerAt(ledger, new Date(model.now));
          const total = modelTotal(model);
          const allocated = modelAllocated(model);
          expect(seen.total).toBe(total);
          expect(seen.allocated).toBe(allocated);
          expect(seen.balance).toBe(seen.total - seen.allocated);
          expect(seen.overAllocatedSince !== undefined).toBe(allocated > total);
          // What is stored agrees with itself and with its mark, whatever has lapsed since.
          expect(ledger.balance).toBe(ledger.total - ledger.allocated);
          expect(ledger.overAllocatedSince !== undefined).toBe(ledger.balance < 0);
          const usage = creditUsage(ledger, new Date(model.now));
          expect(usage.overAllocatedBy).toBe(Math.max(0, allocated - total));
          expect(usage.distribution.reduce((sum, a) => sum + a.credits, 0)).toBe(allocated);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('over-allocation mark', () => {
  it('dates an over-allocation caused by a lapse nobody wrote at the time from the instant of the lapse', () => {
    // Arrange: 100 + 50 credits, 120 allocated; the 100 end on 1 May.
    const t0 = new Date('2026-04-01T00:00:00.000Z');
    const opened = withSources(
      emptyLedger('biz', t0),
      {
        a: { kind: 'contract', productCode: 'p', credits: 100, expiresAt: '2026-05-01T00:00:00.000Z' },
        b: { kind: 'direct', productCode: 'p', credits: 50, expiresAt: '2027-01-01T00:00:00.000Z' },
      },
      t0,
    )?.next;
    const plan =
      opened && planAllocation(opened, { service: 's', productCode: 'p', units: 120, creditsPerUnit: 1 }, t0);
    if (plan?.kind !== 'write') throw new Error('allocation refused');

    // Act: first seen on 20 May.
    const seen = ledgerAt(plan.next, new Date('2026-05-20T00:00:00.000Z'));

    // Assert
    expect(seen).toMatchObject({ total: 50, balance: -70, overAllocatedSince: '2026-05-01T00:00:00.000Z' });
  });
});

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import type { StoredContract } from '../../lib/domain/contract/model.js';
import { InsufficientCreditsError, OverAllocatedError } from '../../lib/domain/credits/errors.js';
import { ledgerAt } from '../../lib/domain/credits/ledger.js';
import {
  addOtherChannelLicense,
  type CreditsDeps,
  setServiceAllocation,
} from '../../lib/domain/credits/use-cases.js';
import {
  activatedContract,
  CREDITS_PRODUCT,
  creation,
  creditsCatalog,
  creditsChange,
  registerBusiness,
} from '../support/credits.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * The ledger store on DynamoDB Local against a model, over random histories in which
 * allocations arrive in concurrent bursts (all raising, or all lowering, each on its own
 * service) between contract changes, direct licenses and time passing (R2, R9). After every
 * step the stored ledger adds up, agrees with the model's total at now, holds exactly the
 * allocations that succeeded, and no success left a negative balance; a burst of raises that
 * had refusals for insufficient credits ended with less left than the smallest refused need.
 */

const DAY = 86_400_000;
const T0 = Date.parse('2026-04-01T00:00:00.000Z');
const SERVICES = Array.from({ length: 8 }, (_, i) => `svc-${String(i).padStart(3, '0')}`);

type Step =
  | { op: 'raise'; units: number[] }
  | { op: 'lower'; picks: number[] }
  | { op: 'contract'; credits: number }
  | { op: 'direct'; credits: number; days: number }
  | { op: 'advance'; days: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('raise' as const),
      units: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: SERVICES.length }),
    }),
    weight: 3,
  },
  fc.record({
    op: fc.constant('lower' as const),
    picks: fc.array(fc.nat({ max: 7 }), { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('contract' as const), credits: fc.integer({ min: 0, max: 150 }) }),
  fc.record({
    op: fc.constant('direct' as const),
    credits: fc.integer({ min: 1, max: 80 }),
    days: fc.integer({ min: 1, max: 40 }),
  }),
  fc.record({ op: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 30 }) }),
);

let table: TestTable;
let run = 0;
beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
});
afterAll(async () => {
  await table.drop();
});

describe('ledger store', () => {
  it('agrees with a model after every step of random histories with concurrent allocation bursts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        // Arrange: a business with a contract of 100 credits for 60 days.
        let now = T0;
        const businessId = `biz-prop${++run}`;
        await registerBusiness(table, businessId);
        const documents = { client: table.client, tableName: table.tableName };
        const contracts = createContractStore(documents);
        const deps: CreditsDeps = {
          catalog: creditsCatalog,
          ledgers: createLedgerStore(documents),
          businesses: createBusinessDirectory(documents),
          notices: { overAllocated: async () => undefined },
          clock: { now: () => new Date(now) },
        };
        let stored: StoredContract = activatedContract(
          `l-prop${run}`,
          100,
          new Date(T0 + 60 * DAY),
          new Date(now),
          businessId,
        );
        await contracts.save(creation(stored));
        const sources = new Map<string, { credits: number; expiresAt: number }>([
          ['contract', { credits: 100, expiresAt: T0 + 60 * DAY }],
        ]);
        const units = new Map<string, number>();
        let directs = 0;
        const total = () =>
          [...sources.values()].filter((s) => s.expiresAt > now).reduce((sum, s) => sum + s.credits, 0);

        for (const s of steps) {
          if (s.op === 'raise') {
            const wanted = s.units.map((u, i) => ({
              service: SERVICES[i] ?? '',
              units: (units.get(SERVICES[i] ?? '') ?? 0) + u,
            }));
            const results = await Promise.allSettled(
              wanted.map((w) => setServiceAllocation(deps, businessId, w.service, w.units)),
            );
            const needs: number[] = [];
            results.forEach((r, i) => {
              const w = wanted[i];
              if (!w) return;
              if (r.status === 'fulfilled') {
                expect(r.value.ledger.balance).toBeGreaterThanOrEqual(0);
                units.set(w.service, w.units);
              } else {
                expect([InsufficientCreditsError, OverAllocatedError]).toContainEqual(r.reason.constructor);
                if (r.reason instanceof InsufficientCreditsError) needs.push(r.reason.needed);
              }
            });
            const ledger = await deps.ledgers.get(businessId);
            if (needs.length > 0 && ledger)
              expect(ledgerAt(ledger, new Date(now)).balance).toBeLessThan(Math.min(...needs));
          } else if (s.op === 'lower') {
            const services = [...new Set(s.picks.map((p) => SERVICES[p] ?? ''))];
            await Promise.all(
              services.map(async (service) => {
                const next = Math.floor((units.get(service) ?? 0) / 2);
                await setServiceAllocation(deps, businessId, service, next);
                if (next === 0) units.delete(service);
                else units.set(service, next);
              }),
            );
          } else if (s.op === 'contract') {
            if (stored.contract.term !== 'current' || stored.contract.activeCredits === s.credits) continue;
            const change = creditsChange(stored, s.credits, new Date(now));
            await contracts.save(change);
            stored = change.next;
            sources.set('contract', { credits: s.credits, expiresAt: Date.parse(stored.contract.expiresAt) });
          } else if (s.op === 'direct') {
            const expiresAt = now + s.days * DAY;
            await addOtherChannelLicense(deps, businessId, {
              reference: `deal-${run}-${++directs}`,
              productCode: CREDITS_PRODUCT,
              credits: s.credits,
              expiresAt: new Date(expiresAt).toISOString(),
            });
            sources.set(`direct${directs}`, { credits: s.credits, expiresAt });
          } else {
            now += s.days * DAY;
          }

          // Assert: what is stored adds up, and what a reader sees at now agrees with the model.
          const ledger = await deps.ledgers.get(businessId);
          if (!ledger) throw new Error('no ledger');
          expect(ledger.balance).toBe(ledger.total - ledger.allocated);
          expect(ledger.overAllocatedSince !== undefined).toBe(ledger.balance < 0);
          const seen = ledgerAt(ledger, new Date(now));
          const allocated = [...units.values()].reduce((sum, u) => sum + u, 0);
          expect(seen.total).toBe(total());
          expect(seen.allocated).toBe(allocated);
          expect(Object.fromEntries(Object.entries(seen.allocations).map(([k, a]) => [k, a.units]))).toEqual(
            Object.fromEntries(units),
          );
          expect(seen.overAllocatedSince !== undefined).toBe(allocated > total());
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

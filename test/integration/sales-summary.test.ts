import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createSalesReader, type Summary } from '../../lib/adapters/dynamodb/sales-reader.js';
import { ConcurrentUpdateError } from '../../lib/domain/contract/errors.js';
import { type Contract, contractStatus, type StoredContract } from '../../lib/domain/contract/model.js';
import type { ContractChangeSet } from '../../lib/domain/contract/ports.js';
import { reconcile } from '../../lib/domain/contract/reconcile.js';
import { createTestTable, type TestTable } from '../support/table.js';

const DAY = 24 * 3600 * 1000;
const MINUTE = 60 * 1000;
const PRODUCTS = ['prodalpha0000000000000001', 'prodbeta00000000000000002'];
const CREATED = new Date('2026-01-01T00:00:00.000Z');

/** What the summary must say of these contracts at `now`, worked out from the contracts alone. */
function expectedSummary(contracts: readonly Contract[], now: Date): Omit<Summary, 'asOf'> {
  const t = now.getTime();
  const byStatus = { 'pending-setup': 0, active: 0, expired: 0, cancelled: 0, renewed: 0, replaced: 0 };
  let activeCredits = 0;
  const expiring = { days30: 0, days60: 0, days90: 0 };
  for (const c of contracts) {
    const status = contractStatus(c);
    const ends = Date.parse(c.expiresAt);
    const live = status === 'active' || status === 'pending-setup';
    // A term that has ended is expired, whether or not the notification has come (R1, R2).
    if (live && ends < t) byStatus.expired += 1;
    else byStatus[status] += 1;
    if (!live || ends < t) continue;
    activeCredits += c.activeCredits;
    if (ends < t + 30 * DAY) expiring.days30 += 1;
    if (ends < t + 60 * DAY) expiring.days60 += 1;
    if (ends < t + 90 * DAY) expiring.days90 += 1;
  }
  return { byStatus, activeCredits, expiring };
}

let table: TestTable;
let store: ReturnType<typeof createContractStore>;
let reader: ReturnType<typeof createSalesReader>;
let serial = 0;
/** Every contract saved so far, as stored: the summary counts the whole table. */
const book = new Map<string, Contract>();

async function save(set: ContractChangeSet): Promise<void> {
  await store.save(set);
  book.set(set.next.contract.contractId, set.next.contract);
}

/** A first purchase as the sync makes it (reconcile), not yet saved. */
function purchase(
  expiresAt: Date,
  credits: number,
  productCode = PRODUCTS[serial % 2] ?? '',
): StoredContract {
  const licenseId = `l-${String(++serial).padStart(32, '0')}`;
  const result = reconcile(
    undefined,
    {
      key: { kind: 'license', productCode, licenseId },
      entitlements: [
        { productCode, dimension: 'Credits', quantity: credits, expiresAt: expiresAt.toISOString() },
      ],
      facts: {},
      observedAt: CREATED.toISOString(),
    },
    { productCode },
    CREATED,
  );
  if (!result.changed) throw new Error('a purchase must change');
  return result.next;
}

const snapshot = (c: Contract) => ({
  status: contractStatus(c),
  activeCredits: c.activeCredits,
  expiresAt: c.expiresAt,
});

/** The change set that turns `before` (undefined: none stored) into `after`. */
function change(
  before: StoredContract | undefined,
  after: Contract,
  items = before?.items ?? [],
): ContractChangeSet {
  const version = (before?.contract.version ?? 0) + 1;
  const next = { ...after, version };
  return {
    next: { contract: next, items },
    touchedItems: before ? [] : items,
    expectedVersion: before?.contract.version,
    audit: {
      contractId: after.contractId,
      version,
      at: CREATED.toISOString(),
      changes: [],
      trigger: { source: 'sns', type: 'test', id: `m-${version}`, at: CREATED.toISOString() },
      ...(before ? { before: snapshot(before.contract) } : {}),
      after: snapshot(next),
    },
  };
}

async function create(expiresAt: Date, credits: number, shape: (c: Contract) => Contract = (c) => c) {
  const bought = purchase(expiresAt, credits);
  const set = change(undefined, shape(bought.contract), bought.items);
  await save(set);
  return set.next;
}

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  store = createContractStore({ client: table.client, tableName: table.tableName });
  reader = createSalesReader({ client: table.client, tableName: table.tableName });
});
afterAll(async () => {
  await table.drop();
});

describe('sales summary counters', () => {
  it('does not count a live contract whose term ended before now, even within the hour (item 6)', async () => {
    // Arrange: a fresh table's worth of contracts around one instant, within and across buckets.
    const now = new Date('2030-06-01T10:20:00.000Z');
    const at = (ms: number) => new Date(now.getTime() + ms);
    const active = (c: Contract): Contract => ({ ...c, setupState: 'active', activatedBy: 'biz' });
    const stored = [
      await create(at(-5 * MINUTE), 100, active), // this hour, already ended
      await create(at(5 * MINUTE), 200, active), // this hour, still running
      await create(at(-2 * 3600 * 1000), 300, active), // this day, an earlier hour
      await create(new Date('2030-05-20T00:00:00.000Z'), 400), // last month, never set up
      await create(at(-1), 500, active), // one millisecond ago
      await create(now, 600), // ends at this very instant: not yet over
      await create(at(30 * DAY - MINUTE), 700),
      await create(at(30 * DAY + MINUTE), 800, active),
      await create(at(90 * DAY - 1), 900),
      await create(at(200 * DAY), 1000, active),
      await create(at(10 * DAY), 0, (c) => ({
        ...c,
        term: 'cancelled',
        activeCredits: 0,
        endedAt: c.createdAt,
      })),
    ];
    // Act
    const summary = await reader.summary({ productCodes: PRODUCTS, now });

    // Assert
    const { asOf, ...counted } = summary;
    expect(asOf).toBe(now.toISOString());
    expect(stored).toHaveLength(11);
    expect(counted).toEqual(expectedSummary([...book.values()], now));
    expect(counted.expiring).toMatchObject({ days30: 3, days60: 4, days90: 5 });
  });

  it('reads counters and the contracts of a few hours only, however many contracts end within 90 days', async () => {
    const now = new Date('2031-03-01T00:30:00.000Z');
    // 60 contracts over the next 90 days, none in the four hours the summary splits (now, +30d, +60d, +90d).
    for (let n = 0; n < 60; n++) await create(new Date(now.getTime() + (n * 1.5 + 1) * DAY), 10);
    const reads = countingReads();
    await reader.summary({ productCodes: PRODUCTS, now });
    expect(reads.itemsQueried).toBe(0);
    expect(reads.batchGets).toBe(1);
    expect(reads.keysRequested).toBeLessThanOrEqual(90);
    reads.stop();
  });

  it('stays equal to the contracts under races, redeliveries and changes in any order', async () => {
    const statuses = ['pending-setup', 'active', 'expired', 'cancelled'] as const;
    const base = Date.parse('2032-01-01T00:00:00.000Z');
    const instant = fc.integer({ min: base, max: base + 200 * DAY }).map((ms) => new Date(ms));
    const step = fc.record({
      contract: fc.nat(5),
      status: fc.constantFrom(...statuses),
      credits: fc.nat(1000),
      expiresAt: instant,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(instant, { minLength: 6, maxLength: 6 }),
        fc.array(fc.array(step, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
        fc.array(instant, { minLength: 2, maxLength: 4 }),
        async (expiries, rounds, nows) => {
          const pool: StoredContract[] = [];
          const history: ContractChangeSet[] = [];
          for (const [i, expiresAt] of expiries.entries()) {
            const bought = purchase(expiresAt, 100 + i);
            const set = change(undefined, bought.contract, bought.items);
            await save(set);
            pool.push(set.next);
            history.push(set);
          }
          for (const [r, round] of rounds.entries()) {
            // Every change of a round is made from the same reads and sent at once: changes of
            // one contract race on its version, changes of contracts in one shard on the counters.
            const sets = round.map((s) => {
              const stored = pool[s.contract] as StoredContract;
              const ended = s.status === 'expired' || s.status === 'cancelled';
              const next: Contract = {
                ...stored.contract,
                setupState: s.status === 'active' ? 'active' : stored.contract.setupState,
                term: s.status === 'expired' || s.status === 'cancelled' ? s.status : 'current',
                activeCredits: ended ? 0 : s.credits,
                expiresAt: s.expiresAt.toISOString(),
              };
              return { index: s.contract, set: change(stored, next) };
            });
            // A redelivered, already applied change arrives among them: its version has moved.
            const stale = history[r % history.length] as ContractChangeSet;
            const outcomes = await Promise.allSettled([
              ...sets.map(({ set }) => save(set)),
              store.save(stale),
            ]);
            for (const [i, outcome] of outcomes.entries()) {
              if (outcome.status === 'rejected') {
                expect(outcome.reason).toBeInstanceOf(ConcurrentUpdateError);
                continue;
              }
              const won = sets[i];
              expect(won, 'a stale redelivery must never commit').toBeDefined();
              if (!won) continue;
              pool[won.index] = won.set.next;
              history.push(won.set);
            }
          }
          const contracts = [...book.values()];
          for (const now of [...nows, new Date(Date.parse(pool[0]?.contract.expiresAt ?? '') + 1)]) {
            const { asOf: _, ...counted } = await reader.summary({ productCodes: PRODUCTS, now });
            expect(counted).toEqual(expectedSummary(contracts, now));
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});

/** Counts what the table's client reads until stopped: Query items, BatchGetItem calls and keys. */
function countingReads() {
  const counts = { itemsQueried: 0, batchGets: 0, keysRequested: 0, stop: () => {} };
  const name = `countReads${serial}`;
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      const input = args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> };
      const output = out.output as { Items?: unknown[] };
      if (context.commandName === 'QueryCommand') counts.itemsQueried += output.Items?.length ?? 0;
      if (context.commandName === 'BatchGetCommand' || context.commandName === 'BatchGetItemCommand') {
        counts.batchGets += 1;
        for (const request of Object.values(input.RequestItems ?? {}))
          counts.keysRequested += request.Keys?.length ?? 0;
      }
      return out;
    },
    { step: 'initialize', name },
  );
  counts.stop = () => {
    table.client.middlewareStack.remove(name);
  };
  return counts;
}

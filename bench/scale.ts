import { randomBytes } from 'node:crypto';
import type { Row } from '../lib/adapters/dynamodb/rows.js';
import { summaryDeltas } from '../lib/adapters/dynamodb/summary-counters.js';
import { type Contract, contractStatus } from '../lib/domain/contract/model.js';
import { reconcile } from '../lib/domain/contract/reconcile.js';
import {
  BENCH_CATALOG,
  BENCH_PRODUCT,
  type BenchEnvironment,
  type BenchTable,
  batchWriteRows,
  contractRow,
  createBenchTable,
  median,
  purchasedContract,
  salesHandler,
  timed,
} from './support.js';

export interface PageTimes {
  readonly smallMs: number;
  readonly largeMs: number;
  /** largeMs ÷ smallMs. */
  readonly ratio: number;
  /** Queries one page sent, and the items they read, on each table. */
  readonly queries: { readonly small: number; readonly large: number };
  readonly itemsRead: { readonly small: number; readonly large: number };
}

/** GET /summary on both tables: counters and a few hours of contracts, however large the table. */
export interface SummaryTimes extends PageTimes {
  /** Counter items the summary asked for (BatchGetItem keys, each read or found missing), on each table. */
  readonly counterItems: { readonly small: number; readonly large: number };
  /**
   * Live contracts ending within 90 days on each table: what the summary read before its
   * expiry counters (one item each, from the status index).
   */
  readonly liveWithin90Days: { readonly small: number; readonly large: number };
}

export interface ScaleResult {
  readonly small: number;
  readonly large: number;
  readonly firstPage: PageTimes;
  readonly filteredPage: PageTimes;
  readonly summary: SummaryTimes;
  /** Wall time to seed both tables (the large one is nearly all of it). */
  readonly seedSeconds: number;
}

interface Page {
  readonly contracts: unknown[];
}

const DAY = 24 * 3600 * 1000;
const WARM_UP = 5;
const RUNS = 30;
/** Parallel BatchWriteItem requests while seeding; DynamoDB Local is the bottleneck beyond a few. */
const WRITERS = 16;
/** The sales list's default page size (functions/sales/schema.ts). */
const PAGE_SIZE = 50;
const FILTERED_PRODUCT = BENCH_PRODUCT;

/**
 * Whether a sales page costs the same on 100 contracts as on 100,000: GET /contracts through
 * the sales handler (default page size, JSON) on two tables seeded with the same mix, in the
 * same DynamoDB Local, warmed up, RUNS alternating runs (small/large, then large/small), medians
 * compared. Every page timed must be a full one (checked).
 * - first page: no filter, as sales opens the list. It queries every (product × status)
 *   partition with the page size as Limit, so it reads up to 2 × 4 × 50 items; a table whose
 *   partitions hold fewer reads fewer, and that shows in the ratio next to the table's size.
 * - filtered page: one product, `active`, expiring before a date picked so the small table
 *   still has 55 matches: both tables read exactly one page of one partition, so the ratio is
 *   the table's size alone.
 * - summary: GET /summary, timed the same way. It reads the counter items (the shards' totals
 *   and the expiry buckets of four instants, about 90) and the contracts ending in four partial
 *   hours, not every live contract ending within 90 days (the figure kept for comparison).
 * Seeding writes the contract rows in the contract store's shape plus the summary counters;
 * items and audit rows are left out, as no list reads them and no index holds them.
 */
export async function measureScale(
  env: BenchEnvironment,
  { small, large }: { small: number; large: number },
): Promise<ScaleResult> {
  const now = new Date();
  const tables: BenchTable[] = [];
  try {
    const smallTable = await createBenchTable(env.dynamoEndpoint, 'bench-small');
    tables.push(smallTable);
    const largeTable = await createBenchTable(env.dynamoEndpoint, 'bench-large');
    tables.push(largeTable);

    let activeExpiries: string[] = [];
    const liveWithin90Days = { small: 0, large: 0 };
    const seedSeconds =
      (await timed(async () => {
        const seededSmall = await seed(smallTable, small, now);
        activeExpiries = seededSmall.activeExpiries;
        liveWithin90Days.small = seededSmall.liveWithin90Days;
        liveWithin90Days.large = (await seed(largeTable, large, now)).liveWithin90Days;
      })) / 1000;

    // Just after the small table's 55th active contract of the first product to expire.
    const last =
      activeExpiries.sort()[Math.min(PAGE_SIZE + 4, activeExpiries.length - 1)] ?? now.toISOString();
    const filter = {
      product: FILTERED_PRODUCT,
      status: 'active',
      expiringBefore: new Date(Date.parse(last) + 1).toISOString(),
    };

    const pages = { small: salesHandler(smallTable), large: salesHandler(largeTable) };
    const runs = new Map<string, number[]>();
    const reads = new Map<string, { queries: number; itemsRead: number; counterItems?: number }>();
    const tableOf = { small: smallTable, large: largeTable };
    const counterItems = { small: countBatchGetItems(smallTable), large: countBatchGetItems(largeTable) };
    /** Times one page (the handler call alone) and checks it is a full one. */
    const page = async (size: 'small' | 'large', name: 'first' | 'filtered', record: boolean) => {
      let response: Awaited<ReturnType<(typeof pages)['small']>> | undefined;
      tableOf[size].resetCalls();
      const ms = await timed(async () => {
        response = await pages[size]('/contracts', name === 'first' ? {} : filter);
      });
      const contracts =
        response?.statusCode === 200 ? (JSON.parse(response.body ?? '{}') as Page).contracts : [];
      if (contracts.length !== PAGE_SIZE) {
        throw new Error(
          `The ${name} page of the ${size} table held ${contracts.length} contracts, not ${PAGE_SIZE}`,
        );
      }
      if (record) runs.set(`${name} ${size}`, [...(runs.get(`${name} ${size}`) ?? []), ms]);
      const counted = tableOf[size].counts();
      reads.set(`${name} ${size}`, { queries: counted.reads, itemsRead: counted.itemsRead });
    };
    /** Times one summary and checks that it accounts for every contract of the table. */
    const summary = async (size: 'small' | 'large', record: boolean) => {
      let response: Awaited<ReturnType<(typeof pages)['small']>> | undefined;
      tableOf[size].resetCalls();
      counterItems[size].reset();
      const ms = await timed(async () => {
        response = await pages[size]('/summary');
      });
      const body =
        response?.statusCode === 200 ? (JSON.parse(response.body ?? '{}') as SummaryBody) : undefined;
      const counted = Object.values(body?.byStatus ?? {}).reduce((sum, n) => sum + n, 0);
      if (counted !== (size === 'small' ? small : large))
        throw new Error(`The summary of the ${size} table counted ${counted} contracts`);
      if (record) runs.set(`summary ${size}`, [...(runs.get(`summary ${size}`) ?? []), ms]);
      const calls = tableOf[size].counts();
      reads.set(`summary ${size}`, {
        queries: calls.calls.QueryCommand ?? 0,
        itemsRead: calls.itemsRead,
        counterItems: counterItems[size].items,
      });
    };
    for (let i = 0; i < WARM_UP + RUNS; i++) {
      const order = i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
      for (const size of order) {
        await page(size, 'first', i >= WARM_UP);
        await page(size, 'filtered', i >= WARM_UP);
        await summary(size, i >= WARM_UP);
      }
    }
    const times = (name: string): PageTimes => {
      const [smallReads, largeReads] = [reads.get(`${name} small`), reads.get(`${name} large`)];
      return {
        ...pageTimes(runs.get(`${name} small`) ?? [], runs.get(`${name} large`) ?? []),
        queries: { small: smallReads?.queries ?? 0, large: largeReads?.queries ?? 0 },
        itemsRead: { small: smallReads?.itemsRead ?? 0, large: largeReads?.itemsRead ?? 0 },
      };
    };
    return {
      small,
      large,
      firstPage: times('first'),
      filteredPage: times('filtered'),
      summary: {
        ...times('summary'),
        counterItems: {
          small: reads.get('summary small')?.counterItems ?? 0,
          large: reads.get('summary large')?.counterItems ?? 0,
        },
        liveWithin90Days,
      },
      seedSeconds: Math.round(seedSeconds * 10) / 10,
    };
  } finally {
    await Promise.all(tables.map((table) => table.drop()));
  }
}

function pageTimes(smallRuns: number[], largeRuns: number[]): Omit<PageTimes, 'queries' | 'itemsRead'> {
  const smallMs = median(smallRuns);
  const largeMs = median(largeRuns);
  const r = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
  return { smallMs: r(smallMs, 2), largeMs: r(largeMs, 2), ratio: r(largeMs / smallMs, 3) };
}

interface SummaryBody {
  readonly byStatus: Record<string, number>;
}

/** Counts the keys BatchGetItem is asked for on a bench table (the summary's counter items). */
function countBatchGetItems(table: BenchTable) {
  const counter = {
    items: 0,
    reset: () => {
      counter.items = 0;
    },
  };
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      const requests = (args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems;
      if (context.commandName === 'BatchGetItemCommand' || context.commandName === 'BatchGetCommand')
        for (const request of Object.values(requests ?? {})) counter.items += request.Keys?.length ?? 0;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountBatchGetItems' },
  );
  return counter;
}

/**
 * Writes `count` contracts and the summary counters that total them (summary-counters.ts's own
 * deltas, as each contract's first transaction would add them), BatchWriteItem 25 rows at a
 * time with WRITERS requests in flight. Returns the expiry dates of the first product's active
 * contracts, and how many live contracts end within 90 days.
 */
export async function seed(
  table: BenchTable,
  count: number,
  now: Date,
): Promise<{ activeExpiries: string[]; liveWithin90Days: number }> {
  const random = mulberry32(20_260_501);
  const counters = new Map<string, Row>();
  const activeExpiries: string[] = [];
  let liveWithin90Days = 0;
  let next = 0;
  const nextRows = (): Row[] => {
    const rows: Row[] = [];
    while (rows.length < 25 && next < count) {
      const contract = seededContract(next++, random, now);
      const status = contractStatus(contract);
      if (status === 'active' && contract.productCode === FILTERED_PRODUCT)
        activeExpiries.push(contract.expiresAt);
      const ends = Date.parse(contract.expiresAt) - now.getTime();
      if ((status === 'active' || status === 'pending-setup') && ends >= 0 && ends < 90 * DAY)
        liveWithin90Days += 1;
      const counted = { status, activeCredits: contract.activeCredits, expiresAt: contract.expiresAt };
      for (const [id, { key, add }] of summaryDeltas(contract.contractId, undefined, counted)) {
        const row = counters.get(id) ?? { ...key };
        counters.set(id, row);
        for (const [name, n] of add) row[name] = Number(row[name] ?? 0) + n;
      }
      rows.push(contractRow(contract));
    }
    return rows;
  };
  const write = (rows: Row[]) => batchWriteRows(table.client, table.tableName, rows);
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      for (let rows = nextRows(); rows.length > 0; rows = nextRows()) await write(rows);
    }),
  );
  const counterRows = [...counters.values()];
  for (let i = 0; i < counterRows.length; i += 25) await write(counterRows.slice(i, i + 25));
  return { activeExpiries, liveWithin90Days };
}

/**
 * One contract of a realistic book: 75 % active, 10 % pending setup (bought in the last two
 * weeks), 10 % expired, 5 % cancelled; 12- or 24-month terms; two products, 80/20. Created by
 * the domain's own reconcile, ended by reconcile with no entitlements, activated the way the
 * setup store's activation sets the contract.
 */
function seededContract(n: number, random: () => number, now: Date): Contract {
  const product = BENCH_CATALOG.products[random() < 0.8 ? 0 : 1]?.productCode ?? '';
  const kind = random() * 100;
  const status = kind < 75 ? 'active' : kind < 85 ? 'pending-setup' : kind < 95 ? 'expired' : 'cancelled';
  const months = random() < 0.6 ? 12 : 24;
  const termMs = months * 30.4 * DAY;
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  const createdAt =
    status === 'pending-setup'
      ? ago(random() * 14)
      : status === 'expired'
        ? new Date(now.getTime() - termMs - (1 + random() * 730) * DAY)
        : ago(random() * (termMs / DAY - 1));
  const expiresAt = new Date(createdAt.getTime() + termMs);
  let { contract, items } = purchasedContract(
    {
      productCode: product,
      licenseId: `l-${randomBytes(16).toString('hex')}`,
      customerAWSAccountId: String(100_000_000_000 + Math.floor(random() * 899_999_999_999)),
      credits: 100 * (1 + Math.floor(random() * 100)),
      expiresAt,
    },
    createdAt,
  );
  const activated =
    status === 'active' || ((status === 'expired' || status === 'cancelled') && random() < 0.7);
  if (activated) {
    const at = new Date(createdAt.getTime() + random() * 2 * DAY).toISOString();
    contract = {
      ...contract,
      setupState: 'active',
      activatedBy: `biz-${String(n % 40_000).padStart(8, '0')}`,
      businessName: `Business ${n % 40_000}`,
      activatedAt: at,
      updatedAt: at,
      version: contract.version + 1,
    };
  }
  if (status === 'expired' || status === 'cancelled') {
    const endedAt =
      status === 'expired'
        ? new Date(expiresAt.getTime() + DAY)
        : ago(random() * Math.min(60, (now.getTime() - createdAt.getTime()) / DAY));
    const productConfig = BENCH_CATALOG.products.find((p) => p.productCode === product) ?? {
      productCode: product,
    };
    const ended = reconcile(
      { contract, items },
      { key: contract.key, entitlements: [], facts: {}, observedAt: endedAt.toISOString() },
      productConfig,
      endedAt,
    );
    if (!ended.changed) throw new Error('Ending a current contract must change it');
    ({ contract, items } = ended.next);
  }
  return contract;
}

/** A small seeded PRNG, so both tables get the same mix and runs are repeatable. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t + 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

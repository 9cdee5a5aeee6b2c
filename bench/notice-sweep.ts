import { createHash } from 'node:crypto';
import { keys } from '../lib/adapters/dynamodb/keys.js';
import { createExpiringLicenses, createNoticeClaims } from '../lib/adapters/dynamodb/notice-store.js';
import type { Row } from '../lib/adapters/dynamodb/rows.js';
import { noticeWindowEnd } from '../lib/domain/notices/expiry.js';
import type { ExpiringLicenses } from '../lib/domain/notices/ports.js';
import { type ExpiryNoticeSummary, sendExpiryNotices } from '../lib/domain/notices/sweep.js';
import type { Business } from '../lib/domain/setup/model.js';
import type { EmailMessage } from '../lib/domain/setup/ports.js';
import {
  BENCH_PRODUCT,
  type BenchEnvironment,
  type BenchTable,
  batchWriteRows,
  type CallCounts,
  createBenchTable,
  median,
  timed,
} from './support.js';

/** One run of the whole sweep over the window's licenses. */
export interface SweepRun extends ExpiryNoticeSummary {
  readonly ms: number;
  /** Mails the (counting) mailer was handed. */
  readonly mails: number;
  readonly calls: CallCounts['calls'];
}

export interface NoticeSweepResult {
  /** Active contracts in each table. */
  readonly small: number;
  readonly large: number;
  /** Of those, expiring inside the notice window: the same in both tables. */
  readonly inWindow: number;
  /** Wall time to seed both tables (the large one is nearly all of it). */
  readonly seedSeconds: number;
  /** `list(now, noticeWindowEnd(now))`, consumed to its end: medians of alternating runs. */
  readonly list: {
    readonly runs: number;
    readonly smallMs: number;
    readonly largeMs: number;
    /** largeMs ÷ smallMs. */
    readonly ratio: number;
    readonly queries: { readonly small: number; readonly large: number };
    readonly itemsRead: { readonly small: number; readonly large: number };
  };
  /** `sendExpiryNotices` on the large table: first (every notice sent), then again (every one claimed already). */
  readonly sweep: { readonly cold: SweepRun; readonly rerun: SweepRun };
}

const DAY = 24 * 3600 * 1000;
/** Parallel BatchWriteItem requests while seeding, as bench/scale.ts. */
const WRITERS = 16;
const WARM_UP = 5;
const BUSINESSES = 50;

/**
 * Whether the daily expiry sweep's read costs the same on 100 active contracts as on 100,000:
 * two tables with the production definition on the same DynamoDB Local, each holding `inWindow`
 * active contracts expiring within the next 59 days and the rest spread over the 3 years after
 * the 62-day window, seeded with the rows' index attributes only (what the sweep's projection
 * reads). The listing (`createExpiringLicenses(…).list(now, noticeWindowEnd(now))`, the async
 * iterable read to its end) is timed in `runs` alternating runs after a warm-up (small then
 * large, then large then small), medians compared, with the Queries and items each read (a
 * counting middleware). Then the whole `sendExpiryNotices` on the large table with the real
 * claims adapter, businesses answered from memory (Europe/Berlin) and a mailer that only counts:
 * once cold (a claim Put, a mail and a sent Update per notice) and once again at the same
 * instant (each claim a failing conditional Put, no mail): what a rerun costs.
 */
export async function measureNoticeSweep(
  env: BenchEnvironment,
  { small, large, inWindow, runs }: { small: number; large: number; inWindow: number; runs: number },
): Promise<NoticeSweepResult> {
  const now = new Date();
  const tables: BenchTable[] = [];
  try {
    const smallTable = await createBenchTable(env.dynamoEndpoint, 'bench-notice-small');
    tables.push(smallTable);
    const largeTable = await createBenchTable(env.dynamoEndpoint, 'bench-notice-large');
    tables.push(largeTable);
    const seedSeconds =
      (await timed(async () => {
        await seed(smallTable, small, inWindow, now);
        await seed(largeTable, large, inWindow, now);
      })) / 1000;

    const licenses = (table: BenchTable) =>
      createExpiringLicenses({
        client: table.client,
        tableName: table.tableName,
        productCodes: [BENCH_PRODUCT],
      });
    const lists = { small: licenses(smallTable), large: licenses(largeTable) };
    const tableOf = { small: smallTable, large: largeTable };
    const times = { small: [] as number[], large: [] as number[] };
    const reads = { small: { queries: 0, itemsRead: 0 }, large: { queries: 0, itemsRead: 0 } };
    const list = async (size: 'small' | 'large', record: boolean) => {
      tableOf[size].resetCalls();
      let listed = 0;
      const ms = await timed(async () => {
        listed = await drain(lists[size], now);
      });
      if (listed !== inWindow)
        throw new Error(`The ${size} table listed ${listed} expiring licenses, not ${inWindow}`);
      if (record) times[size].push(ms);
      const counted = tableOf[size].counts();
      reads[size] = { queries: counted.calls.QueryCommand ?? 0, itemsRead: counted.itemsRead };
    };
    for (let i = 0; i < WARM_UP + runs; i++) {
      const order = i % 2 === 0 ? (['small', 'large'] as const) : (['large', 'small'] as const);
      for (const size of order) await list(size, i >= WARM_UP);
    }

    const claims = createNoticeClaims({ client: largeTable.client, tableName: largeTable.tableName });
    const sweep = async (): Promise<SweepRun> => {
      largeTable.resetCalls();
      let mails = 0;
      let summary: ExpiryNoticeSummary | undefined;
      const ms = await timed(async () => {
        summary = await sendExpiryNotices(
          {
            licenses: lists.large,
            businesses: { get: async (businessId) => business(businessId, now) },
            claims,
            mailer: {
              send: async (_: EmailMessage) => {
                mails++;
              },
            },
            productName: () => 'Bench Platform',
            consoleUrl: 'https://console.example/licenses',
          },
          now,
        );
      });
      if (!summary) throw new Error('The sweep answered nothing');
      return { ...summary, ms: Math.round(ms * 10) / 10, mails, calls: largeTable.counts().calls };
    };
    const cold = await sweep();
    const rerun = await sweep();
    if (cold.sent !== inWindow || rerun.alreadySent !== inWindow || rerun.mails !== 0)
      throw new Error(
        `The sweep sent ${cold.sent} notices cold and found ${rerun.alreadySent} sent on the rerun, not ${inWindow}`,
      );

    const smallMs = median(times.small);
    const largeMs = median(times.large);
    const r = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
    return {
      small,
      large,
      inWindow,
      seedSeconds: r(seedSeconds, 1),
      list: {
        runs,
        smallMs: r(smallMs, 2),
        largeMs: r(largeMs, 2),
        ratio: r(largeMs / smallMs, 3),
        queries: { small: reads.small.queries, large: reads.large.queries },
        itemsRead: { small: reads.small.itemsRead, large: reads.large.itemsRead },
      },
      sweep: { cold, rerun },
    };
  } finally {
    await Promise.all(tables.map((table) => table.drop()));
  }
}

async function drain(licenses: ExpiringLicenses, now: Date): Promise<number> {
  let n = 0;
  for await (const _ of licenses.list(now, noticeWindowEnd(now))) n++;
  return n;
}

const businessIdOf = (n: number) => `biz-bench${String(n % BUSINESSES).padStart(15, '0')}`;

/** Every business the same but for its id (the notice checks it is addressed to its own). */
function business(businessId: string, now: Date): Business {
  return {
    businessId,
    name: 'Acme Robotics',
    country: 'DE',
    dataCenterRegion: 'eu-central-1',
    timeZone: 'Europe/Berlin',
    primaryEmail: 'owner@buyer.example',
    createdAt: now.toISOString(),
  };
}

/**
 * `count` active, activated contracts of the bench product, the first `inWindow` expiring 1 to
 * 59 days from `now`, the rest from 63 days to 3 years after that: only the attributes the
 * byStatus index and the sweep's projection need (contract-store.ts writes many more, none of
 * them read here), BatchWriteItem 25 at a time with WRITERS requests in flight.
 */
async function seed(table: BenchTable, count: number, inWindow: number, now: Date): Promise<void> {
  let next = 0;
  const row = (n: number): Row => {
    const contractId = `${BENCH_PRODUCT}~L~l-${createHash('md5').update(`${table.tableName}#${n}`).digest('hex')}`;
    const offset =
      n < inWindow
        ? DAY + (58 * DAY * n) / inWindow
        : 63 * DAY + ((3 * 365 * DAY) / (count - inWindow)) * (n - inWindow);
    const expiresAt = new Date(now.getTime() + offset + 3_600_000).toISOString();
    return {
      ...keys.contract(contractId),
      ...keys.byStatus(BENCH_PRODUCT, 'active', expiresAt, contractId),
      contractId,
      productCode: BENCH_PRODUCT,
      activatedBy: businessIdOf(n),
      activeCredits: 1000,
      expiresAt,
      facts: {},
    };
  };
  const write = (rows: Row[]) => batchWriteRows(table.client, table.tableName, rows);
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < count) {
        const rows: Row[] = [];
        while (rows.length < 25 && next < count) rows.push(row(next++));
        await write(rows);
      }
    }),
  );
}

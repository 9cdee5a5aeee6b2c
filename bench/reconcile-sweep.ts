import { randomUUID } from 'node:crypto';
import { createContractStore } from '../lib/adapters/dynamodb/contract-store.js';
import type { Row } from '../lib/adapters/dynamodb/rows.js';
import { createSweepStore } from '../lib/adapters/dynamodb/sweep-store.js';
import { createAgreementReader } from '../lib/adapters/marketplace/agreement-reader.js';
import { createAgreementClient, createEntitlementClient } from '../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../lib/adapters/marketplace/entitlement-reader.js';
import { createPacer, pacedAgreements, pacedEntitlements } from '../lib/adapters/marketplace/pacer.js';
import { DEFAULT_RETRY } from '../lib/adapters/marketplace/retry.js';
import type { AgreementReader, AgreementSummary } from '../lib/domain/contract/agreement.js';
import { syncWithAgreements } from '../lib/domain/contract/agreement-sync.js';
import type { StoredContract } from '../lib/domain/contract/model.js';
import type { ContractChangeSet, ContractRepository } from '../lib/domain/contract/ports.js';
import {
  runSweep,
  type SweepCounts,
  type SweepDeps,
  type SweepProgress,
  type SweepStore,
} from '../lib/domain/contract/sweep.js';
import { MarketplaceSimulator, type SimulatorCall } from '../local/marketplace-simulator/index.js';
import {
  BENCH_CATALOG,
  type BenchEnvironment,
  type BenchTable,
  batchWriteRows,
  contractRow,
  createBenchTable,
  itemRow,
} from './support.js';

/** One phase (or one whole run) of the sweep: what it cost. */
export interface SweepPhaseCost {
  /** Contracts (agreements phase: agreements) it went through. */
  readonly items: number;
  readonly ms: number;
  readonly msPerItem: number;
  /** Marketplace requests by operation (simulator call log), throttled ones included. */
  readonly marketplace: Record<string, number>;
  readonly marketplacePerItem: number;
  /** Requests the simulator answered with ThrottlingException (each must have been retried). */
  readonly throttled: number;
  /** DynamoDB commands by name (SDK middleware), the sweep item's lease and checkpoints included. */
  readonly dynamodb: Record<string, number>;
  readonly dynamodbPerItem: number;
  /** Contract writes: saves, hand-overs and the contracts phase's syncedAt touches. */
  readonly contractWrites: number;
  readonly touched: number;
}

export interface ReconcileSweepSize {
  readonly contracts: number;
  /** Licenses whose entitlements were changed unannounced: before the run, and between its phases. */
  readonly driftSeeded: { readonly agreements: number; readonly contracts: number };
  readonly seedSeconds: number;
  /** The backfill run: its agreements phase, its contracts phase, and the whole. */
  readonly backfill: {
    readonly status: string;
    readonly drift: number;
    readonly counts: SweepCounts;
    readonly agreements: SweepPhaseCost;
    readonly contracts: SweepPhaseCost;
    readonly total: SweepPhaseCost;
  };
  /** An incremental run right after: nothing changed, nothing to write. */
  readonly rerun: {
    readonly status: string;
    readonly drift: number;
    readonly counts: SweepCounts;
  } & SweepPhaseCost;
}

export interface ReconcileSweepResult {
  readonly rateLimit: { readonly perSecond: number; readonly burst: number };
  readonly pacerPerSecond: number;
  readonly small: ReconcileSweepSize;
  readonly large: ReconcileSweepSize;
  /** large ÷ small of ms per contract: the agreements phase, the contracts phase, the whole run. */
  readonly ratio: { readonly agreements: number; readonly contracts: number; readonly total: number };
}

const SELLER = '123456512334';
const PRODUCT = BENCH_CATALOG.products[0] ?? { productCode: '', productId: '' };
const SEED_WORKERS = 16;
const WRITERS = 8;
const DAY = 86_400_000;

/**
 * The reconciliation sweep (issue 15) at steady state, on `small` and `large` contracts: its
 * own simulator (the shared one holds other parts' licenses and agreements, which a backfill
 * would list) with `small`/`large` licenses of the bench product, each under an ACTIVE
 * agreement as the marketplace console's purchase makes it; the table holding each license's
 * contract exactly as a sync with the Agreement API leaves it (the domain's own
 * `syncWithAgreements` against an in-memory repository, then written with BatchWriteItem),
 * synced two days ago so the contracts phase re-reads them. 1 % of the licenses get more credits
 * unannounced before the run and another 1 % between its phases, so each phase must find drift.
 * Then, with the simulator's rate limit on and the sweep paced just under it as
 * functions/reconcile/handler.ts paces it: a backfill (agreements phase over every agreement,
 * contracts phase over every contract not synced since), split at its checkpoint between the
 * phases, and an incremental run right after, which must change and write nothing.
 */
export async function measureReconcileSweep(
  env: BenchEnvironment,
  {
    small,
    large,
    rateLimit,
    pacerPerSecond,
  }: {
    small: number;
    large: number;
    rateLimit: { perSecond: number; burst: number };
    pacerPerSecond: number;
  },
): Promise<ReconcileSweepResult> {
  const smallResult = await measureSize(env, small, rateLimit, pacerPerSecond);
  const largeResult = await measureSize(env, large, rateLimit, pacerPerSecond);
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    rateLimit,
    pacerPerSecond,
    small: smallResult,
    large: largeResult,
    ratio: {
      agreements: r3(largeResult.backfill.agreements.msPerItem / smallResult.backfill.agreements.msPerItem),
      contracts: r3(largeResult.backfill.contracts.msPerItem / smallResult.backfill.contracts.msPerItem),
      total: r3(largeResult.backfill.total.msPerItem / smallResult.backfill.total.msPerItem),
    },
  };
}

interface Snapshot {
  readonly at: number;
  readonly calls: number;
  readonly dynamodb: Record<string, number>;
  readonly contractWrites: number;
  readonly touched: number;
  readonly counts?: SweepCounts;
}

async function measureSize(
  env: BenchEnvironment,
  n: number,
  rateLimit: { perSecond: number; burst: number },
  pacerPerSecond: number,
): Promise<ReconcileSweepSize> {
  const simulator = new MarketplaceSimulator();
  const running = await simulator.start();
  let table: BenchTable | undefined;
  try {
    table = await createBenchTable(env.dynamoEndpoint, 'bench-reconcile');
    const entitlementClient = createEntitlementClient({ endpoint: running.endpoint });
    const agreementClient = createAgreementClient({ endpoint: running.endpoint });
    const seedStart = performance.now();
    const licenseArns = seedMarketplace(simulator, n);
    await seedContracts(table, entitlementClient, agreementClient, n);
    const seedSeconds = Math.round((performance.now() - seedStart) / 100) / 10;

    // 1 % drift (at least one) before the run, found by the agreements phase; another 1 % at the
    // phase change, found by the contracts phase.
    const drifts = Math.max(1, Math.round(n / 100));
    const beforeRun = licenseArns.slice(0, drifts);
    const betweenPhases = licenseArns.slice(drifts, 2 * drifts);
    for (const arn of beforeRun) simulator.upgrade(arn, { Credits: 7 });

    let contractWrites = 0;
    let touched = 0;
    const store = createContractStore({ client: table.client, tableName: table.tableName });
    const contracts: ContractRepository = {
      load: (id) => store.load(id),
      findContractIds: (code, by) => store.findContractIds(code, by),
      save: async (change) => {
        contractWrites++;
        await store.save(change);
      },
      saveAll: async (changes) => {
        contractWrites++;
        await store.saveAll(changes);
      },
    };
    const benchTable = table;
    const snapshot = (counts?: SweepCounts): Snapshot => ({
      at: performance.now(),
      calls: simulator.calls.length,
      dynamodb: benchTable.counts().calls,
      contractWrites,
      touched,
      ...(counts ? { counts } : {}),
    });
    let phaseChange: Snapshot | undefined;
    const sweepStore = createSweepStore({ client: table.client, tableName: table.tableName });
    const countingStore: SweepStore = {
      acquire: (owner, now, until) => sweepStore.acquire(owner, now, until),
      checkpoint: async (owner, progress: SweepProgress, until) => {
        if (progress.phase !== 'agreements' && !phaseChange) {
          phaseChange = snapshot(progress.counts);
          for (const arn of betweenPhases) simulator.upgrade(arn, { Credits: 7 });
        }
        await sweepStore.checkpoint(owner, progress, until);
      },
      finish: (owner, watermark, progress) => sweepStore.finish(owner, watermark, progress),
      release: (owner, progress) => sweepStore.release(owner, progress),
      staleContracts: (codes, cutoff, cursor, limit) =>
        sweepStore.staleContracts(codes, cutoff, cursor, limit),
      touchSynced: async (id, version, at) => {
        touched++;
        contractWrites++;
        await sweepStore.touchSynced(id, version, at);
      },
    };
    const deps = (): SweepDeps => {
      const pace = createPacer(pacerPerSecond);
      return {
        catalog: BENCH_CATALOG,
        contracts,
        entitlements: pacedEntitlements(
          createEntitlementReader({ client: entitlementClient, retry: DEFAULT_RETRY }),
          pace,
        ),
        agreements: pacedAgreements(
          createAgreementReader({ client: agreementClient, retry: DEFAULT_RETRY }),
          pace,
        ),
        store: countingStore,
        clock: { now: () => new Date() },
        remainingMs: () => 15 * 60_000,
        newRunId: randomUUID,
      };
    };

    simulator.resetCalls();
    table.resetCalls();
    simulator.setRateLimit(rateLimit);
    const start = snapshot();
    const backfill = await runSweep(deps(), { mode: 'backfill' });
    const end = snapshot(backfill.progress?.counts);
    const mid = phaseChange ?? end;
    const counts = backfill.progress?.counts;
    if (!counts) throw new Error(`The backfill ended ${backfill.status} without progress`);
    const agreementsCost = cost(simulator.calls, start, mid, counts.agreements);
    const contractsCost = cost(simulator.calls, mid, end, counts.contracts);
    const totalCost = cost(simulator.calls, start, end, n);

    const rerunStart = snapshot();
    const rerun = await runSweep(deps(), { mode: 'incremental' });
    const rerunEnd = snapshot();
    const rerunCounts = rerun.progress?.counts;
    if (!rerunCounts) throw new Error(`The rerun ended ${rerun.status} without progress`);
    const rerunCost = cost(simulator.calls, rerunStart, rerunEnd, n);

    const expected = {
      agreements: n,
      contracts: n - drifts,
      changed: 2 * drifts,
      failed: 0,
      created: 0,
      ended: 0,
      continued: 0,
    };
    for (const [name, value] of Object.entries(expected))
      if (counts[name as keyof SweepCounts] !== value)
        throw new Error(
          `Backfill over ${n}: ${name} ${counts[name as keyof SweepCounts]}, expected ${value} (${JSON.stringify(counts)})`,
        );
    if (rerun.drift !== 0 || rerunCost.contractWrites !== 0 || rerunCounts.failed !== 0)
      throw new Error(`The rerun over ${n} was no no-op: ${JSON.stringify({ rerunCounts, rerunCost })}`);

    return {
      contracts: n,
      driftSeeded: { agreements: beforeRun.length, contracts: betweenPhases.length },
      seedSeconds,
      backfill: {
        status: backfill.status,
        drift: backfill.drift,
        counts,
        agreements: agreementsCost,
        contracts: contractsCost,
        total: totalCost,
      },
      rerun: { status: rerun.status, drift: rerun.drift, counts: rerunCounts, ...rerunCost },
    };
  } finally {
    simulator.setRateLimit(undefined);
    await running.close();
    await table?.drop();
  }
}

function cost(calls: readonly SimulatorCall[], from: Snapshot, to: Snapshot, items: number): SweepPhaseCost {
  const marketplace: Record<string, number> = {};
  let throttled = 0;
  for (const call of calls.slice(from.calls, to.calls)) {
    marketplace[call.operation] = (marketplace[call.operation] ?? 0) + 1;
    if (call.outcome === 'ThrottlingException') throttled++;
  }
  const dynamodb: Record<string, number> = {};
  for (const [name, k] of Object.entries(to.dynamodb)) {
    const d = k - (from.dynamodb[name] ?? 0);
    if (d > 0) dynamodb[name] = d;
  }
  const sum = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
  const per = (x: number) => (items > 0 ? Math.round((x / items) * 1000) / 1000 : 0);
  const ms = to.at - from.at;
  return {
    items,
    ms: Math.round(ms),
    msPerItem: per(ms),
    marketplace: sorted(marketplace),
    marketplacePerItem: per(sum(marketplace)),
    throttled,
    dynamodb,
    dynamodbPerItem: per(sum(dynamodb)),
    contractWrites: to.contractWrites - from.contractWrites,
    touched: to.touched - from.touched,
  };
}

const sorted = (x: Record<string, number>) =>
  Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)));

/** `n` purchases of the bench product, each with its ACTIVE agreement (as MarketplaceConsole.purchase makes them). */
function seedMarketplace(simulator: MarketplaceSimulator, n: number): string[] {
  const arns: string[] = [];
  for (let i = 0; i < n; i++) {
    const quantities = { Credits: 100 + (i % 50) };
    const license = simulator.purchase({ productCode: PRODUCT.productCode, quantities, months: 12 });
    simulator.createAgreement({
      acceptorAccountId: license.customerAWSAccountId,
      proposerAccountId: SELLER,
      productId: PRODUCT.productId ?? '',
      licenseArn: license.licenseArn,
      quantities,
      months: 12,
    });
    arns.push(license.licenseArn);
  }
  return arns;
}

/**
 * Each license's contract as the sweep's own sync leaves it: every agreement listed (unpaced,
 * no rate limit yet), each license synced with `syncWithAgreements` exactly as the agreements
 * phase does (same command, terms read) into memory, then the rows written with BatchWriteItem,
 * `syncedAt` two days back.
 */
async function seedContracts(
  table: BenchTable,
  entitlementClient: ReturnType<typeof createEntitlementClient>,
  agreementClient: ReturnType<typeof createAgreementClient>,
  n: number,
): Promise<void> {
  const agreements = createAgreementReader({ client: agreementClient, retry: DEFAULT_RETRY });
  const summaries: AgreementSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await agreements.search(nextToken ? { nextToken } : {});
    summaries.push(...page.summaries);
    nextToken = page.nextToken;
  } while (nextToken);
  if (summaries.length !== n) throw new Error(`SearchAgreements listed ${summaries.length}, not ${n}`);

  const memory = memoryRepository();
  const deps = {
    catalog: BENCH_CATALOG,
    contracts: memory.repository,
    entitlements: createEntitlementReader({ client: entitlementClient, retry: DEFAULT_RETRY }),
    agreements: agreements satisfies AgreementReader,
    clock: { now: () => new Date() },
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: SEED_WORKERS }, async () => {
      while (next < summaries.length) {
        const summary = summaries[next++] as AgreementSummary;
        const at = new Date().toISOString();
        for (const licenseArn of summary.licenseArns)
          await syncWithAgreements(
            {
              product: { code: PRODUCT.productCode },
              scope: summary.acceptorAccountId
                ? { by: 'license', licenseArn, customerAWSAccountId: summary.acceptorAccountId }
                : { by: 'license', licenseArn },
              facts: { agreementId: { value: summary.agreementId, asOf: summary.lastUpdateTime ?? at } },
              factsApplyTo: 'scope',
              trigger: { source: 'sweep', type: 'backfill', id: `seed:${summary.agreementId}`, at },
            },
            deps,
            { enrichAll: true },
          );
      }
    }),
  );
  const stale = new Date(Date.now() - 2 * DAY).toISOString();
  const rows: Row[] = [];
  for (const { contract, items } of memory.contracts()) {
    rows.push(contractRow({ ...contract, syncedAt: stale }));
    for (const item of items) rows.push(itemRow(item, contract.activatedBy));
  }
  if (memory.contracts().length !== n)
    throw new Error(`Seeded ${memory.contracts().length} contracts, not ${n}`);
  let at = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (at < rows.length) {
        const batch = rows.slice(at, at + 25);
        at += 25;
        await batchWriteRows(table.client, table.tableName, batch);
      }
    }),
  );
}

/** A contract repository in memory, for seeding: versions checked as the DynamoDB store checks them. */
function memoryRepository(): { repository: ContractRepository; contracts: () => StoredContract[] } {
  const stored = new Map<string, StoredContract>();
  const apply = (change: ContractChangeSet) => {
    const have = stored.get(change.next.contract.contractId);
    if (have?.contract.version !== change.expectedVersion)
      throw new Error(`Seeding raced on ${change.next.contract.contractId}`);
    stored.set(change.next.contract.contractId, structuredClone(change.next));
  };
  return {
    repository: {
      load: async (id) => {
        const found = stored.get(id);
        return found ? structuredClone(found) : undefined;
      },
      findContractIds: async (productCode, by) =>
        [...stored.values()]
          .filter(
            ({ contract }) =>
              contract.productCode === productCode &&
              ('customerAWSAccountId' in by
                ? contract.customerAWSAccountId === by.customerAWSAccountId
                : contract.customerIdentifier === by.customerIdentifier),
          )
          .map(({ contract }) => contract.contractId),
      save: async (change) => apply(change),
      saveAll: async (changes) => {
        for (const change of changes) apply(change);
      },
    },
    contracts: () => [...stored.values()],
  };
}

import { randomBytes, randomInt } from 'node:crypto';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { NOTIFICATION_QUEUE } from '../infra/functions.js';
import { cryptoRandomBytes } from '../lib/adapters/crypto/code-random.js';
import { keys } from '../lib/adapters/dynamodb/keys.js';
import { summaryUpdates } from '../lib/adapters/dynamodb/summary-counters.js';
import { drawCode } from '../lib/domain/codes/codes.js';
import type { License } from '../local/marketplace-simulator/index.js';
import {
  auditRow,
  BENCH_PRODUCT,
  type BenchEnvironment,
  type BenchTable,
  contractRow,
  createBenchTable,
  itemRow,
  licenseEvent,
  marketplaceEventsHandler,
  purchasedContract,
  sqsRecord,
  timed,
} from './support.js';

export interface ThroughputResult {
  readonly notifications: number;
  readonly batchSize: number;
  readonly notificationsPerSecond: number;
  readonly rawTransactWritesPerSecond: number;
  /** notificationsPerSecond ÷ rawTransactWritesPerSecond. */
  readonly ratio: number;
}

/** The event source mapping's batch size, as deployed. */
const BATCH_SIZE = NOTIFICATION_QUEUE.batchSize;
const WARM_UP_BATCHES = 3;
const ROUNDS = 5;
/**
 * The first-purchase transaction of contract-store.ts `save`: Put contract, Put item 1, Put
 * audit entry, Update the summary shard's totals and its month and day expiry items. The run
 * checks the handler really sends this many.
 */
const FIRST_PURCHASE_ACTIONS = 7;

/**
 * New-purchase notifications per second through the marketplace-events handler (GetEntitlements
 * on the simulator, the contract Query, the transaction), one consumer taking batches of ten one
 * after another, as a ratio to the raw rate of DynamoDB Local at the same transaction: sequential
 * TransactWriteItems of the first-purchase shape (see FIRST_PURCHASE_ACTIONS), prebuilt so only
 * the database is timed. Fair because both run on the same DynamoDB Local in the same process,
 * both are warmed up first, both start on a fresh table, and they alternate in rounds (raw first
 * in even rounds, handler first in odd ones) so machine noise hits both.
 */
export async function measureThroughput(
  env: BenchEnvironment,
  { notifications }: { notifications: number },
): Promise<ThroughputResult> {
  if (notifications < BATCH_SIZE) throw new Error(`Measure at least ${BATCH_SIZE} notifications`);
  const [syncTable, rawTable] = await Promise.all([
    createBenchTable(env.dynamoEndpoint, 'bench-sync'),
    createBenchTable(env.dynamoEndpoint, 'bench-raw'),
  ]);
  const warmUp = WARM_UP_BATCHES * BATCH_SIZE;
  // Bought before anything is timed: the simulator's state is not what is measured.
  const licenses = Array.from({ length: warmUp + notifications }, () =>
    env.simulator.purchase({ productCode: BENCH_PRODUCT, quantities: { Credits: 1000 }, months: 12 }),
  );
  try {
    const actionsSent = countTransactionActions(syncTable);
    const deliver = marketplaceEventsHandler(env, syncTable);
    const batches = chunk(
      licenses.map((license: License) => sqsRecord(licenseEvent('Updated', license))),
      BATCH_SIZE,
    );
    const raw = licenses.map(() => firstPurchaseTransaction(rawTable.tableName));
    let failures = 0;
    const runBatches = async (from: number, to: number) => {
      for (const batch of batches.slice(from, to))
        failures += (await deliver(batch)).batchItemFailures.length;
    };
    const runRaw = async (from: number, to: number) => {
      for (const input of raw.slice(from, to)) await rawTable.client.send(new TransactWriteCommand(input));
    };

    await runBatches(0, WARM_UP_BATCHES);
    await runRaw(0, warmUp);
    if (actionsSent.max !== FIRST_PURCHASE_ACTIONS) {
      throw new Error(
        `The handler's first-purchase transaction has ${actionsSent.max} actions, the raw one ${FIRST_PURCHASE_ACTIONS}: update bench/throughput.ts`,
      );
    }

    let syncMs = 0;
    let rawMs = 0;
    const timedBatches = batches.length - WARM_UP_BATCHES;
    const rounds = Math.min(ROUNDS, timedBatches);
    for (let round = 0; round < rounds; round++) {
      const from = WARM_UP_BATCHES + Math.floor((timedBatches * round) / rounds);
      const to = WARM_UP_BATCHES + Math.floor((timedBatches * (round + 1)) / rounds);
      const sync = async () => {
        syncMs += await timed(() => runBatches(from, to));
      };
      const direct = async () => {
        rawMs += await timed(() => runRaw(from * BATCH_SIZE, Math.min(to * BATCH_SIZE, raw.length)));
      };
      if (round % 2 === 0) await direct().then(sync);
      else await sync().then(direct);
    }
    if (failures > 0) throw new Error(`${failures} notifications failed: no honest throughput to report`);

    const notificationsPerSecond = notifications / (syncMs / 1000);
    const rawTransactWritesPerSecond = notifications / (rawMs / 1000);
    return {
      notifications,
      batchSize: BATCH_SIZE,
      notificationsPerSecond: round1(notificationsPerSecond),
      rawTransactWritesPerSecond: round1(rawTransactWritesPerSecond),
      ratio: Math.round((notificationsPerSecond / rawTransactWritesPerSecond) * 1000) / 1000,
    };
  } finally {
    for (const license of licenses) env.simulator.deleteLicense(license.licenseArn);
    await Promise.all([syncTable.drop(), rawTable.drop()]);
  }
}

/** A new contract's transaction, built as contract-store.ts `save` builds it for a first purchase. */
function firstPurchaseTransaction(tableName: string): TransactWriteCommandInput {
  const now = new Date();
  const { contract, items, changes } = purchasedContract(
    {
      productCode: BENCH_PRODUCT,
      licenseId: `l-${randomBytes(16).toString('hex')}`,
      customerAWSAccountId: String(randomInt(100_000_000_000, 1_000_000_000_000)),
      credits: 1000,
      expiresAt: new Date(now.getTime() + 365 * 24 * 3600 * 1000),
    },
    now,
  );
  const after = {
    status: 'pending-setup' as const,
    activeCredits: contract.activeCredits,
    expiresAt: contract.expiresAt,
  };
  const audit = {
    contractId: contract.contractId,
    version: 1,
    at: now.toISOString(),
    changes,
    after,
    trigger: {
      source: 'eventbridge' as const,
      type: 'License Updated - Manufacturer',
      id: 'raw',
      at: now.toISOString(),
    },
  };
  const counters = summaryUpdates(tableName, contract.contractId, undefined, after);
  const coded = items.map((item) => ({
    ...item,
    activationCode: drawCode('activation-code', cryptoRandomBytes),
  }));
  return {
    TransactItems: [
      {
        Put: {
          TableName: tableName,
          Item: contractRow(contract),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...coded.map((item) => ({ Put: { TableName: tableName, Item: itemRow(item) } })),
      {
        Put: { TableName: tableName, Item: auditRow(audit), ConditionExpression: 'attribute_not_exists(pk)' },
      },
      ...counters,
      // Each new item's Activation Code, created only if absent (R11), as contract-store writes it.
      ...coded.map((item) => ({
        Put: {
          TableName: tableName,
          Item: {
            ...keys.code(item.activationCode),
            entity: 'code',
            code: item.activationCode,
            target: { kind: 'activation-code', licenseId: item.contractId, itemNo: item.itemNo },
            state: 'valid',
            createdAt: item.createdAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      })),
    ],
  };
}

/** The largest number of actions in one TransactWriteItems the table's client has sent. */
function countTransactionActions(table: BenchTable): { max: number } {
  const seen = { max: 0 };
  table.client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { TransactItems?: unknown[] };
      seen.max = Math.max(seen.max, input.TransactItems?.length ?? 0);
      return next(args);
    },
    { step: 'initialize', name: 'benchTransactionActions' },
  );
  return seen;
}

function chunk<T>(values: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(values.length / size) }, (_, i) =>
    values.slice(i * size, i * size + size),
  );
}

const round1 = (n: number) => Math.round(n * 10) / 10;

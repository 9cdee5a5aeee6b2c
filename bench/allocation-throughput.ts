import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../lib/adapters/dynamodb/keys.js';
import { BUSINESS_LICENSES } from './dynamodb-calls.js';
import {
  type BenchEnvironment,
  type BenchTable,
  createBenchTable,
  LICENSE_CATALOG,
  licensesHandler,
  percentile,
  seedBusiness,
} from './support.js';

export interface AllocationThroughputResult {
  /** Concurrent writers, each allocating to a service of its own of the one business. */
  readonly writers: number;
  /** Seconds of allocations timed (and as many of the yardstick). */
  readonly seconds: number;
  /** Activated contracts the business holds (its ledger's sources). */
  readonly licenses: number;
  readonly allocations: number;
  readonly allocationsPerSecond: number;
  /** Latency of one PUT through the handler, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The yardstick: the route's calls written by hand, on a copy of the business and its ledger. */
  readonly yardstickPerSecond: number;
  readonly yardstickP50Ms: number;
  readonly yardstickP99Ms: number;
  /** allocationsPerSecond ÷ yardstickPerSecond, the rounds alternating. */
  readonly ratio: number;
  /** ConditionalCheckFailed answers to the ledger's writes (each one a write tried again). */
  readonly conditionalFailures: number;
  readonly retriesPerAllocation: number;
  /** PUTs that did not answer 200 (503 busy after too many lost races, or anything else). */
  readonly failures: number;
  /** Bytes of the business's ledger item after the run (its JSON, close to DynamoDB's own count). */
  readonly ledgerBytes: number;
  /**
   * Write capacity units one allocation's UpdateItem consumes (DynamoDB Local's count): on the
   * table, and on any index it writes (none expected: the ledger is indexed only while
   * over-allocated, and its lapse index lives on a companion item allocations do not touch).
   */
  readonly wcuPerAllocation: { readonly table: number; readonly indexes: Readonly<Record<string, number>> };
  /** 1,000 WCU/s per partition ÷ the table's WCU: the ceiling per business in AWS. */
  readonly awsCeilingPerSecond: number;
  /** 1,000 WCU/s ÷ the largest index's WCU: the ceiling across all businesses whose ledgers share that index partition. */
  readonly awsIndexCeilingPerSecond: number;
}

const WRITERS = 20;
const ROUNDS = 4;
/** DynamoDB's write limit for one partition key: every allocation of a business writes its one ledger item. */
const PARTITION_WCU_PER_SECOND = 1000;

/**
 * Allocations per second for one business under WRITERS concurrent writers, each sending PUT
 * /businesses/{id}/allocations/{its service} through the license API handler (the production
 * wiring on DynamoDB Local) again and again, its units going 1, 2, 1, … so every PUT changes
 * the allocation. All of them write the business's one ledger item: this is contention on one
 * item. The write adds a delta conditioned on the balance and on that service's own allocation,
 * so writers of different services never make each other retry; the bench counts the
 * conditional failures to show it. Paired with a yardstick doing the same SDK work: the route's
 * calls (business GetItem → ledger GetItem → UpdateItem → business ∥ ledger GetItem) written by
 * hand, with as many writers, on a copy of the same business and ledger, rounds alternating
 * (yardstick first in even rounds), so the ratio is what the handler's own code costs under
 * contention on this machine. The business holds BUSINESS_LICENSES contracts, so the ledger has
 * a realistic size: the WCU its UpdateItem consumes, read from DynamoDB Local after the run,
 * sets the ceiling in AWS (1,000 WCU/s per partition key).
 */
export async function measureAllocationThroughput(
  env: BenchEnvironment,
  { seconds }: { seconds: number },
): Promise<AllocationThroughputResult> {
  const table = await createBenchTable(env.dynamoEndpoint, 'bench-alloc');
  try {
    const businessId = `biz-bench${randomUUID().replaceAll('-', '').slice(0, 15)}`;
    await seedBusiness(table, businessId, { licenses: BUSINESS_LICENSES, creditsEach: 100_000 });
    const copy = await copyBusiness(table, businessId);
    const conflicts = countConditionalFailures(table);
    const put = licensesHandler(env, table);
    const services = serviceIds(WRITERS);
    let failures = 0;

    const allocate = async (writer: number, n: number) => {
      const response = await put('PUT', `/businesses/${businessId}/allocations/${services[writer]}`, {
        units: 1 + (n % 2),
      });
      if (response.statusCode !== 200) failures++;
    };
    const yardstick = (writer: number, n: number) =>
      routeByHand(table, copy, services[writer] ?? '', 1 + (n % 2));

    // Warm up both (connections, JIT), then forget what was counted.
    await run(WRITERS, 1000, allocate);
    await run(WRITERS, 1000, yardstick);
    conflicts.reset();
    failures = 0;

    const handlerTimes: number[] = [];
    const yardstickTimes: number[] = [];
    let handlerMs = 0;
    let yardstickMs = 0;
    const slice = (seconds * 1000) / ROUNDS;
    for (let round = 0; round < ROUNDS; round++) {
      const a = async () => {
        const r = await run(WRITERS, slice, allocate);
        handlerTimes.push(...r.latencies);
        handlerMs += r.ms;
      };
      const b = async () => {
        const r = await run(WRITERS, slice, yardstick);
        yardstickTimes.push(...r.latencies);
        yardstickMs += r.ms;
      };
      if (round % 2 === 0) await b().then(a);
      else await a().then(b);
    }
    const wcu = await allocationWcu(table, businessId, services[0] ?? '');
    const ledger = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: keys.ledger(businessId) }),
    );
    const indexWcu = Math.max(0, ...Object.values(wcu.indexes));

    const allocations = handlerTimes.length;
    const allocationsPerSecond = allocations / (handlerMs / 1000);
    const yardstickPerSecond = yardstickTimes.length / (yardstickMs / 1000);
    return {
      writers: WRITERS,
      seconds,
      licenses: BUSINESS_LICENSES,
      allocations,
      allocationsPerSecond: round1(allocationsPerSecond),
      p50Ms: round1(percentile(handlerTimes, 50)),
      p99Ms: round1(percentile(handlerTimes, 99)),
      yardstickPerSecond: round1(yardstickPerSecond),
      yardstickP50Ms: round1(percentile(yardstickTimes, 50)),
      yardstickP99Ms: round1(percentile(yardstickTimes, 99)),
      ratio: Math.round((allocationsPerSecond / yardstickPerSecond) * 1000) / 1000,
      conditionalFailures: conflicts.count,
      retriesPerAllocation: Math.round((conflicts.count / Math.max(1, allocations)) * 1000) / 1000,
      failures,
      ledgerBytes: JSON.stringify(ledger.Item ?? {}).length,
      wcuPerAllocation: wcu,
      awsCeilingPerSecond: Math.floor(PARTITION_WCU_PER_SECOND / wcu.table),
      awsIndexCeilingPerSecond: indexWcu > 0 ? Math.floor(PARTITION_WCU_PER_SECOND / indexWcu) : Number.NaN,
    };
  } finally {
    await table.drop();
  }
}

/** `writers` loops calling `act(writer, n)` one after the other until `ms` have passed; every call's latency. */
async function run(
  writers: number,
  ms: number,
  act: (writer: number, n: number) => Promise<unknown>,
): Promise<{ latencies: number[]; ms: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const t = performance.now();
        await act(writer, n);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, ms: performance.now() - started };
}

/** The first `n` services of the bench's license catalog, one per writer. */
function serviceIds(n: number): string[] {
  const ids = Object.keys(LICENSE_CATALOG.products[0]?.services ?? {}).filter((id) => id.startsWith('svc-'));
  if (ids.length < n) throw new Error(`The bench's license catalog has ${ids.length} services, not ${n}`);
  return ids.slice(0, n);
}

interface Copy {
  readonly pk: string;
}

/** The business and its ledger copied under a yardstick key, so the yardstick reads and writes rows of the same size. */
async function copyBusiness(table: BenchTable, businessId: string): Promise<Copy> {
  const pk = `YARDSTICK-BUSINESS#${businessId}`;
  for (const key of [keys.business(businessId), keys.ledger(businessId)]) {
    const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: key }));
    if (!Item) throw new Error(`No ${key.sk} row for ${businessId}`);
    await table.client.send(
      new PutCommand({ TableName: table.tableName, Item: { ...Item, pk, sk: key.sk } }),
    );
  }
  return { pk };
}

/** The allocation route's calls, written by hand: no router, no validation, no domain, no retry. */
async function routeByHand(table: BenchTable, { pk }: Copy, service: string, units: number): Promise<void> {
  const get = (sk: string) =>
    table.client.send(new GetCommand({ TableName: table.tableName, Key: { pk, sk }, ConsistentRead: true }));
  const before = await get('LEDGER');
  const previous = (before.Item?.allocations as Record<string, { credits: number }> | undefined)?.[service];
  const delta = units - (previous?.credits ?? 0);
  const now = new Date().toISOString();
  await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: { pk, sk: 'LEDGER' },
      UpdateExpression: 'SET #a.#s = :alloc, #upd = :now ADD #alc :d, #bal :neg, #rev :one',
      ConditionExpression: '#bal >= :d',
      ExpressionAttributeNames: {
        '#a': 'allocations',
        '#s': service,
        '#alc': 'allocated',
        '#bal': 'balance',
        '#rev': 'revision',
        '#upd': 'updatedAt',
      },
      ExpressionAttributeValues: {
        ':alloc': { service, units, credits: units, updatedAt: now },
        ':now': now,
        ':d': delta,
        ':neg': -delta,
        ':one': 1,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
}

/** ConditionalCheckFailed answers the table's client has had since the last reset. */
function countConditionalFailures(table: BenchTable): { readonly count: number; reset(): void } {
  let count = 0;
  table.client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') count++;
        throw error;
      }
    },
    { step: 'initialize', name: 'benchConditionalFailures' },
  );
  return {
    get count() {
      return count;
    },
    reset: () => {
      count = 0;
    },
  };
}

/**
 * The WCU an allocation's UpdateItem consumes on this business's ledger as it is after the run
 * (its sources and WRITERS allocations): DynamoDB Local's ConsumedCapacity of an UpdateItem that
 * rewrites the item with nothing changed but `updatedAt` (capacity follows the item's size).
 */
async function allocationWcu(
  table: BenchTable,
  businessId: string,
  service: string,
): Promise<AllocationThroughputResult['wcuPerAllocation']> {
  const out = await table.client.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: keys.ledger(businessId),
      UpdateExpression: 'SET #upd = :now',
      ConditionExpression: 'attribute_exists(#a.#s)',
      ExpressionAttributeNames: { '#upd': 'updatedAt', '#a': 'allocations', '#s': service },
      ExpressionAttributeValues: { ':now': new Date().toISOString() },
      ReturnConsumedCapacity: 'INDEXES',
    }),
  );
  const units = out.ConsumedCapacity?.Table?.CapacityUnits ?? out.ConsumedCapacity?.CapacityUnits;
  if (typeof units !== 'number' || !(units > 0))
    throw new Error('DynamoDB Local reported no consumed capacity');
  const indexes = Object.fromEntries(
    Object.entries(out.ConsumedCapacity?.GlobalSecondaryIndexes ?? {}).map(([name, c]) => [
      name,
      c.CapacityUnits ?? 0,
    ]),
  );
  return { table: units, indexes };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

import { createHash } from 'node:crypto';
import type { ContractStatus } from '../../domain/contract/model.js';
import { keys, type TableKey } from './keys.js';

/** Ten shards: concurrent changes of different contracts rarely meet on one counter item. */
export const SUMMARY_SHARDS = 10;

export interface CountedState {
  readonly status: ContractStatus;
  readonly activeCredits: number;
  /** End of the term (ISO 8601). Without it only the totals move, not the expiry buckets. */
  readonly expiresAt?: string;
}

/** The statuses whose contracts still run: only they are counted by expiry (the summary's expiring soon). */
export const LIVE_STATUSES = ['pending-setup', 'active'] as const;
export type LiveStatus = (typeof LIVE_STATUSES)[number];

/** What an expiry bucket counts: live contracts per status, and their credits. */
export type BucketMeasure = LiveStatus | 'credits';
export const BUCKET_MEASURES: readonly BucketMeasure[] = [...LIVE_STATUSES, 'credits'];

export function summaryShardOf(contractId: string): number {
  return (createHash('sha256').update(contractId).digest()[0] ?? 0) % SUMMARY_SHARDS;
}

export const countAttribute = (status: ContractStatus) => `count_${status.replace('-', '_')}`;

/**
 * Expiry buckets. A live contract is counted in the month, the day and the hour (UTC) its term
 * ends, each one level down: the shard's totals item holds one attribute per month
 * (`exp:2026-05:active`), the month item `EXPIRY#2026-05` one per day (`exp:2026-05-03:active`),
 * the day item `EXPIRY#2026-05-03` one per hour (`exp:2026-05-03T14:active`). So the number of
 * live contracts ending before any instant is a few attributes of at most three items per shard,
 * plus the contracts ending in that instant's hour before it (one short Query): the summary
 * costs the same whatever the number of contracts.
 */
export const BUCKET_LENGTHS = { month: 7, day: 10, hour: 13 } as const;

export const bucketAttribute = (bucket: string, measure: BucketMeasure) => `exp:${bucket}:${measure}`;

/** The item that holds a bucket's attributes: its parent bucket's item, the totals for a month. */
export function bucketItemKey(shard: number, bucket: string): TableKey {
  return bucket.length === BUCKET_LENGTHS.month
    ? keys.summaryShard(shard)
    : keys.summaryExpiry(shard, bucket.slice(0, bucket.length === BUCKET_LENGTHS.day ? 7 : 10));
}

/** The month, day and hour bucket of an instant, from its canonical ISO form (UTC). */
export function bucketsOf(instant: string): [string, string, string] {
  const iso = new Date(instant).toISOString();
  return [
    iso.slice(0, BUCKET_LENGTHS.month),
    iso.slice(0, BUCKET_LENGTHS.day),
    iso.slice(0, BUCKET_LENGTHS.hour),
  ];
}

/** Per counter item (by its key), the attributes to ADD and by how much; nothing that nets to zero. */
export type CounterDeltas = Map<string, { readonly key: TableKey; readonly add: Map<string, number> }>;

/**
 * What one contract change moves in the counters: the totals per status and active credits,
 * and for a live contract the expiry buckets of its term's end, before (−) and after (+).
 * Pure, so a backfill or the bench can add up the same counters as the transactions keep.
 */
export function summaryDeltas(
  contractId: string,
  before: CountedState | undefined,
  after: CountedState,
): CounterDeltas {
  const shard = summaryShardOf(contractId);
  const deltas: CounterDeltas = new Map();
  const add = (key: TableKey, attribute: string, n: number) => {
    if (n === 0) return;
    const id = `${key.pk}|${key.sk}`;
    const entry = deltas.get(id) ?? { key, add: new Map<string, number>() };
    deltas.set(id, entry);
    const sum = (entry.add.get(attribute) ?? 0) + n;
    if (sum === 0) entry.add.delete(attribute);
    else entry.add.set(attribute, sum);
  };
  const totals = keys.summaryShard(shard);
  const count = (state: CountedState, sign: 1 | -1) => {
    add(totals, countAttribute(state.status), sign);
    add(totals, 'activeCredits', sign * state.activeCredits);
    const status = state.status;
    if (state.expiresAt === undefined || (status !== 'active' && status !== 'pending-setup')) return;
    for (const bucket of bucketsOf(state.expiresAt)) {
      const item = bucketItemKey(shard, bucket);
      add(item, bucketAttribute(bucket, status), sign);
      add(item, bucketAttribute(bucket, 'credits'), sign * state.activeCredits);
    }
  };
  if (before) count(before, -1);
  count(after, 1);
  for (const [id, entry] of deltas) if (entry.add.size === 0) deltas.delete(id);
  return deltas;
}

/**
 * The Updates that keep the running totals and expiry buckets in step with one contract change
 * (one per counter item it moves, at most five: the totals, two month and two day items when
 * the term's end moves). They ride in the change's transaction, so counters and contracts never
 * disagree: a transaction that fails (a lost race, a redelivery that finds the version moved)
 * changes no counter. Empty when nothing moves.
 */
export function summaryUpdates(
  tableName: string,
  contractId: string,
  before: CountedState | undefined,
  after: CountedState,
) {
  return counterUpdates(tableName, summaryDeltas(contractId, before, after));
}

/**
 * The Updates for several contract changes in one transaction (a renewal chain's hand-over):
 * their deltas merged per counter item, since a transaction may touch an item only once.
 */
export function summaryUpdatesOfAll(
  tableName: string,
  changes: readonly { contractId: string; before: CountedState | undefined; after: CountedState }[],
) {
  const merged: CounterDeltas = new Map();
  for (const { contractId, before, after } of changes) {
    for (const [id, entry] of summaryDeltas(contractId, before, after)) {
      const into = merged.get(id) ?? { key: entry.key, add: new Map<string, number>() };
      merged.set(id, into);
      for (const [attribute, n] of entry.add) {
        const sum = (into.add.get(attribute) ?? 0) + n;
        if (sum === 0) into.add.delete(attribute);
        else into.add.set(attribute, sum);
      }
    }
  }
  for (const [id, entry] of merged) if (entry.add.size === 0) merged.delete(id);
  return counterUpdates(tableName, merged);
}

function counterUpdates(tableName: string, deltas: CounterDeltas) {
  return [...deltas.values()].map(({ key, add }) => {
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    const parts = [...add].map(([attribute, n], i) => {
      names[`#a${i}`] = attribute;
      values[`:a${i}`] = n;
      return `#a${i} :a${i}`;
    });
    return {
      Update: {
        TableName: tableName,
        Key: key,
        UpdateExpression: `ADD ${parts.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    };
  });
}

/** At most this many counter Updates ride in one contract change's transaction. */
export const MAX_SUMMARY_UPDATES = 5;

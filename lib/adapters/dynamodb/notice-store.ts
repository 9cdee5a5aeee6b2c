import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ContractFacts } from '../../domain/contract/model.js';
import type { CreditNotices, LedgerStore } from '../../domain/credits/ports.js';
import type {
  ExpiringLicense,
  ExpiringLicenses,
  ExpiryNotice,
  NoticeClaims,
} from '../../domain/notices/ports.js';
import type { StuckSetup } from '../../domain/notices/sales.js';
import { INDEXES, keys, type TableKey } from './keys.js';
import type { Row } from './rows.js';
import { TTL_ATTRIBUTE } from './table.js';

export interface NoticeStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** A claim not marked sent within this long is taken to be a run that died: a later run may claim it. */
const CLAIM_LEASE_MS = 15 * 60 * 1000;
const DAY_S = 24 * 60 * 60;

/**
 * Claims "this run sends that mail" with one conditional Put: it wins if nobody claimed it, or
 * if a claim is still `sending` past its lease (its run died before it could say sent or release).
 */
export async function claimSend(
  { client, tableName }: NoticeStoreOptions,
  key: TableKey,
  item: Row,
  now: Date,
  keepDays: number,
): Promise<boolean> {
  try {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...key,
          ...item,
          state: 'sending',
          claimedAt: now.toISOString(),
          leaseUntil: new Date(now.getTime() + CLAIM_LEASE_MS).toISOString(),
          [TTL_ATTRIBUTE]: Math.floor(now.getTime() / 1000) + keepDays * DAY_S,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#state = :sending AND #lease < :now)',
        ExpressionAttributeNames: { '#state': 'state', '#lease': 'leaseUntil' },
        ExpressionAttributeValues: { ':sending': 'sending', ':now': now.toISOString() },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The mail went out: the claim stays (until its TTL) and no run sends it again. */
export async function markSent({ client, tableName }: NoticeStoreOptions, key: TableKey, now: Date) {
  await client.send(
    new UpdateCommand({
      TableName: tableName,
      Key: key,
      UpdateExpression: 'SET #state = :sent, sentAt = :now REMOVE leaseUntil',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':sent': 'sent', ':now': now.toISOString() },
    }),
  );
}

/** The mail failed: drop a claim that is still `sending`, so that the next run (or retry) sends it. */
export async function releaseClaim({ client, tableName }: NoticeStoreOptions, key: TableKey) {
  try {
    await client.send(
      new DeleteCommand({
        TableName: tableName,
        Key: key,
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sending': 'sending' },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}

function noticeKey(notice: Pick<ExpiryNotice, 'kind' | 'licenseKey' | 'expiresAt' | 'threshold'>): TableKey {
  const licensePk =
    notice.kind === 'contract'
      ? keys.contract(notice.licenseKey).pk
      : keys.directLicense(notice.licenseKey).pk;
  return keys.expiryNotice(licensePk, notice.expiresAt, notice.threshold);
}

/**
 * Expiry notice claims (R10): one item per license, term (`expiresAt`) and threshold, beside
 * the license. Its insert is also the outbox record of `license.expiring` (the stream
 * publishes it), kept 30 days past the expiry.
 */
export function createNoticeClaims(options: NoticeStoreOptions): NoticeClaims {
  return {
    async claim(notice, now) {
      const keepDays = Math.max(
        1,
        Math.ceil((Date.parse(notice.expiresAt) - now.getTime()) / 1000 / DAY_S) + 30,
      );
      return claimSend(options, noticeKey(notice), { entity: 'expiry-notice', ...notice }, now, keepDays);
    },
    sent: (notice, now) => markSent(options, noticeKey(notice), now),
    release: (notice) => releaseClaim(options, noticeKey(notice)),
  };
}

/** Pages of one index range, as an async iterable (never more than a page in memory). */
async function* queryPages(
  { client, tableName }: NoticeStoreOptions,
  input: {
    index: (typeof INDEXES)[keyof typeof INDEXES];
    pk: string;
    from: string;
    to: string;
    /** Attribute names to read (each through a placeholder: `reference` is a reserved word). */
    projection: readonly string[];
    filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
  },
): AsyncGenerator<Row> {
  let ExclusiveStartKey: Row | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: input.index.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ProjectionExpression: input.projection.map((_, i) => `#p${i}`).join(', '),
        ...(input.filter ? { FilterExpression: input.filter.expression } : {}),
        ExpressionAttributeNames: {
          '#pk': input.index.pk,
          '#sk': input.index.sk,
          ...Object.fromEntries(input.projection.map((name, i) => [`#p${i}`, name])),
          ...input.filter?.names,
        },
        ExpressionAttributeValues: {
          ':pk': input.pk,
          ':from': input.from,
          ':to': input.to,
          ...input.filter?.values,
        },
        Limit: 500,
        ExclusiveStartKey,
      }),
    );
    for (const row of page.Items ?? []) yield row;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

/**
 * The licenses of registered businesses that expire in a window: a range of `byStatus` per
 * product (`STATUS#<product>#active`, sorted by expiry) and of the direct licenses' partition.
 * What it reads is what the window holds, whatever the table's size: never a scan.
 */
export function createExpiringLicenses(
  options: NoticeStoreOptions & { readonly productCodes: readonly string[] },
): ExpiringLicenses {
  return {
    async *list(from, to) {
      const range = { from: from.toISOString(), to: to.toISOString() };
      for (const productCode of options.productCodes) {
        for await (const row of queryPages(options, {
          index: INDEXES.byStatus,
          pk: keys.statusPartition(productCode, 'active'),
          ...range,
          projection: ['contractId', 'productCode', 'activatedBy', 'activeCredits', 'expiresAt', 'facts'],
        })) {
          if (!row.activatedBy) continue;
          const facts = (row.facts ?? {}) as ContractFacts;
          yield {
            kind: 'contract',
            licenseKey: String(row.contractId),
            productCode: String(row.productCode),
            businessId: String(row.activatedBy),
            credits: Number(row.activeCredits),
            expiresAt: String(row.expiresAt),
            autoRenew: facts.autoRenew?.value === true,
          } satisfies ExpiringLicense;
        }
      }
      for await (const row of queryPages(options, {
        index: INDEXES.byStatus,
        pk: keys.directByExpiryPartition,
        ...range,
        projection: ['reference', 'businessId', 'productCode', 'credits', 'expiresAt'],
      })) {
        yield {
          kind: 'direct',
          licenseKey: String(row.reference),
          productCode: String(row.productCode),
          businessId: String(row.businessId),
          credits: Number(row.credits),
          expiresAt: String(row.expiresAt),
          autoRenew: false,
        } satisfies ExpiringLicense;
      }
    },
  };
}

/**
 * Contracts still waiting for setup whose purchase is older than `olderThan` (the buyer's
 * four-hour window has passed, R4): each product's `pending-setup` partition, filtered by
 * purchase time, at most `limit`.
 */
export async function stuckSetups(
  options: NoticeStoreOptions & { readonly productCodes: readonly string[] },
  olderThan: Date,
  now: Date,
  limit: number,
): Promise<{ setups: StuckSetup[]; truncated: boolean }> {
  const setups: StuckSetup[] = [];
  for (const productCode of options.productCodes) {
    for await (const row of queryPages(options, {
      index: INDEXES.byStatus,
      pk: keys.statusPartition(productCode, 'pending-setup'),
      from: now.toISOString(),
      to: '~',
      projection: ['contractId', 'productCode', 'createdAt', 'customerAWSAccountId'],
      filter: {
        expression: '#created < :cut',
        names: { '#created': 'createdAt' },
        values: { ':cut': olderThan.toISOString() },
      },
    })) {
      if (setups.length === limit) return { setups, truncated: true };
      const createdAt = String(row.createdAt);
      setups.push({
        contractId: String(row.contractId),
        productCode: String(row.productCode),
        createdAt,
        ageHours: Math.floor((now.getTime() - Date.parse(createdAt)) / 3_600_000),
        ...(row.customerAWSAccountId ? { customerAWSAccountId: String(row.customerAWSAccountId) } : {}),
      });
    }
  }
  return { setups, truncated: false };
}

/** Businesses whose ledger has a source that lapsed before `now` (their stored total is stale): the lapse index, per shard. */
export async function lapsedLedgers(
  options: NoticeStoreOptions,
  now: Date,
  limitPerShard: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let shard = 0; shard < 10; shard++) {
    let n = 0;
    for await (const row of queryPages(options, {
      index: INDEXES.byExpiry,
      pk: keys.ledgerExpiryPartition(shard),
      from: '0',
      to: now.toISOString(),
      projection: ['businessId'],
    })) {
      ids.push(String(row.businessId));
      if (++n === limitPerShard) break;
    }
  }
  return ids;
}

/** Ledgers refreshed per shard and run: far more than lapse in a day, and a run stays short. */
const LAPSED_PER_SHARD = 500;

/**
 * The daily write-down of lapses (R2): every ledger whose earliest source lapsed and that
 * nobody has read or written since is refreshed, so its total is right in the table, its
 * `credits.changed` event goes out, and an over-allocation it causes is marked and mailed.
 */
export async function refreshLapsedLedgers(
  options: NoticeStoreOptions & {
    readonly ledgers: Pick<LedgerStore, 'refresh'>;
    readonly notices: CreditNotices;
    readonly logger: { warn(message: string, extra: Record<string, unknown>): void };
  },
  now: Date,
): Promise<{ refreshed: number; failed: number }> {
  let refreshed = 0;
  let failed = 0;
  for (const businessId of await lapsedLedgers(options, now, LAPSED_PER_SHARD)) {
    try {
      const { ledger, transition } = await options.ledgers.refresh(businessId, now);
      if (ledger) refreshed++;
      if (ledger && transition === 'became-over-allocated') await options.notices.overAllocated(ledger);
    } catch (error) {
      failed++;
      options.logger.warn('Lapsed ledger not refreshed: the next run tries again', {
        businessId,
        error: error instanceof Error ? error.name : String(error),
      });
    }
  }
  return { refreshed, failed };
}

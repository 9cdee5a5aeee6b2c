import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type Contract,
  type ContractStatus,
  contractStatus,
  type LicenseItem,
} from '../../domain/contract/model.js';
import type { AuditEntry } from '../../domain/contract/ports.js';
import type { Business, SetupSession } from '../../domain/setup/model.js';
import { SETUP_WINDOW_MS } from '../../domain/setup/model.js';
import { CONTRACT_SK, INDEXES, keys } from './keys.js';
import { domainFields, queryAllPages, type Row } from './rows.js';
import { countAttribute, SUMMARY_SHARDS } from './summary-counters.js';

export const CONTRACT_STATUSES: readonly ContractStatus[] = [
  'pending-setup',
  'active',
  'expired',
  'cancelled',
];

/** A contract as sales sees it in a list. */
export interface ContractRow {
  readonly contractId: string;
  readonly productCode: string;
  readonly status: ContractStatus;
  readonly activeCredits: number;
  readonly expiresAt: string;
  readonly customerAWSAccountId?: string;
  readonly licenseArn?: string;
  readonly activatedBy?: string;
  readonly businessName?: string;
  readonly activatedAt?: string;
  readonly freeTrial?: boolean;
  readonly autoRenew?: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ContractListQuery {
  readonly productCodes: readonly string[];
  readonly statuses: readonly ContractStatus[];
  /** ISO timestamp: only contracts whose term ends before it. */
  readonly expiringBefore?: string;
  readonly businessId?: string;
  readonly freeTrial?: boolean;
  readonly limit: number;
  readonly cursor?: string;
}

export interface ContractPage {
  readonly contracts: ContractRow[];
  readonly nextCursor?: string;
}

export interface ContractDetail {
  readonly contract: ContractRow;
  readonly items: LicenseItem[];
  readonly audit: AuditEntry[];
  readonly business?: Business;
}

export interface SetupRow {
  readonly contractId: string;
  readonly productCode: string;
  readonly customerAWSAccountId?: string;
  readonly email?: string;
  readonly step: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface Summary {
  readonly byStatus: Record<ContractStatus, number>;
  readonly activeCredits: number;
  readonly expiring: { readonly days30: number; readonly days60: number; readonly days90: number };
  readonly asOf: string;
}

/** The cursor was not made by us (or was tampered with). */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}

const DAY = 24 * 3600 * 1000;
/** Merge rounds per page before handing back a short page (sparse filters). */
const MAX_ROUNDS = 5;

/**
 * What sales reads. Every list is a Query on a key or an index, each page a bounded number of
 * Queries whatever the table's size: the contract list merges the (product × status)
 * partitions of the status index in expiry order.
 */
export function createSalesReader({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}) {
  const query = (input: Omit<QueryCommandInput, 'TableName'>) =>
    client.send(new QueryCommand({ ...input, TableName: tableName }));

  const queryAll = (input: Omit<QueryCommandInput, 'TableName'>) => queryAllPages(client, tableName, input);

  function freeTrialFilter(freeTrial: boolean | undefined): Partial<QueryCommandInput> {
    if (freeTrial === undefined) return {};
    return freeTrial
      ? {
          FilterExpression: 'facts.freeTrial.#v = :t',
          ExpressionAttributeNames: { '#v': 'value' },
          ExpressionAttributeValues: { ':t': true },
        }
      : {
          FilterExpression: 'attribute_not_exists(facts.freeTrial) OR facts.freeTrial.#v = :f',
          ExpressionAttributeNames: { '#v': 'value' },
          ExpressionAttributeValues: { ':f': false },
        };
  }

  /**
   * One page of contracts in expiry order across index partitions: one byExpiry partition
   * per product when every status is wanted, else one byStatus partition per (product ×
   * status). A k-way merge that reads lazily. Each open partition is first asked for
   * its share of the page (page size ÷ partitions, plus one); a partition whose rows run out
   * while it may still hold an earlier one is asked again for what the page still lacks. So a
   * page reads about page-size + partitions items whatever the table's size, in 2–3 rounds of
   * parallel Queries (at most MAX_ROUNDS when a filter leaves partitions sparse).
   */
  async function listByStatus(q: ContractListQuery): Promise<ContractPage> {
    // Every status: one byExpiry partition per product; some: one byStatus partition each.
    const everyStatus = CONTRACT_STATUSES.every((s) => q.statuses.includes(s));
    const index = everyStatus ? INDEXES.byExpiry : INDEXES.byStatus;
    const partitions = everyStatus
      ? q.productCodes.map((p) => keys.expiryPartition(p))
      : q.productCodes.flatMap((p) => q.statuses.map((s) => keys.statusPartition(p, s)));
    // Cursor: per partition the last sort key handed out, or null once the partition is done.
    const positions = new Map<string, string | null | undefined>(partitions.map((p) => [p, undefined]));
    for (const [p, at] of Object.entries(decodeCursor(q.cursor))) {
      if (!positions.has(p)) throw new InvalidCursorError('The cursor belongs to another query');
      positions.set(p, at);
    }
    const sources: MergeSource[] = partitions
      .filter((p) => positions.get(p) !== null)
      .map((partition) => ({
        index,
        partition,
        buffer: [],
        next: positions.get(partition) ?? undefined,
        done: false,
      }));
    const share = Math.ceil(q.limit / Math.max(1, sources.length)) + 1;
    const emitted: Row[] = [];
    let wanted: MergeSource[] = sources;
    for (let round = 0; wanted.length > 0 && round < MAX_ROUNDS; round++) {
      const missing = q.limit - emitted.length;
      await Promise.all(
        // Later rounds: all the page still lacks. A smaller guess reads fewer items but costs
        // rounds, and on DynamoDB (Local too) a round costs more than a few dozen items.
        wanted.map((source) => fill(source, q, round === 0 ? share : missing)),
      );
      wanted = mergeInto(emitted, sources, q.limit);
    }
    for (const source of sources) {
      // Rows still buffered were not handed out: the next page reads them again.
      const position =
        source.buffer.length > 0
          ? (source.lastTaken ?? positions.get(source.partition))
          : source.done
            ? null
            : source.next;
      positions.set(source.partition, position);
    }
    const done = [...positions.values()].every((v) => v === null);
    return {
      contracts: emitted.map(toContractRow),
      ...(done ? {} : { nextCursor: encodeCursor(Object.fromEntries(positions)) }),
    };
  }

  /** Reads up to `limit` more rows of one partition into its buffer. */
  async function fill(source: MergeSource, q: ContractListQuery, limit: number): Promise<void> {
    const before = q.expiringBefore;
    const filter = freeTrialFilter(q.freeTrial);
    const page = await query({
      IndexName: source.index.name,
      KeyConditionExpression: before ? '#pk = :pk AND #sk < :before' : '#pk = :pk',
      ExpressionAttributeNames: {
        '#pk': source.index.pk,
        ...(before ? { '#sk': source.index.sk } : {}),
        ...filter.ExpressionAttributeNames,
        ...LIST_PROJECTION.names,
      },
      ExpressionAttributeValues: {
        ':pk': source.partition,
        ...(before ? { ':before': before } : {}),
        ...filter.ExpressionAttributeValues,
      },
      ...(filter.FilterExpression ? { FilterExpression: filter.FilterExpression } : {}),
      ProjectionExpression: LIST_PROJECTION.expression,
      Limit: limit,
      ...(source.next ? { ExclusiveStartKey: indexKey(source.index, source.partition, source.next) } : {}),
    });
    for (const row of page.Items ?? []) source.buffer.push({ row, sk: String(row[source.index.sk]) });
    const lastEvaluated = page.LastEvaluatedKey?.[source.index.sk] as string | undefined;
    if (lastEvaluated === undefined) source.done = true;
    else source.next = lastEvaluated;
  }

  /** A business has a handful of contracts: read them all from its index, filter and page in memory. */
  async function listByBusiness(q: ContractListQuery & { businessId: string }): Promise<ContractPage> {
    const rows = await queryAll({
      IndexName: INDEXES.byBusiness.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': INDEXES.byBusiness.pk },
      ExpressionAttributeValues: { ':pk': keys.byBusiness(q.businessId, '').gsi3pk },
    });
    const matching = rows
      .map(toContractRow)
      .filter(
        (c) =>
          q.productCodes.includes(c.productCode) &&
          q.statuses.includes(c.status) &&
          (!q.expiringBefore || c.expiresAt < q.expiringBefore) &&
          (q.freeTrial === undefined || (c.freeTrial ?? false) === q.freeTrial),
      )
      .sort((a, b) => (a.expiresAt + a.contractId < b.expiresAt + b.contractId ? -1 : 1));
    const offset = Number(decodeCursor(q.cursor).offset ?? 0);
    if (!Number.isInteger(offset) || offset < 0) throw new InvalidCursorError('Bad cursor');
    const page = matching.slice(offset, offset + q.limit);
    const next = offset + q.limit;
    return {
      contracts: page,
      ...(next < matching.length ? { nextCursor: encodeCursor({ offset: String(next) }) } : {}),
    };
  }

  return {
    listContracts(q: ContractListQuery): Promise<ContractPage> {
      return q.businessId ? listByBusiness({ ...q, businessId: q.businessId }) : listByStatus(q);
    },

    async getContract(contractId: string): Promise<ContractDetail | undefined> {
      const rows = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.contract(contractId).pk },
      });
      const contractRow = rows.find((r) => r.sk === CONTRACT_SK);
      if (!contractRow) return undefined;
      const contract = toContractRow(contractRow);
      const business = contract.activatedBy
        ? (
            await client.send(
              new GetCommand({ TableName: tableName, Key: keys.business(contract.activatedBy) }),
            )
          ).Item
        : undefined;
      return {
        contract,
        items: rows.filter((r) => r.entity === 'license-item').map((r) => domainFields<LicenseItem>(r)),
        audit: rows.filter((r) => r.entity === 'audit').map((r) => domainFields<AuditEntry>(r)),
        ...(business ? { business: domainFields<Business>(business) } : {}),
      };
    },

    /** Setups not completed: `open` still inside their four hours, `expired` past them (R4). */
    async listSetups(q: { state: 'open' | 'expired'; limit: number; cursor?: string; now: Date }) {
      const threshold = new Date(q.now.getTime() - SETUP_WINDOW_MS).toISOString();
      const start = decodeCursor(q.cursor);
      const page = await query({
        IndexName: INDEXES.byStatus.name,
        KeyConditionExpression: q.state === 'open' ? '#pk = :pk AND #sk > :t' : '#pk = :pk AND #sk < :t',
        ExpressionAttributeNames: { '#pk': INDEXES.byStatus.pk, '#sk': INDEXES.byStatus.sk },
        ExpressionAttributeValues: { ':pk': keys.setupsByState('open', '', '').gsi1pk, ':t': threshold },
        ScanIndexForward: q.state !== 'expired',
        Limit: q.limit,
        ...(start.pk ? { ExclusiveStartKey: start } : {}),
      });
      const setups: SetupRow[] = (page.Items ?? []).map((r) => {
        const s = domainFields<SetupSession>(r);
        return {
          contractId: s.contractId,
          productCode: s.productCode,
          ...(s.customerAWSAccountId ? { customerAWSAccountId: s.customerAWSAccountId } : {}),
          ...(s.email ? { email: s.email } : {}),
          step: s.step,
          createdAt: s.createdAt,
          expiresAt: s.expiresAt,
        };
      });
      const last = page.LastEvaluatedKey as Record<string, string> | undefined;
      return { setups, ...(last ? { nextCursor: encodeCursor(last) } : {}) };
    },

    async summary(q: { productCodes: readonly string[]; now: Date }): Promise<Summary> {
      const shards = await client.send(
        new BatchGetCommand({
          RequestItems: {
            [tableName]: {
              Keys: Array.from({ length: SUMMARY_SHARDS }, (_, n) => keys.summaryShard(n)),
              ConsistentRead: true,
            },
          },
        }),
      );
      const rows = shards.Responses?.[tableName] ?? [];
      const byStatus = Object.fromEntries(
        CONTRACT_STATUSES.map((s) => [
          s,
          rows.reduce((sum, r) => sum + Number(r[countAttribute(s)] ?? 0), 0),
        ]),
      ) as Record<ContractStatus, number>;
      const activeCredits = rows.reduce((sum, r) => sum + Number(r.activeCredits ?? 0), 0);
      // Expiring soon: only the next 90 days of the live partitions are read.
      const nowIso = q.now.toISOString();
      const horizon = (days: number) => new Date(q.now.getTime() + days * DAY).toISOString();
      const ends = (
        await Promise.all(
          q.productCodes.flatMap((p) =>
            (['pending-setup', 'active'] as const).map((s) =>
              queryAll({
                IndexName: INDEXES.byStatus.name,
                KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :now AND :h',
                ExpressionAttributeNames: { '#pk': INDEXES.byStatus.pk, '#sk': INDEXES.byStatus.sk },
                ExpressionAttributeValues: {
                  ':pk': keys.statusPartition(p, s),
                  ':now': nowIso,
                  ':h': horizon(90),
                },
                ProjectionExpression: '#sk',
              }),
            ),
          ),
        )
      )
        .flat()
        .map((r) => String(r[INDEXES.byStatus.sk]));
      const within = (days: number) => ends.filter((sk) => sk < horizon(days)).length;
      return {
        byStatus,
        activeCredits,
        expiring: { days30: within(30), days60: within(60), days90: within(90) },
        asOf: nowIso,
      };
    },
  };
}

export type SalesReader = ReturnType<typeof createSalesReader>;

/**
 * What a list row needs (toContractRow) and the index keys the merge and its cursor use: a
 * list reads each contract's few list fields, not its facts, versions and other index keys.
 */
const LIST_PROJECTION = (() => {
  const paths = [
    ['contractId'],
    ['productCode'],
    ['setupState'],
    ['term'],
    ['activeCredits'],
    ['expiresAt'],
    ['customerAWSAccountId'],
    ['licenseArn'],
    ['activatedBy'],
    ['businessName'],
    ['activatedAt'],
    ['facts', 'freeTrial'],
    ['facts', 'autoRenew'],
    ['createdAt'],
    ['updatedAt'],
    [INDEXES.byStatus.sk],
    [INDEXES.byExpiry.sk],
  ];
  const names: Record<string, string> = {};
  const expression = paths
    .map((path) =>
      path
        .map((part) => {
          const name = `#p_${part}`;
          names[name] = part;
          return name;
        })
        .join('.'),
    )
    .join(', ');
  return { expression, names };
})();

/** One partition in the merge: rows read but not yet handed out, and where reading goes on. */
interface MergeSource {
  readonly index: ListIndex;
  readonly partition: string;
  readonly buffer: { row: Row; sk: string }[];
  /** Sort key to read after (ExclusiveStartKey); undefined: from the start. */
  next: string | undefined;
  /** The partition has no more rows to read. */
  done: boolean;
  lastTaken?: string;
}

/**
 * Hands out rows in sort-key order while that is safe: a row may go only if no partition
 * whose buffer ran dry can still hold an earlier one (its unread rows all sort after `next`).
 * Returns the partitions to read more of before the page can go on; none when it is full or
 * every partition is drained.
 */
function mergeInto(emitted: Row[], sources: readonly MergeSource[], limit: number): MergeSource[] {
  while (emitted.length < limit) {
    let head: MergeSource | undefined;
    for (const s of sources) {
      const first = s.buffer[0];
      if (first && (!head || first.sk < (head.buffer[0]?.sk ?? ''))) head = s;
    }
    const dry = sources.filter((s) => s.buffer.length === 0 && !s.done);
    const headSk = head?.buffer[0]?.sk;
    const blocking = headSk === undefined ? dry : dry.filter((s) => (s.next ?? '') < headSk);
    if (blocking.length > 0 || !head) return blocking;
    const taken = head.buffer.shift();
    if (!taken) return [];
    emitted.push(taken.row);
    head.lastTaken = taken.sk;
  }
  return [];
}

type ListIndex = typeof INDEXES.byStatus | typeof INDEXES.byExpiry;

/** An ExclusiveStartKey on a list index: its keys and the table's, from `<expiresAt>#<contractId>`. */
function indexKey(index: ListIndex, partition: string, sortKey: string): Row {
  const contractId = sortKey.slice(sortKey.indexOf('#') + 1);
  return { ...keys.contract(contractId), [index.pk]: partition, [index.sk]: sortKey };
}

function encodeCursor(value: Record<string, string | null | undefined>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor(cursor: string | undefined): Record<string, string | null> {
  if (!cursor) return {};
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    for (const v of Object.values(value))
      if (v !== null && typeof v !== 'string') throw new Error('bad value');
    return value as Record<string, string | null>;
  } catch {
    throw new InvalidCursorError('The cursor is not valid');
  }
}

function toContractRow(row: Row): ContractRow {
  const c = domainFields<Contract>(row);
  return {
    contractId: c.contractId,
    productCode: c.productCode,
    status: contractStatus(c),
    activeCredits: c.activeCredits,
    expiresAt: c.expiresAt,
    ...(c.customerAWSAccountId ? { customerAWSAccountId: c.customerAWSAccountId } : {}),
    ...(c.licenseArn ? { licenseArn: c.licenseArn } : {}),
    ...(c.activatedBy ? { activatedBy: c.activatedBy } : {}),
    ...(c.businessName ? { businessName: c.businessName } : {}),
    ...(c.activatedAt ? { activatedAt: c.activatedAt } : {}),
    ...(c.facts?.freeTrial ? { freeTrial: c.facts.freeTrial.value } : {}),
    ...(c.facts?.autoRenew ? { autoRenew: c.facts.autoRenew.value } : {}),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

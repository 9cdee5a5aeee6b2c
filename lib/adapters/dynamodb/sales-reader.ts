import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type {
  AgreementTerms,
  ContractValue,
  EndBehavior,
  TermsUnavailable,
} from '../../domain/contract/agreement.js';
import {
  type Contract,
  type ContractStatus,
  autoRenewOf as contractAutoRenew,
  freeTrialOf as contractFreeTrial,
  contractStatus,
  type Fact,
  type LicenseItem,
} from '../../domain/contract/model.js';
import type { AuditEntry } from '../../domain/contract/ports.js';
import { type CreditUsage, creditUsage, emptyLedger } from '../../domain/credits/ledger.js';
import { type LicenseView, licenseViews } from '../../domain/credits/licenses.js';
import type { Ledger } from '../../domain/credits/model.js';
import type { HistoryEntry } from '../../domain/events/history.js';
import {
  ORDER_ID,
  type Order,
  type OrderState,
  type OrderView,
  orderViewOf,
} from '../../domain/orders/model.js';
import type { Business, SetupSession } from '../../domain/setup/model.js';
import { SETUP_WINDOW_MS } from '../../domain/setup/model.js';
import { CONTRACT_SK, INDEXES, keys, type TableKey } from './keys.js';
import { createLedgerStore } from './ledger-store.js';
import { createOrderStore, InvalidOrderCursorError } from './order-store.js';
import { domainFields, queryAllPages, type Row } from './rows.js';
import {
  BUCKET_LENGTHS,
  BUCKET_MEASURES,
  type BucketMeasure,
  bucketAttribute,
  bucketsOf,
  countAttribute,
  LIVE_STATUSES,
  SUMMARY_SHARDS,
} from './summary-counters.js';

export const CONTRACT_STATUSES: readonly ContractStatus[] = [
  'pending-setup',
  'active',
  'expired',
  'cancelled',
  'renewed',
  'replaced',
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
  /** A free trial: the agreement's terms hold a free-trial term, else the notification's fact. */
  readonly freeTrial?: boolean;
  /** Auto-renewal: the agreement's renewal term when read after the notification's fact, else the fact. */
  readonly autoRenew?: boolean;
  /** The total contract value from the agreement's terms. */
  readonly contractValue?: ContractValue;
  /** What happens at the end of the term, and why (the agreement's end-time behaviour). */
  readonly endBehavior?: EndBehavior;
  /** Why the agreement's terms could not be read (a channel partner's offer). */
  readonly termsUnavailable?: TermsUnavailable['reason'];
  readonly previousContractId?: string;
  readonly nextContractId?: string;
  /** By how many credits the activating business's allocations exceed its credits (only when asked for). */
  readonly overAllocatedBy?: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A search box's words: a 12-digit AWS account id, or a piece of a business name (any case). */
export type ContractSearch =
  | { readonly kind: 'account'; readonly accountId: string }
  | { readonly kind: 'name'; readonly text: string };

export interface ContractListQuery {
  readonly productCodes: readonly string[];
  readonly statuses: readonly ContractStatus[];
  /** ISO timestamp: only contracts whose term ends before it. */
  readonly expiringBefore?: string;
  readonly businessId?: string;
  readonly freeTrial?: boolean;
  readonly autoRenew?: boolean;
  readonly search?: ContractSearch;
  readonly limit: number;
  readonly cursor?: string;
  /** Add each row's business over-allocation (one BatchGet of the page's ledgers). */
  readonly withOverAllocation?: boolean;
  /** The instant over-allocation is judged at (lapsed credits left out). */
  readonly now?: Date;
}

export interface ContractPage {
  readonly contracts: ContractRow[];
  readonly nextCursor?: string;
}

/** A business's credit figures at the time of reading (lapsed sources left out, R2, R9). */
export interface BusinessCredits {
  readonly total: number;
  readonly allocated: number;
  readonly balance: number;
  readonly overAllocatedBy: number;
  readonly overAllocatedSince?: string;
}

/** What the agreement behind a contract says, as far as we know it. */
export interface AgreementView {
  readonly agreementId?: string;
  readonly previousAgreementId?: string;
  readonly offerId?: string;
  readonly terms?: Fact<AgreementTerms>;
  readonly termsUnavailable?: Fact<TermsUnavailable>;
}

export interface ContractDetail {
  readonly contract: ContractRow;
  readonly agreement: AgreementView;
  /** Entitled quantity per marketplace dimension. */
  readonly dimensions: Readonly<Record<string, number>>;
  readonly items: LicenseItem[];
  readonly audit: AuditEntry[];
  readonly business?: Business;
  /** The activating business's credits from its ledger (absent before activation or without a ledger). */
  readonly businessCredits?: BusinessCredits;
}

/** One business as sales sees it: its details, credit usage (allocations in `usage.distribution`) and licenses. */
export interface BusinessDetail {
  readonly business: Business;
  readonly usage: CreditUsage;
  readonly licenses: readonly LicenseView[];
}

/** An over-allocated business in the sales list. */
export interface OverAllocatedRow extends BusinessCredits {
  readonly businessId: string;
  readonly name?: string;
  readonly primaryEmail?: string;
}

export interface OverAllocatedList {
  readonly businesses: OverAllocatedRow[];
  /** More businesses are over-allocated than the list holds (the list has no pages yet). */
  readonly more: boolean;
  readonly asOf: string;
}

export interface SetupRow {
  /** The contract a marketplace setup activates, or the order a registration registers (R12). */
  readonly contractId?: string;
  readonly orderId?: string;
  readonly productCode: string;
  readonly customerAWSAccountId?: string;
  readonly email?: string;
  readonly step: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** An order from another channel (R12) as sales sees it: the license API's order view, with totals. */
export interface OrderRow extends OrderView {
  readonly updatedAt: string;
  /** Credits of every line, registered or not. */
  readonly credits: number;
  readonly registeredLines: number;
}

export interface OrderPage {
  readonly orders: OrderRow[];
  readonly nextCursor?: string;
}

/** A history entry as sales reads it (`lib/domain/events/history.ts`), without its storage tag. */
export type OrderHistoryEntry = Omit<HistoryEntry, 'entity'>;

export interface OrderDetail {
  readonly order: OrderRow;
  /** The order's history, oldest first: its import, registrations, replaced keys. */
  readonly history: OrderHistoryEntry[];
  /** The businesses its lines are registered to, with their names (unknown ones left out). */
  readonly businesses: readonly { readonly businessId: string; readonly name: string }[];
}

export interface Summary {
  readonly byStatus: Record<ContractStatus, number>;
  readonly activeCredits: number;
  readonly expiring: { readonly days30: number; readonly days60: number; readonly days90: number };
  readonly asOf: string;
}

/** Live contracts ending in one calendar month (UTC); the current month from now on. */
export interface MonthExpiry {
  /** `2026-06`. */
  readonly month: string;
  readonly contracts: number;
  readonly credits: number;
  /** Total contract value per currency (decimal strings), of the contracts whose terms we know. */
  readonly value: Readonly<Record<string, string>>;
}

export interface SetupAge {
  readonly label: string;
  readonly count: number;
}

/** What the summary page draws, besides the summary itself. */
export interface SummaryCharts {
  /** This month (from now) and the next eleven. */
  readonly months: MonthExpiry[];
  /** The value query read every contract of the twelve months (else it stopped at its cap). */
  readonly valueComplete: boolean;
  /** When incomplete: contract value is counted for contracts ending before this instant only. */
  readonly valueReadUntil?: string;
  /** Contracts the value query read (its cost). */
  readonly contractsRead: number;
  /** Open setups by age, then the setups that expired in the last day. */
  readonly setupsByAge: SetupAge[];
  readonly setupsComplete: boolean;
}

export interface SummaryWithCharts {
  readonly summary: Summary;
  readonly charts: SummaryCharts;
}

/** The contract-value query of the summary charts reads at most this many contracts per product. */
export const VALUE_READ_CAP = 5000;
/** The setup-age chart reads at most this many setups per range. */
export const SETUP_READ_CAP = 2000;
/** A list filtered after reading (free trial, auto-renew, a name) reads at least this many rows per partition and round. */
const FILTERED_READ = 100;

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
  const ledgers = createLedgerStore({ client, tableName });
  const orders = createOrderStore({ client, tableName });
  const getBusinessRow = async (businessId: string) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: keys.business(businessId) }))).Item;

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
    // Each partition with its product: a cursor's position in it must be one of its contracts.
    const productOf = new Map<string, string>(
      everyStatus
        ? q.productCodes.map((p) => [keys.expiryPartition(p), p])
        : q.productCodes.flatMap((p) => q.statuses.map((s) => [keys.statusPartition(p, s), p] as const)),
    );
    const partitions = [...productOf.keys()];
    // Cursor: per partition the last sort key handed out, or null once the partition is done.
    const fingerprint = queryFingerprint([
      'list',
      index.name,
      partitions,
      q.expiringBefore,
      q.freeTrial,
      q.autoRenew,
      q.search,
    ]);
    const positions = new Map<string, string | null | undefined>(partitions.map((p) => [p, undefined]));
    if (q.cursor) {
      const cursor = decodeCursor(q.cursor, fingerprint);
      const at = cursor.p;
      if (!isRecord(at) || Object.keys(at).length !== partitions.length)
        throw new InvalidCursorError('The cursor belongs to another query');
      for (const [p, sk] of Object.entries(at)) {
        const product = productOf.get(p);
        if (product === undefined) throw new InvalidCursorError('The cursor belongs to another query');
        // false: nothing of the partition handed out yet (it is read from its start again).
        if (sk === false) continue;
        if (sk !== null && !isListPosition(sk, product, q.expiringBefore))
          throw new InvalidCursorError('The cursor is not valid for this query');
        positions.set(p, sk);
      }
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
    // A partition nothing was handed out of yet keeps its place as false (JSON drops undefined).
    const at = Object.fromEntries([...positions].map(([p, sk]) => [p, sk === undefined ? false : sk]));
    return {
      contracts: emitted.map(toContractRow),
      ...(done ? {} : { nextCursor: encodeCursor(fingerprint, { p: at }) }),
    };
  }

  /** Reads up to `limit` more rows of one partition into its buffer. */
  async function fill(source: MergeSource, q: ContractListQuery, limit: number): Promise<void> {
    const before = q.expiringBefore;
    const keep = rowFilter(q);
    const page = await query({
      IndexName: source.index.name,
      KeyConditionExpression: before ? '#pk = :pk AND #sk < :before' : '#pk = :pk',
      ExpressionAttributeNames: {
        '#pk': source.index.pk,
        ...(before ? { '#sk': source.index.sk } : {}),
        ...LIST_PROJECTION.names,
      },
      ExpressionAttributeValues: {
        ':pk': source.partition,
        ...(before ? { ':before': before } : {}),
      },
      ProjectionExpression: LIST_PROJECTION.expression,
      // Filters applied after reading (their rules span several facts, a name has no case in
      // DynamoDB): a Query's Limit counts the rows read either way, so read more per round.
      Limit: keep ? Math.max(limit, FILTERED_READ) : limit,
      ...(source.next ? { ExclusiveStartKey: indexKey(source.index, source.partition, source.next) } : {}),
    });
    for (const row of page.Items ?? [])
      if (!keep || keep(toContractRow(row))) source.buffer.push({ row, sk: String(row[source.index.sk]) });
    const lastEvaluated = page.LastEvaluatedKey?.[source.index.sk] as string | undefined;
    if (lastEvaluated === undefined) source.done = true;
    else source.next = lastEvaluated;
  }

  /**
   * A business or an AWS account has a handful of contracts: read them all from its index
   * (byBusiness holds whole rows; byAccount only ids, so one BatchGet of the contracts), then
   * filter, sort and page in memory.
   */
  async function listSmallSet(q: ContractListQuery): Promise<ContractPage> {
    const account = q.search?.kind === 'account' ? q.search.accountId : undefined;
    let rows: Row[];
    if (account) {
      const ids = await queryAll({
        IndexName: INDEXES.byAccount.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': INDEXES.byAccount.pk },
        ExpressionAttributeValues: { ':pk': keys.byAccount(account, '').gsi2pk },
      });
      rows = await batchGetAll(
        ids.map((r) => keys.contract(String(r.contractId))),
        LIST_PROJECTION,
      );
    } else {
      rows = (
        await queryAll({
          IndexName: INDEXES.byBusiness.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': INDEXES.byBusiness.pk },
          ExpressionAttributeValues: { ':pk': keys.byBusiness(q.businessId ?? '', '').gsi3pk },
        })
      ).filter((r) => r.sk === CONTRACT_SK); // the partition also holds items and direct licenses
    }
    const keep = rowFilter(q);
    const matching = rows
      .filter((r) => r.sk === undefined || r.sk === CONTRACT_SK)
      .map(toContractRow)
      .filter(
        (c) =>
          q.productCodes.includes(c.productCode) &&
          q.statuses.includes(c.status) &&
          (!q.expiringBefore || c.expiresAt < q.expiringBefore) &&
          (!q.businessId || c.activatedBy === q.businessId) &&
          (!keep || keep(c)),
      )
      .sort((a, b) => (a.expiresAt + a.contractId < b.expiresAt + b.contractId ? -1 : 1));
    const fingerprint = queryFingerprint([
      account ? 'account' : 'business',
      account ?? q.businessId,
      q.businessId,
      q.productCodes,
      q.statuses,
      q.expiringBefore,
      q.freeTrial,
      q.autoRenew,
      q.search,
    ]);
    const offset = q.cursor ? decodeCursor(q.cursor, fingerprint).offset : 0;
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
      throw new InvalidCursorError('The cursor is not valid for this query');
    const page = matching.slice(offset, offset + q.limit);
    const next = offset + q.limit;
    return {
      contracts: page,
      ...(next < matching.length ? { nextCursor: encodeCursor(fingerprint, { offset: next }) } : {}),
    };
  }

  /** Each row's business over-allocation, from one BatchGet of the page's businesses' ledgers. */
  async function withOverAllocation(page: ContractPage, now: Date): Promise<ContractPage> {
    const businesses = [...new Set(page.contracts.flatMap((c) => (c.activatedBy ? [c.activatedBy] : [])))];
    if (businesses.length === 0) return page;
    const over = new Map<string, number>();
    for (const row of await batchGetAll(businesses.map((b) => keys.ledger(b)))) {
      const ledger = domainFields<Ledger>(row);
      over.set(ledger.businessId, creditUsage(ledger, now).overAllocatedBy);
    }
    return {
      ...page,
      contracts: page.contracts.map((c) =>
        c.activatedBy ? { ...c, overAllocatedBy: over.get(c.activatedBy) ?? 0 } : c,
      ),
    };
  }

  return {
    /**
     * One page of contracts. A business or an account searched for: its few contracts from
     * its index. Else the merge over the list partitions (listByStatus). With
     * `withOverAllocation`, one BatchGet of the page's businesses' ledgers.
     */
    async listContracts(q: ContractListQuery): Promise<ContractPage> {
      const page =
        q.businessId || q.search?.kind === 'account' ? await listSmallSet(q) : await listByStatus(q);
      return q.withOverAllocation ? withOverAllocation(page, q.now ?? new Date()) : page;
    },

    /** One Query of the contract's partition, then its business and that business's ledger together. */
    async getContract(contractId: string, now: Date): Promise<ContractDetail | undefined> {
      const rows = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.contract(contractId).pk },
      });
      const contractRow = rows.find((r) => r.sk === CONTRACT_SK);
      if (!contractRow) return undefined;
      const contract = toContractRow(contractRow);
      const stored = domainFields<Contract>(contractRow);
      const facts = stored.facts ?? {};
      const [business, ledger] = contract.activatedBy
        ? await Promise.all([getBusinessRow(contract.activatedBy), ledgers.get(contract.activatedBy)])
        : [undefined, undefined];
      return {
        contract,
        agreement: {
          ...(facts.agreementId ? { agreementId: facts.agreementId.value } : {}),
          ...(facts.previousAgreementId ? { previousAgreementId: facts.previousAgreementId.value } : {}),
          ...(facts.offerId ? { offerId: facts.offerId.value } : {}),
          ...(facts.terms ? { terms: facts.terms } : {}),
          ...(facts.termsUnavailable ? { termsUnavailable: facts.termsUnavailable } : {}),
        },
        dimensions: stored.dimensions ?? {},
        items: rows.filter((r) => r.entity === 'license-item').map((r) => domainFields<LicenseItem>(r)),
        audit: rows.filter((r) => r.entity === 'audit').map((r) => domainFields<AuditEntry>(r)),
        ...(business ? { business: domainFields<Business>(business) } : {}),
        ...(ledger ? { businessCredits: creditsOf(creditUsage(ledger, now)) } : {}),
      };
    },

    /**
     * A business with its credits and every license (R2, R9): its item, its ledger and one
     * Query of its index partition (contracts, their items, direct licenses), all at once.
     * Undefined for an unknown business.
     */
    async getBusiness(businessId: string, now: Date): Promise<BusinessDetail | undefined> {
      const [row, ledger, holdings] = await Promise.all([
        getBusinessRow(businessId),
        ledgers.get(businessId),
        ledgers.holdings(businessId),
      ]);
      if (!row) return undefined;
      return {
        business: domainFields<Business>(row),
        usage: creditUsage(ledger ?? emptyLedger(businessId, now), now),
        licenses: licenseViews(holdings.contracts, holdings.direct, now),
      };
    },

    /**
     * Businesses whose allocations exceed their credits now, longest first (R9), from the
     * ledger store's two index reads, then their names and primary emails from the business
     * items (one BatchGetItem: the ledger's copies date from its first write).
     */
    async listOverAllocated(q: { now: Date; limit: number }): Promise<OverAllocatedList> {
      const found = await ledgers.overAllocated(q.now, q.limit + 1);
      const shown = found.slice(0, q.limit);
      const named = new Map(
        (await batchGetAll(shown.map((l) => keys.business(l.businessId)))).map((r) => {
          const b = domainFields<Business>(r);
          return [b.businessId, b] as const;
        }),
      );
      return {
        businesses: shown.map((ledger) => overAllocatedRow(ledger, named.get(ledger.businessId), q.now)),
        more: found.length > q.limit,
        asOf: q.now.toISOString(),
      };
    },

    /**
     * Orders from other channels, newest import first, optionally in one state (R12): the order
     * store's Query of the `ORDERS` partition. A state is a filter after reading, so a round may
     * find fewer than the page lacks; the next round asks for exactly what is still missing, so
     * no round hands back more than the page takes and the cursor (the store's, where the last
     * round stopped) loses and repeats nothing. At most MAX_ROUNDS rounds: a sparse state gives
     * a short page with a cursor. A cursor the store did not make, or of another state, is a 400.
     */
    async listOrders(q: { state?: OrderState; limit: number; cursor?: string }): Promise<OrderPage> {
      const rows: OrderRow[] = [];
      let cursor = q.cursor;
      try {
        for (let round = 0; round < MAX_ROUNDS; round++) {
          const page = await orders.list({
            ...(q.state ? { state: q.state } : {}),
            limit: q.limit - rows.length,
            ...(cursor ? { cursor } : {}),
          });
          rows.push(...page.orders.map(orderRowOf));
          cursor = page.cursor;
          if (!cursor || rows.length >= q.limit) break;
        }
      } catch (error) {
        if (error instanceof InvalidOrderCursorError) throw new InvalidCursorError(error.message);
        throw error;
      }
      return { orders: rows, ...(cursor ? { nextCursor: cursor } : {}) };
    },

    /**
     * One order with its history: one Query of its partition (the order and its `HISTORY#`
     * entries), then the names of the businesses its lines are registered to (one BatchGet).
     * Undefined for an unknown order, or an id that is not one (checked before any read).
     */
    async getOrder(orderId: string): Promise<OrderDetail | undefined> {
      if (!ORDER_ID.test(orderId)) return undefined;
      const rows = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.order(orderId).pk },
      });
      const orderItem = rows.find((r) => r.sk === keys.order(orderId).sk);
      if (!orderItem) return undefined;
      // The stored `state` is for the list's filter; the domain computes it from the lines.
      const { state: _state, ...order } = domainFields<Order & { state?: string }>(orderItem);
      const history = rows
        .filter((r) => String(r.sk).startsWith(keys.historyPrefix))
        .map((r) => domainFields<OrderHistoryEntry>(r));
      const registeredBy = [...new Set(order.lines.flatMap((l) => (l.registeredBy ? [l.registeredBy] : [])))];
      const businesses = (
        await batchGetAll(
          registeredBy.map((b) => keys.business(b)),
          { expression: '#b, #n', names: { '#b': 'businessId', '#n': 'name' } },
        )
      )
        .map((r) => ({ businessId: String(r.businessId), name: String(r.name ?? '') }))
        .sort((a, b) => registeredBy.indexOf(a.businessId) - registeredBy.indexOf(b.businessId));
      return { order: orderRowOf(order), history, businesses };
    },

    /** Setups not completed: `open` still inside their four hours, `expired` past them (R4). */
    async listSetups(q: { state: 'open' | 'expired'; limit: number; cursor?: string; now: Date }) {
      const threshold = new Date(q.now.getTime() - SETUP_WINDOW_MS).toISOString();
      const fingerprint = queryFingerprint(['setups', q.state]);
      const at = q.cursor ? decodeCursor(q.cursor, fingerprint).at : undefined;
      const position = at === undefined ? undefined : SETUP_POSITION.exec(String(at));
      if (at !== undefined && !position)
        throw new InvalidCursorError('The cursor is not valid for this query');
      // The four hours move on between pages: a position the range has left behind is before
      // everything still in it, so the page starts at the range's beginning.
      const inRange = position && (q.state === 'open' ? String(at) > threshold : String(at) < threshold);
      const open = keys.setupsByState('open', '', '').gsi1pk;
      const page = await query({
        IndexName: INDEXES.byStatus.name,
        KeyConditionExpression: q.state === 'open' ? '#pk = :pk AND #sk > :t' : '#pk = :pk AND #sk < :t',
        ExpressionAttributeNames: { '#pk': INDEXES.byStatus.pk, '#sk': INDEXES.byStatus.sk },
        ExpressionAttributeValues: { ':pk': open, ':t': threshold },
        ScanIndexForward: q.state !== 'expired',
        Limit: q.limit,
        ...(inRange && position?.[1]
          ? {
              ExclusiveStartKey: {
                ...keys.setup(position[1]),
                [INDEXES.byStatus.pk]: open,
                [INDEXES.byStatus.sk]: String(at),
              },
            }
          : {}),
      });
      const setups: SetupRow[] = (page.Items ?? []).map((r) => {
        const s = domainFields<SetupSession>(r);
        return {
          ...(s.contractId ? { contractId: s.contractId } : {}),
          ...(s.orderId ? { orderId: s.orderId } : {}),
          productCode: s.productCode,
          ...(s.customerAWSAccountId ? { customerAWSAccountId: s.customerAWSAccountId } : {}),
          ...(s.email ? { email: s.email } : {}),
          step: s.step,
          createdAt: s.createdAt,
          expiresAt: s.expiresAt,
        };
      });
      const last = page.LastEvaluatedKey?.[INDEXES.byStatus.sk] as string | undefined;
      return { setups, ...(last ? { nextCursor: encodeCursor(fingerprint, { at: last }) } : {}) };
    },

    /**
     * The summary from counters alone, whatever the table's size: the shards' totals per
     * status, and the expiry buckets (summary-counters.ts) that say how many live contracts
     * end before now and before each horizon. A contract whose term has ended counts as
     * expired even while no expiry notification has arrived (R2: only unexpired credits count).
     * Reads about 90 small counter items in one BatchGetItem, plus one Query per product and
     * horizon for the contracts ending in that hour before it.
     */
    async summary(q: { productCodes: readonly string[]; now: Date }): Promise<Summary> {
      return (await readSummary(q)).summary;
    },

    /**
     * The summary and what its page draws. Contracts and credits ending per month come from the
     * counters the summary reads anyway (the shard totals hold one attribute per month). Contract
     * value has no counter: one Query of the expiry index per product over the twelve months,
     * projecting the contract value only, paged up to VALUE_READ_CAP contracts per product (it
     * reads every contract of the product ending in that window, ended ones too: about every
     * live contract for twelve-month terms). Setups by age: one Query of the open setups of
     * the last four hours and one of those expired in the day before (up to SETUP_READ_CAP each).
     */
    async summaryWithCharts(q: { productCodes: readonly string[]; now: Date }): Promise<SummaryWithCharts> {
      const months = Array.from({ length: 12 }, (_, i) => {
        const d = new Date(Date.UTC(q.now.getUTCFullYear(), q.now.getUTCMonth() + i, 1));
        return d.toISOString().slice(0, 7);
      });
      const windowEnd = new Date(Date.UTC(q.now.getUTCFullYear(), q.now.getUTCMonth() + 12, 1)).toISOString();
      const [read, values, setups] = await Promise.all([
        readSummary(q),
        contractValueByMonth(q.productCodes, q.now.toISOString(), windowEnd),
        setupAges(q.now),
      ]);
      const monthly = (month: string, measure: BucketMeasure) => {
        const inBucket = read.totals.get(bucketAttribute(month, measure)) ?? 0;
        // This month: without the live contracts that already ended before now.
        return month === months[0]
          ? inBucket - (read.endingBefore(0, measure) - read.monthsBefore(month, measure))
          : inBucket;
      };
      return {
        summary: read.summary,
        charts: {
          months: months.map((month) => ({
            month,
            contracts: LIVE_STATUSES.reduce((sum, s) => sum + monthly(month, s), 0),
            credits: monthly(month, 'credits'),
            value: values.byMonth.get(month) ?? {},
          })),
          valueComplete: values.complete,
          ...(values.readUntil ? { valueReadUntil: values.readUntil } : {}),
          contractsRead: values.read,
          setupsByAge: setups.buckets,
          setupsComplete: setups.complete,
        },
      };
    },
  };

  /** The counters behind the summary, and what it adds up from them. */
  async function readSummary(q: { productCodes: readonly string[]; now: Date }) {
    {
      const nowIso = q.now.toISOString();
      const horizons = [0, 30, 60, 90].map((days) => new Date(q.now.getTime() + days * DAY).toISOString());
      const wanted = new Map<string, TableKey>();
      for (let shard = 0; shard < SUMMARY_SHARDS; shard++) {
        const want = (key: TableKey) => wanted.set(`${key.pk}|${key.sk}`, key);
        want(keys.summaryShard(shard));
        for (const at of horizons) {
          const [month, day] = bucketsOf(at);
          want(keys.summaryExpiry(shard, month));
          want(keys.summaryExpiry(shard, day));
        }
      }
      const [rows, partials] = await Promise.all([
        batchGetAll([...wanted.values()]),
        Promise.all(horizons.map((at) => endingInHourBefore(at, q.productCodes))),
      ]);
      // Every shard's item of one sort key adds up to the same item of the whole table.
      const items = new Map<string, Map<string, number>>();
      for (const row of rows) {
        const item = items.get(String(row.sk)) ?? new Map<string, number>();
        items.set(String(row.sk), item);
        for (const [name, value] of Object.entries(row))
          if (typeof value === 'number') item.set(name, (item.get(name) ?? 0) + value);
      }
      const totals = items.get(keys.summaryShard(0).sk) ?? new Map<string, number>();
      /** Live contracts (or their credits) whose term ends before the horizon `i`. */
      const endingBefore = (i: number, measure: BucketMeasure): number => {
        const at = horizons[i] ?? nowIso;
        const [month, day, hour] = bucketsOf(at);
        const sumBefore = (item: Map<string, number> | undefined, level: number, bucket: string) => {
          let sum = 0;
          for (const [name, value] of item ?? []) {
            const [kind, b, m] = name.split(':');
            if (kind === 'exp' && m === measure && b !== undefined && b.length === level && b < bucket)
              sum += value;
          }
          return sum;
        };
        return (
          sumBefore(totals, BUCKET_LENGTHS.month, month) +
          sumBefore(items.get(keys.summaryExpiry(0, month).sk), BUCKET_LENGTHS.day, day) +
          sumBefore(items.get(keys.summaryExpiry(0, day).sk), BUCKET_LENGTHS.hour, hour) +
          (partials[i]?.[measure] ?? 0)
        );
      };
      /** Live contracts (or their credits) whose term ends in a month before `month`. */
      const monthsBefore = (month: string, measure: BucketMeasure) => {
        let sum = 0;
        for (const [name, value] of totals) {
          const [kind, b, m] = name.split(':');
          if (
            kind === 'exp' &&
            m === measure &&
            b !== undefined &&
            b.length === BUCKET_LENGTHS.month &&
            b < month
          )
            sum += value;
        }
        return sum;
      };
      const total = (name: string) => totals.get(name) ?? 0;
      const ended = { 'pending-setup': endingBefore(0, 'pending-setup'), active: endingBefore(0, 'active') };
      const live = (i: number) => LIVE_STATUSES.reduce((sum, s) => sum + endingBefore(i, s), 0);
      const summary: Summary = {
        byStatus: {
          'pending-setup': total(countAttribute('pending-setup')) - ended['pending-setup'],
          active: total(countAttribute('active')) - ended.active,
          expired: total(countAttribute('expired')) + ended['pending-setup'] + ended.active,
          cancelled: total(countAttribute('cancelled')),
          renewed: total(countAttribute('renewed')),
          replaced: total(countAttribute('replaced')),
        },
        activeCredits: total('activeCredits') - endingBefore(0, 'credits'),
        expiring: { days30: live(1) - live(0), days60: live(2) - live(0), days90: live(3) - live(0) },
        asOf: nowIso,
      };
      return { summary, totals, endingBefore, monthsBefore };
    }
  }

  /** Contract value per month and currency of the current contracts ending in [from, to). */
  async function contractValueByMonth(productCodes: readonly string[], from: string, to: string) {
    const byMonth = new Map<string, Record<string, string>>();
    let read = 0;
    let complete = true;
    let readUntil: string | undefined;
    await Promise.all(
      productCodes.map(async (p) => {
        let start: Row | undefined;
        let count = 0;
        do {
          const page = await query({
            IndexName: INDEXES.byExpiry.name,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            FilterExpression: '#term = :current',
            ExpressionAttributeNames: {
              '#pk': INDEXES.byExpiry.pk,
              '#sk': INDEXES.byExpiry.sk,
              '#term': 'term',
              '#exp': 'expiresAt',
              '#facts': 'facts',
              '#terms': 'terms',
              '#v': 'value',
              '#cv': 'contractValue',
            },
            ExpressionAttributeValues: {
              ':pk': keys.expiryPartition(p),
              ':from': from,
              ':to': to,
              ':current': 'current',
            },
            ProjectionExpression: '#exp, #facts.#terms.#v.#cv',
            Limit: Math.min(1000, VALUE_READ_CAP - count),
            ...(start ? { ExclusiveStartKey: start } : {}),
          });
          count += page.ScannedCount ?? page.Items?.length ?? 0;
          for (const row of page.Items ?? []) {
            const value = (row.facts as Contract['facts'] | undefined)?.terms?.value.contractValue;
            if (!value) continue;
            const month = String(row.expiresAt).slice(0, 7);
            const sums = byMonth.get(month) ?? {};
            sums[value.currency] = addDecimal(sums[value.currency] ?? '0', value.amount);
            byMonth.set(month, sums);
          }
          start = page.LastEvaluatedKey;
          if (start && count >= VALUE_READ_CAP) {
            complete = false;
            const at = String(start[INDEXES.byExpiry.sk]).slice(0, 24);
            if (!readUntil || at < readUntil) readUntil = at;
            start = undefined;
          }
        } while (start);
        read += count;
      }),
    );
    return { byMonth, read, complete, readUntil };
  }

  /** Open setups by age (the four hours of R4), and those that expired in the day before. */
  async function setupAges(now: Date) {
    const hour = 3600 * 1000;
    const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
    const range = async (from: string, to: string) => {
      const rows: Row[] = [];
      let start: Row | undefined;
      do {
        const page = await query({
          IndexName: INDEXES.byStatus.name,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': INDEXES.byStatus.pk, '#sk': INDEXES.byStatus.sk },
          ExpressionAttributeValues: {
            ':pk': keys.setupsByState('open', '', '').gsi1pk,
            ':from': from,
            ':to': to,
          },
          ProjectionExpression: '#sk',
          Limit: SETUP_READ_CAP - rows.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        });
        rows.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start && rows.length < SETUP_READ_CAP);
      return {
        created: rows.map((r) => Date.parse(String(r[INDEXES.byStatus.sk]).slice(0, 24))),
        complete: !start,
      };
    };
    const [open, expired] = await Promise.all([
      range(at(SETUP_WINDOW_MS), `${now.toISOString()}~`),
      range(at(SETUP_WINDOW_MS + 24 * hour), at(SETUP_WINDOW_MS)),
    ]);
    const age = (created: number) => now.getTime() - created;
    const bucket = (lo: number, hi: number) =>
      open.created.filter((c) => age(c) >= lo * hour && age(c) < hi * hour).length;
    return {
      buckets: [
        { label: 'under 1 h', count: bucket(Number.NEGATIVE_INFINITY, 1) },
        { label: '1–2 h', count: bucket(1, 2) },
        { label: '2–3 h', count: bucket(2, 3) },
        { label: '3–4 h', count: bucket(3, 4) },
        { label: 'expired, last day', count: expired.created.length },
      ],
      complete: open.complete && expired.complete,
    };
  }

  /** Every item of the keys (any number), strongly consistent, unprocessed keys retried. */
  async function batchGetAll(
    wanted: readonly TableKey[],
    projection?: { readonly expression: string; readonly names: Record<string, string> },
  ): Promise<Row[]> {
    const rows: Row[] = [];
    for (let i = 0; i < wanted.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = wanted.slice(i, i + 100).map((k) => ({ ...k }));
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
        const out: BatchGetCommandOutput = await client.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: {
                Keys: pending,
                ConsistentRead: true,
                ...(projection
                  ? {
                      ProjectionExpression: projection.expression,
                      ExpressionAttributeNames: projection.names,
                    }
                  : {}),
              },
            },
          }),
        );
        rows.push(...(out.Responses?.[tableName] ?? []));
        pending = out.UnprocessedKeys?.[tableName]?.Keys;
      }
    }
    return rows;
  }

  /**
   * The live contracts (per status, and their credits) whose term ends in the hour of `at`
   * but before it: the part of an hour bucket the counters cannot split. One Query of the
   * expiry index per product, over at most one hour of expiries.
   */
  async function endingInHourBefore(
    at: string,
    productCodes: readonly string[],
  ): Promise<Record<BucketMeasure, number>> {
    const sums = Object.fromEntries(BUCKET_MEASURES.map((m) => [m, 0])) as Record<BucketMeasure, number>;
    const hourStart = `${bucketsOf(at)[2]}:00:00.000Z`;
    if (hourStart >= at) return sums;
    const rows = (
      await Promise.all(
        productCodes.map((p) =>
          queryAll({
            IndexName: INDEXES.byExpiry.name,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            FilterExpression: '#term = :current',
            ExpressionAttributeNames: {
              '#pk': INDEXES.byExpiry.pk,
              '#sk': INDEXES.byExpiry.sk,
              '#term': 'term',
              '#setup': 'setupState',
              '#credits': 'activeCredits',
            },
            // A sort key is `<expiresAt>#<contractId>`: up to `at` itself means ending before it.
            ExpressionAttributeValues: {
              ':pk': keys.expiryPartition(p),
              ':from': hourStart,
              ':to': at,
              ':current': 'current',
            },
            ProjectionExpression: '#setup, #credits',
          }),
        ),
      )
    ).flat();
    for (const row of rows) {
      const status = row.setupState === 'active' ? 'active' : 'pending-setup';
      sums[status] += 1;
      sums.credits += Number(row.activeCredits ?? 0);
    }
    return sums;
  }
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
    ['facts', 'terms'],
    ['facts', 'termsUnavailable'],
    ['previousContractId'],
    ['nextContractId'],
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

/**
 * A cursor is the position where the next page starts plus a fingerprint of the query it came
 * from (which index, partitions and filters): a cursor used with another query is refused, and
 * every position in it is checked against the request's key condition before it becomes an
 * ExclusiveStartKey, so no cursor, forged or stale, reaches DynamoDB as a key it would reject.
 * Not a secret: whoever may read the list may start it anywhere.
 */
function encodeCursor(fingerprint: string, position: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ q: fingerprint, ...position })).toString('base64url');
}

function decodeCursor(cursor: string, fingerprint: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('The cursor is not valid: use the nextCursor of a previous page');
  }
  if (!isRecord(value) || typeof value.q !== 'string')
    throw new InvalidCursorError('The cursor is not valid: use the nextCursor of a previous page');
  if (value.q !== fingerprint)
    throw new InvalidCursorError('The cursor belongs to another query: keep the filters of the first page');
  return value;
}

function queryFingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `<expiresAt>#<contractId>`, as keys.byStatus and keys.byExpiry build a list index's sort key. */
const LIST_POSITION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#([\x21-\x7e]{1,512})$/;
/** `<createdAt>#<sessionKey>`, as keys.setupsByState builds it. */
const SETUP_POSITION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#([A-Za-z0-9_-]{1,128})$/;

/** A list position is a contract of the partition's product, inside the query's expiry range. */
function isListPosition(sk: unknown, productCode: string, expiringBefore: string | undefined): sk is string {
  if (typeof sk !== 'string') return false;
  const contractId = LIST_POSITION.exec(sk)?.[1];
  return (
    contractId?.startsWith(`${productCode}~`) === true &&
    (expiringBefore === undefined || sk < expiringBefore)
  );
}

/** Adds two decimal strings exactly (money is never a float here); the result keeps the longer scale. */
export function addDecimal(a: string, b: string): string {
  const parse = (s: string) => {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s.trim());
    if (!m) return { units: 0n, scale: 0 };
    const fraction = m[3] ?? '';
    return { units: BigInt(`${m[1]}${m[2]}${fraction}`), scale: fraction.length };
  };
  const x = parse(a);
  const y = parse(b);
  const scale = Math.max(x.scale, y.scale);
  const sum = x.units * 10n ** BigInt(scale - x.scale) + y.units * 10n ** BigInt(scale - y.scale);
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${digits.slice(digits.length - scale)}` : ''}`;
}

function creditsOf(usage: CreditUsage): BusinessCredits {
  return {
    total: usage.total,
    allocated: usage.allocated,
    balance: usage.balance,
    overAllocatedBy: usage.overAllocatedBy,
    ...(usage.overAllocatedSince ? { overAllocatedSince: usage.overAllocatedSince } : {}),
  };
}

function overAllocatedRow(ledger: Ledger, business: Business | undefined, now: Date): OverAllocatedRow {
  const name = business?.name || ledger.businessName;
  const primaryEmail = business?.primaryEmail || ledger.primaryEmail;
  return {
    businessId: ledger.businessId,
    ...(name ? { name } : {}),
    ...(primaryEmail ? { primaryEmail } : {}),
    ...creditsOf(creditUsage(ledger, now)),
  };
}

/** An order as the sales view shows it: the APIs' view, with its totals. */
function orderRowOf(order: Order): OrderRow {
  return {
    ...orderViewOf(order),
    updatedAt: order.updatedAt,
    credits: order.lines.reduce((sum, line) => sum + line.credits, 0),
    registeredLines: order.lines.filter((line) => line.registeredBy).length,
  };
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
    ...optional('freeTrial', freeTrialOf(c.facts)),
    ...optional('autoRenew', autoRenewOf(c.facts)),
    ...optional('contractValue', c.facts?.terms?.value.contractValue),
    ...optional('endBehavior', c.facts?.terms?.value.endBehavior),
    ...optional('termsUnavailable', c.facts?.termsUnavailable?.value.reason),
    ...optional('previousContractId', c.previousContractId),
    ...optional('nextContractId', c.nextContractId),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** A free trial: the agreement's terms decide when we have them (a free-trial term or none), else the notification's fact. */
export function freeTrialOf(facts: Contract['facts'] | undefined): boolean | undefined {
  return facts ? contractFreeTrial({ facts }) : undefined;
}

/** Auto-renewal: the agreement's renewal term when read after the notification's fact (or without one), else the fact. */
export function autoRenewOf(facts: Contract['facts'] | undefined): boolean | undefined {
  return facts ? contractAutoRenew({ facts }) : undefined;
}

/** The filters a Query cannot apply (free trial, auto-renew, a piece of a name); undefined when none is asked. */
function rowFilter(q: ContractListQuery): ((c: ContractRow) => boolean) | undefined {
  const name = q.search?.kind === 'name' ? q.search.text.toLowerCase() : undefined;
  const account = q.search?.kind === 'account' ? q.search.accountId : undefined;
  if (q.freeTrial === undefined && q.autoRenew === undefined && name === undefined && account === undefined)
    return undefined;
  return (c) =>
    (q.freeTrial === undefined || (c.freeTrial ?? false) === q.freeTrial) &&
    (q.autoRenew === undefined || (c.autoRenew ?? false) === q.autoRenew) &&
    (name === undefined || (c.businessName ?? '').toLowerCase().includes(name)) &&
    (account === undefined || c.customerAWSAccountId === account);
}

/**
 * Every key of the single table is built here and nowhere else (STYLE.md).
 *
 * | item            | pk                  | sk              |
 * | --------------- | ------------------- | --------------- |
 * | contract        | CONTRACT#<id>       | CONTRACT        |
 * | license item    | CONTRACT#<id>       | ITEM#<0001>     |
 * | audit entry     | CONTRACT#<id>       | AUDIT#<000001>  |
 * | setup session   | SETUP#<hash>        | SETUP           |
 * | user account    | USER#<email>        | USER            |
 * | business        | BUSINESS#<id>       | BUSINESS        |
 * | summary totals  | SUMMARY#<shard>     | SUMMARY         |
 * | expiry buckets  | SUMMARY#<shard>     | EXPIRY#<bucket> |
 * | registration    | TOKEN#<hash>        | TOKEN           |
 * | budget          | BUDGET#<key>        | <window start>  |
 * | credit ledger   | BUSINESS#<id>       | LEDGER          |
 * | ledger lapse    | BUSINESS#<id>       | LEDGER-LAPSE    |
 * | direct license  | LICENSE#<reference> | LICENSE         |
 * | account session | ACCOUNT#<hash>      | ACCOUNT         |
 * | expiry notice   | CONTRACT#<id> / LICENSE#<ref> | NOTICE#<expiresAt>#<060> |
 * | sales notice    | SALES#<eventId>     | SALES-NOTICE#<recipient hash> |
 * | sales digest    | SALES#digest#<date> | SALES-DIGEST#<recipient hash> |
 * | sweep state     | SWEEP#reconciliation | SWEEP          |
 * | order           | ORDER#<orderId>     | ORDER           |
 * | code            | CODE#<code>         | CODE            |
 * | history entry   | ORDER#<id> / BUSINESS#<id> / LICENSE#<ref> | HISTORY#<at>#<id> |
 *
 * Contract, items and audit share a partition, so one Query reads a contract with its items
 * (sk from CONTRACT to ITEM#~ leaves the AUDIT# rows out) and one transaction writes them.
 */
import type { ContractStatus } from '../../domain/contract/model.js';

export const CONTRACT_SK = 'CONTRACT';
const ITEM_PREFIX = 'ITEM#';
const AUDIT_PREFIX = 'AUDIT#';
const NOTICE_PREFIX = 'NOTICE#';
const DIRECT_BY_EXPIRY = 'DIRECT-LICENSES';
const HISTORY_PREFIX = 'HISTORY#';
const ORDERS_PARTITION = 'ORDERS';

export interface TableKey {
  readonly pk: string;
  readonly sk: string;
}

/** Global secondary indexes and the access pattern each one serves. */
export const INDEXES = {
  /** Contracts by status, soonest expiry first (sales lists, expiry notices, R10); setups by state. */
  byStatus: { name: 'byStatus', pk: 'gsi1pk', sk: 'gsi1sk' },
  /** Contracts of one buyer AWS account for one product: EventBridge agreement events. */
  byAccount: { name: 'byAccount', pk: 'gsi2pk', sk: 'gsi2sk' },
  /** Contracts a business activated (R2: a business may hold several). */
  byBusiness: { name: 'byBusiness', pk: 'gsi3pk', sk: 'gsi3sk' },
  /** Contracts of one legacy customer identifier for one product: SNS notifications. */
  byCustomer: { name: 'byCustomer', pk: 'gsi4pk', sk: 'gsi4sk' },
  /**
   * All contracts of a product, soonest expiry first, whatever their status: the sales list
   * without a status filter reads one partition per product instead of one per status.
   */
  byExpiry: { name: 'byExpiry', pk: 'gsi5pk', sk: 'gsi5sk' },
} as const;

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const contractPk = (contractId: string) => `CONTRACT#${contractId}`;

function expiryPartition(productCode: string): string {
  return `EXPIRY#${productCode}`;
}

function statusPartition(productCode: string, status: ContractStatus): string {
  return `STATUS#${productCode}#${status}`;
}

export const keys = {
  contract: (contractId: string): TableKey => ({ pk: contractPk(contractId), sk: CONTRACT_SK }),
  item: (contractId: string, itemNo: number): TableKey => ({
    pk: contractPk(contractId),
    sk: `${ITEM_PREFIX}${pad(itemNo, 4)}`,
  }),
  audit: (contractId: string, version: number): TableKey => ({
    pk: contractPk(contractId),
    sk: `${AUDIT_PREFIX}${pad(version, 6)}`,
  }),
  /** The sk range that holds a contract and its items but not its audit trail. */
  contractAndItemsRange: (contractId: string) => ({
    pk: contractPk(contractId),
    from: CONTRACT_SK,
    to: `${ITEM_PREFIX}~`,
  }),
  auditPrefix: AUDIT_PREFIX,
  /**
   * An expiry notice claimed for one license, term and threshold (R10): a contract's in its
   * partition (after its items, so the contract Query leaves it out), a direct license's in its own.
   */
  expiryNotice: (licensePk: string, expiresAt: string, threshold: number): TableKey => ({
    pk: licensePk,
    sk: `${NOTICE_PREFIX}${expiresAt}#${pad(threshold, 3)}`,
  }),
  noticePrefix: NOTICE_PREFIX,
  /** A mail to sales sent for one event (idempotent per event id). */
  salesNotice: (eventId: string, recipient: string): TableKey => ({
    pk: `SALES#${eventId}`,
    sk: `SALES-NOTICE#${recipient}`,
  }),
  /** The daily digest to sales, once per day. */
  salesDigest: (date: string, recipient: string): TableKey => ({
    pk: `SALES#digest#${date}`,
    sk: `SALES-DIGEST#${recipient}`,
  }),
  /** Direct licenses by expiry: the expiry sweep reads them with a range, as it reads contracts. */
  directByExpiry: (expiresAt: string, reference: string) => ({
    gsi1pk: DIRECT_BY_EXPIRY,
    gsi1sk: `${expiresAt}#${reference}`,
  }),
  directByExpiryPartition: DIRECT_BY_EXPIRY,
  setup: (sessionKey: string): TableKey => ({ pk: `SETUP#${sessionKey}`, sk: 'SETUP' }),
  /** The reconciliation sweep's lease, watermark and progress (one item). */
  sweep: (): TableKey => ({ pk: 'SWEEP#reconciliation', sk: 'SWEEP' }),
  /** A returning buyer's sign-in or signed-in session, by a hash of its cookie value. */
  accountSession: (sessionKey: string): TableKey => ({ pk: `ACCOUNT#${sessionKey}`, sk: 'ACCOUNT' }),
  user: (email: string): TableKey => ({ pk: `USER#${email}`, sk: 'USER' }),
  business: (businessId: string): TableKey => ({ pk: `BUSINESS#${businessId}`, sk: 'BUSINESS' }),
  /** A registration token's first setup (its deadline, R4), by a hash of the token. */
  registration: (tokenHash: string): TableKey => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' }),
  /** One budget's counter in one window (limits.ts): mails per mailbox, POSTs per source … */
  budget: (key: string, windowStartMs: number): TableKey => ({
    pk: `BUDGET#${key}`,
    sk: new Date(windowStartMs).toISOString(),
  }),
  /** Setups by state, newest last: sales follows up on buyers stuck in setup. */
  setupsByState: (state: 'open' | 'completed', createdAt: string, sessionKey: string) => ({
    gsi1pk: `SETUPS#${state}`,
    gsi1sk: `${createdAt}#${sessionKey}`,
  }),
  /** One partition per product and status, so every sales filter on them is a key condition. */
  byStatus: (productCode: string, status: ContractStatus, expiresAt: string, contractId: string) => ({
    gsi1pk: statusPartition(productCode, status),
    gsi1sk: `${expiresAt}#${contractId}`,
  }),
  byExpiry: (productCode: string, expiresAt: string, contractId: string) => ({
    gsi5pk: expiryPartition(productCode),
    gsi5sk: `${expiresAt}#${contractId}`,
  }),
  expiryPartition: (productCode: string): string => expiryPartition(productCode),
  statusPartition,
  /**
   * Running totals (contracts per status, active credits), sharded so that concurrent contract
   * changes rarely touch the same item; the sales summary adds the shards up.
   */
  summaryShard: (shard: number): TableKey => ({ pk: `SUMMARY#${shard}`, sk: 'SUMMARY' }),
  /**
   * A shard's counts of live contracts by the day (in a month item, `2026-05`) or the hour (in
   * a day item, `2026-05-03`) their term ends; summary-counters.ts has the layout.
   */
  summaryExpiry: (shard: number, bucket: string): TableKey => ({
    pk: `SUMMARY#${shard}`,
    sk: `EXPIRY#${bucket}`,
  }),
  byAccount: (customerAWSAccountId: string, productCode: string, contractId?: string) => ({
    gsi2pk: `ACCOUNT#${customerAWSAccountId}`,
    gsi2sk: `${productCode}#${contractId ?? ''}`,
  }),
  byBusiness: (businessId: string, contractId: string) => ({
    gsi3pk: `BUSINESS#${businessId}`,
    gsi3sk: contractId,
  }),
  /** An activated contract's items sort right after it in its business's partition (one Query lists every license). */
  itemByBusiness: (businessId: string, contractId: string, itemNo: number) => ({
    gsi3pk: `BUSINESS#${businessId}`,
    gsi3sk: `${contractId}#${ITEM_PREFIX}${pad(itemNo, 4)}`,
  }),
  directByBusiness: (businessId: string, reference: string) => ({
    gsi3pk: `BUSINESS#${businessId}`,
    gsi3sk: `~D~${reference}`,
  }),
  /** A business's credits: sources, allocations, total and balance in one item (R2, R9). */
  ledger: (businessId: string): TableKey => ({ pk: `BUSINESS#${businessId}`, sk: 'LEDGER' }),
  /** The ledger's companion in `byExpiry`: when its earliest source lapses. */
  ledgerLapse: (businessId: string): TableKey => ({ pk: `BUSINESS#${businessId}`, sk: 'LEDGER-LAPSE' }),
  /** A license from another channel, by its external reference (unique across businesses). */
  directLicense: (reference: string): TableKey => ({ pk: `LICENSE#${reference}`, sk: 'LICENSE' }),
  /** Over-allocated businesses, longest first: sales follows them up. */
  overAllocated: (since: string, businessId: string) => ({
    gsi1pk: 'OVERALLOCATED',
    gsi1sk: `${since}#${businessId}`,
  }),
  overAllocatedPartition: 'OVERALLOCATED',
  /**
   * Ledgers by the instant their earliest source lapses (the ones whose stored total is stale),
   * in ten partitions (by a hash of the business): every ledger write is copied to this index.
   */
  ledgerByExpiry: (shard: number, earliestExpiry: string, businessId: string) => ({
    gsi5pk: `LEDGERS#${shard}`,
    gsi5sk: `${earliestExpiry}#${businessId}`,
  }),
  ledgerExpiryPartition: (shard: number) => `LEDGERS#${shard}`,
  /** An order from another channel (R12), with its lines. */
  order: (orderId: string): TableKey => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' }),
  /** Orders newest first for sales: one partition, sorted by import time. */
  ordersByImport: (importedAt: string, orderId: string) => ({
    gsi1pk: ORDERS_PARTITION,
    gsi1sk: `${importedAt}#${orderId}`,
  }),
  ordersPartition: ORDERS_PARTITION,
  /** A Registration Key or Activation Code (R11), canonical form: unique by its own item. */
  code: (code: string): TableKey => ({ pk: `CODE#${code}`, sk: 'CODE' }),
  /**
   * A history entry beside what it is about (an order, a business, a direct license): the
   * audit trail of changes that are not a contract version. Its insert is the outbox of its event.
   */
  history: (pk: string, at: string, id: string): TableKey => ({ pk, sk: `${HISTORY_PREFIX}${at}#${id}` }),
  historyPrefix: HISTORY_PREFIX,
  byCustomer: (productCode: string, customerIdentifier: string, contractId?: string) => ({
    gsi4pk: `CUSTOMER#${productCode}#${customerIdentifier}`,
    gsi4sk: contractId ?? '',
  }),
};

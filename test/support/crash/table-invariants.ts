import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONTRACT_SK, INDEXES, keys } from '../../../lib/adapters/dynamodb/keys.js';
import type { Row } from '../../../lib/adapters/dynamodb/rows.js';
import { createSalesReader } from '../../../lib/adapters/dynamodb/sales-reader.js';
import { LIVE_STATUSES, summaryDeltas } from '../../../lib/adapters/dynamodb/summary-counters.js';
import { type Contract, contractStatus, type LicenseItem } from '../../../lib/domain/contract/model.js';
import type { AuditEntry } from '../../../lib/domain/contract/ports.js';
import type { Ledger } from '../../../lib/domain/credits/model.js';
import { contractSource } from '../../../lib/domain/credits/sources.js';

const DAY = 24 * 3600 * 1000;

/**
 * JSON with every object's keys sorted: two rows that hold the same values give the same text.
 * An item's Activation Code is drawn at random (R11), so two runs differ there by design: it
 * compares as whether it is there.
 */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) =>
    key === 'activationCode' && typeof v === 'string'
      ? 'drawn'
      : v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
          )
        : v,
  );
}

const keyOf = (row: Row) => `${String(row.pk)}|${String(row.sk)}`;

/** The rows of the contracts, their items and audit trails, the summary counters and the credit ledgers (no setups, budgets…). */
export function contractRows(rows: readonly Row[]): Row[] {
  return rows.filter(
    (row) =>
      String(row.pk).startsWith('CONTRACT#') ||
      String(row.pk).startsWith('SUMMARY#') ||
      (String(row.pk).startsWith('BUSINESS#') && (row.sk === 'LEDGER' || row.sk === 'LEDGER-LAPSE')),
  );
}

/** The summary counters as stored: per counter item, its non-zero numbers (an ADD to 0 leaves a 0). */
function storedCounters(rows: readonly Row[]): Map<string, number> {
  const counters = new Map<string, number>();
  for (const row of rows) {
    if (!String(row.pk).startsWith('SUMMARY#')) continue;
    for (const [name, value] of Object.entries(row)) {
      if (typeof value === 'number' && value !== 0) counters.set(`${keyOf(row)}|${name}`, value);
    }
  }
  return counters;
}

/** The summary counters recounted from the contracts as they are: what every transaction should have added up to. */
function recountedCounters(contracts: readonly Contract[]): Map<string, number> {
  const counters = new Map<string, number>();
  for (const c of contracts) {
    const state = { status: contractStatus(c), activeCredits: c.activeCredits, expiresAt: c.expiresAt };
    for (const { key, add } of summaryDeltas(c.contractId, undefined, state).values()) {
      for (const [name, n] of add) {
        const id = `${key.pk}|${key.sk}|${name}`;
        const sum = (counters.get(id) ?? 0) + n;
        if (sum === 0) counters.delete(id);
        else counters.set(id, sum);
      }
    }
  }
  return counters;
}

/**
 * What must hold in the table at any moment, a crash's leftovers included; each violation as
 * one line (empty: consistent).
 * - nothing half-written: no item or audit row without its contract; items numbered 1…itemCount;
 * - the audit trail is contiguous: one entry per version 1…version, each entry's `before` the
 *   previous one's `after`, the last one's `after` the contract as it is;
 * - credits: the active items add up to `activeCredits` and carry the contract's expiry (R6,
 *   R13); an ended term has no active item; the index keys match the status and the business;
 * - the summary counters (every shard, every expiry bucket) equal a recount from the contracts.
 */
export function tableViolations(rows: readonly Row[]): string[] {
  const violations: string[] = [];
  const partitions = new Map<string, Row[]>();
  for (const row of rows) {
    const pk = String(row.pk);
    if (!pk.startsWith('CONTRACT#')) continue;
    partitions.set(pk, [...(partitions.get(pk) ?? []), row]);
  }
  const contracts: Contract[] = [];
  for (const [pk, partition] of partitions) {
    const contractRow = partition.find((row) => row.sk === CONTRACT_SK);
    if (!contractRow) {
      violations.push(`${pk}: ${partition.length} row(s) without their contract`);
      continue;
    }
    const c = contractRow as unknown as Contract;
    contracts.push(c);
    const id = c.contractId;
    const items = partition.filter((r) => String(r.sk).startsWith('ITEM#')) as unknown as LicenseItem[];
    const audit = partition.filter((r) =>
      String(r.sk).startsWith(keys.auditPrefix),
    ) as unknown as AuditEntry[];

    const itemNos = items.map((i) => i.itemNo);
    const expectedNos = Array.from({ length: c.itemCount }, (_, n) => n + 1);
    if (JSON.stringify(itemNos) !== JSON.stringify(expectedNos))
      violations.push(`${id}: items ${itemNos.join(',')} but itemCount ${c.itemCount}`);
    const active = items.filter((i) => i.state === 'active');
    const credits = active.reduce((sum, i) => sum + i.credits, 0);
    if (credits !== c.activeCredits)
      violations.push(`${id}: active items hold ${credits} credits, the contract says ${c.activeCredits}`);
    if (c.term === 'current' && active.some((i) => i.expiresAt !== c.expiresAt))
      violations.push(`${id}: an active item does not end with the contract (${c.expiresAt})`);
    if (c.term !== 'current' && active.length > 0)
      violations.push(`${id}: term ${c.term} but ${active.length} active item(s)`);

    const versions = audit.map((a) => a.version);
    const expectedVersions = Array.from({ length: c.version }, (_, n) => n + 1);
    if (JSON.stringify(versions) !== JSON.stringify(expectedVersions))
      violations.push(`${id}: audit versions ${versions.join(',')} for contract version ${c.version}`);
    audit.forEach((entry, i) => {
      const previous = audit[i - 1];
      if (previous && canonical(entry.before) !== canonical(previous.after))
        violations.push(
          `${id}: audit ${entry.version} starts from ${JSON.stringify(entry.before)}, not from ${JSON.stringify(previous.after)}`,
        );
    });
    const last = audit.at(-1);
    const now = { status: contractStatus(c), activeCredits: c.activeCredits, expiresAt: c.expiresAt };
    if (last && canonical(last.after) !== canonical(now))
      violations.push(
        `${id}: last audit entry says ${JSON.stringify(last.after)}, the contract is ${JSON.stringify(now)}`,
      );

    const status = contractStatus(c);
    if (contractRow[INDEXES.byStatus.pk] !== keys.statusPartition(c.productCode, status))
      violations.push(
        `${id}: status ${status} but indexed under ${String(contractRow[INDEXES.byStatus.pk])}`,
      );
    if (contractRow[INDEXES.byStatus.sk] !== `${c.expiresAt}#${id}`)
      violations.push(`${id}: status index sort key ${String(contractRow[INDEXES.byStatus.sk])}`);
    if (contractRow[INDEXES.byExpiry.sk] !== `${c.expiresAt}#${id}`)
      violations.push(`${id}: expiry index sort key ${String(contractRow[INDEXES.byExpiry.sk])}`);
    if ((contractRow[INDEXES.byBusiness.pk] !== undefined) !== (c.activatedBy !== undefined))
      violations.push(`${id}: business index and activatedBy disagree`);
    if ((c.activatedBy !== undefined) !== (c.setupState === 'active'))
      violations.push(`${id}: setupState ${c.setupState} with activatedBy ${c.activatedBy ?? 'unset'}`);
    if (c.activatedBy) {
      const unindexed = (items as unknown as Row[]).filter(
        (item) => item[INDEXES.byBusiness.pk] !== keys.byBusiness(c.activatedBy ?? '', id).gsi3pk,
      );
      if (unindexed.length > 0)
        violations.push(`${id}: ${unindexed.length} item(s) not in the business's index partition`);
    }
  }
  violations.push(...ledgerViolations(rows, contracts));

  const stored = storedCounters(rows);
  const recounted = recountedCounters(contracts);
  for (const id of new Set([...stored.keys(), ...recounted.keys()])) {
    const [s, r] = [stored.get(id) ?? 0, recounted.get(id) ?? 0];
    if (s !== r) violations.push(`summary counter ${id} is ${s}, a recount gives ${r}`);
  }
  return violations;
}

/**
 * Every business's ledger against its own sums and against the contracts it holds (R2, R9):
 * balance = total − allocated, total the sum of the sources, allocated the sum of the
 * allocations, marked over-allocated exactly when the balance is negative, and each activated
 * contract's source what the contract holds (unless it lapsed before the ledger's last write).
 */
function ledgerViolations(rows: readonly Row[], contracts: readonly Contract[]): string[] {
  const violations: string[] = [];
  const ledgers = new Map(
    rows
      .filter((row) => String(row.pk).startsWith('BUSINESS#') && row.sk === 'LEDGER')
      .map((row) => [String(row.businessId), row as unknown as Ledger]),
  );
  for (const [id, l] of ledgers) {
    const total = Object.values(l.sources).reduce((sum, s) => sum + s.credits, 0);
    const allocated = Object.values(l.allocations).reduce((sum, a) => sum + a.credits, 0);
    if (l.total !== total) violations.push(`ledger ${id}: total ${l.total}, its sources add up to ${total}`);
    if (l.allocated !== allocated)
      violations.push(`ledger ${id}: allocated ${l.allocated}, its allocations add up to ${allocated}`);
    if (l.balance !== l.total - l.allocated)
      violations.push(`ledger ${id}: balance ${l.balance} is not ${l.total} − ${l.allocated}`);
    const lapse = rows.find((row) => row.pk === `BUSINESS#${id}` && row.sk === 'LEDGER-LAPSE');
    if (lapse?.earliestExpiry !== l.earliestExpiry)
      violations.push(
        `ledger ${id}: earliest expiry ${l.earliestExpiry ?? 'unset'}, its lapse companion says ${String(lapse?.earliestExpiry ?? 'unset')}`,
      );
    if ((l.overAllocatedSince !== undefined) !== l.balance < 0)
      violations.push(
        `ledger ${id}: balance ${l.balance} but over-allocated mark ${l.overAllocatedSince ?? 'unset'}`,
      );
  }
  for (const c of contracts) {
    if (!c.activatedBy) continue;
    const ledger = ledgers.get(c.activatedBy);
    const expected = contractSource(c);
    const actual = ledger?.sources[c.contractId];
    const lapsed = ledger !== undefined && Date.parse(c.expiresAt) <= Date.parse(ledger.updatedAt);
    if (expected && lapsed && !actual) continue;
    if (canonical(actual) !== canonical(expected))
      violations.push(
        `${c.contractId}: its business's ledger counts ${JSON.stringify(actual)}, the contract holds ${JSON.stringify(expected)}`,
      );
  }
  return violations;
}

/**
 * The sales reader's summary against the same numbers counted from the contracts: per status (a
 * live contract past its expiry counts as expired), active credits, and live contracts expiring
 * within 30, 60 and 90 days.
 */
export async function summaryViolations(
  client: DynamoDBDocumentClient,
  tableName: string,
  rows: readonly Row[],
  productCodes: readonly string[],
  now: Date,
): Promise<string[]> {
  const summary = await createSalesReader({ client, tableName }).summary({ productCodes, now });
  const contracts = rows.filter((r) => r.sk === CONTRACT_SK) as unknown as Contract[];
  const isLive = (c: Contract) =>
    (LIVE_STATUSES as readonly string[]).includes(contractStatus(c)) &&
    Date.parse(c.expiresAt) > now.getTime();
  const statusOf = (c: Contract) =>
    (LIVE_STATUSES as readonly string[]).includes(contractStatus(c)) && !isLive(c)
      ? 'expired'
      : contractStatus(c);
  const count = (status: string) => contracts.filter((c) => statusOf(c) === status).length;
  const expiring = (days: number) =>
    contracts.filter((c) => isLive(c) && Date.parse(c.expiresAt) <= now.getTime() + days * DAY).length;
  const expected = {
    byStatus: {
      'pending-setup': count('pending-setup'),
      active: count('active'),
      expired: count('expired'),
      cancelled: count('cancelled'),
      renewed: count('renewed'),
      replaced: count('replaced'),
    },
    activeCredits: contracts.filter(isLive).reduce((sum, c) => sum + c.activeCredits, 0),
    expiring: { days30: expiring(30), days60: expiring(60), days90: expiring(90) },
  };
  const actual = {
    byStatus: summary.byStatus,
    activeCredits: summary.activeCredits,
    expiring: summary.expiring,
  };
  return canonical(actual) === canonical(expected)
    ? []
    : [`sales summary ${JSON.stringify(actual)}, a recount gives ${JSON.stringify(expected)}`];
}

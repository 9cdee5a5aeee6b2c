import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { drawCode } from '../../domain/codes/codes.js';
import type { Contract, LicenseItem } from '../../domain/contract/model.js';
import {
  InsufficientCreditsError,
  LedgerContentionError,
  LicenseReferenceConflictError,
  OverAllocatedError,
} from '../../domain/credits/errors.js';
import {
  emptyLedger,
  ledgerAt,
  planAllocation,
  refreshed,
  withSources,
} from '../../domain/credits/ledger.js';
import type { DirectLicense } from '../../domain/credits/licenses.js';
import { directSourceId, type Ledger } from '../../domain/credits/model.js';
import type { BusinessDirectory, LedgerReader, LedgerStore } from '../../domain/credits/ports.js';
import { type Business, normalizeEmail } from '../../domain/setup/model.js';
import { cryptoRandomBytes } from '../crypto/code-random.js';
import { CONTRACT_SK, INDEXES, keys } from './keys.js';
import { domainFields, queryAllPages, type Row } from './rows.js';
import { SUMMARY_SHARDS, summaryShardOf } from './summary-counters.js';

export interface LedgerStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /**
   * Writes tried per call before LedgerContentionError; default 50. On the common path only a
   * race on the same service retries; on the whole-ledger path (over-allocated, or a source
   * lapsed) every concurrent write of the ledger does.
   */
  readonly maxAttempts?: number;
  /** Draws a direct license's Activation Code (R11); a CSPRNG-drawn `PC-…` code unless a test fixes it. */
  readonly drawActivationCode?: () => string;
}

/** The ledger's row: its fields, and the index key that lists it while over-allocated. */
function ledgerRow(ledger: Ledger): Row {
  return {
    ...keys.ledger(ledger.businessId),
    entity: 'ledger',
    ...ledger,
    ...(ledger.overAllocatedSince ? keys.overAllocated(ledger.overAllocatedSince, ledger.businessId) : {}),
  };
}

/**
 * The ledger's small companion in `byExpiry` (partition `LEDGERS#<shard>`), by the instant its
 * earliest source lapses: how the ledgers whose stored total a lapse has made stale are found.
 * Kept apart so the index copies a few bytes, and only on the writes that replace the whole
 * ledger: an allocation (an UpdateItem of the ledger alone) never writes the index.
 */
function lapseRow(ledger: Ledger): Row {
  return {
    ...keys.ledgerLapse(ledger.businessId),
    entity: 'ledger-lapse',
    businessId: ledger.businessId,
    ...(ledger.earliestExpiry
      ? {
          earliestExpiry: ledger.earliestExpiry,
          ...keys.ledgerByExpiry(summaryShardOf(ledger.businessId), ledger.earliestExpiry, ledger.businessId),
        }
      : {}),
  };
}

/**
 * The transaction items that replace the whole ledger only if nobody wrote it since it was
 * read (`readRevision`; undefined: it did not exist), with its lapse companion. Contract
 * changes, activations and direct licenses write the ledger so, in their own transactions.
 */
export function ledgerPuts(tableName: string, next: Ledger, readRevision: number | undefined) {
  return [
    {
      Put: {
        TableName: tableName,
        Item: ledgerRow(next),
        ...(readRevision === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#rev = :rev',
              ExpressionAttributeNames: { '#rev': 'revision' },
              ExpressionAttributeValues: { ':rev': readRevision },
            }),
      },
    },
    { Put: { TableName: tableName, Item: lapseRow(next) } },
  ];
}

export async function readLedger(
  client: DynamoDBDocumentClient,
  tableName: string,
  businessId: string,
): Promise<Ledger | undefined> {
  const out = await client.send(
    new GetCommand({ TableName: tableName, Key: keys.ledger(businessId), ConsistentRead: true }),
  );
  return out.Item ? domainFields<Ledger>(out.Item) : undefined;
}

/** Ledgers with a lapsed source read per shard for the over-allocated list (the rest wait for their next read or write). */
const STALE_PER_SHARD = 200;

/** A short random pause before the n-th retry, so racing writers spread out. */
export const jitter = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 5 * attempt)));

/**
 * What reading a business's credits needs, and the one write a read may make (a lapse written
 * down): the buyer's pages build this alone, so the setup bundle carries no allocation code.
 */
export function createLedgerReader({
  client,
  tableName,
  maxAttempts = 50,
}: LedgerStoreOptions): LedgerReader {
  const read = (businessId: string) => readLedger(client, tableName, businessId);
  return {
    get: read,

    async refresh(businessId, now) {
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const ledger = await read(businessId);
        const write = ledger ? refreshed(ledger, now) : undefined;
        if (!ledger || !write) return ledger ? { ledger } : {};
        if (await putExact(client, tableName, write.next, ledger.revision)) {
          return { ledger: write.next, ...(write.transition ? { transition: write.transition } : {}) };
        }
        await jitter(attempt);
      }
      throw new LedgerContentionError(businessId, maxAttempts);
    },

    async holdings(businessId) {
      const rows = await queryAllPages(client, tableName, {
        IndexName: INDEXES.byBusiness.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': INDEXES.byBusiness.pk },
        ExpressionAttributeValues: { ':pk': keys.byBusiness(businessId, '').gsi3pk },
      });
      const items = new Map<string, LicenseItem[]>();
      const contracts: Contract[] = [];
      const direct: DirectLicense[] = [];
      for (const row of rows) {
        if (row.entity === 'license-item') {
          const item = domainFields<LicenseItem>(row);
          items.set(item.contractId, [...(items.get(item.contractId) ?? []), item]);
        } else if (row.entity === 'direct-license') direct.push(domainFields<DirectLicense>(row));
        else if (row.sk === CONTRACT_SK) contracts.push(domainFields<Contract>(row));
      }
      return {
        contracts: contracts.map((contract) => ({ contract, items: items.get(contract.contractId) ?? [] })),
        direct,
      };
    },
  };
}

/** A service's allocation, if the ledger holds one (never an inherited property such as `constructor`). */
function ownAllocation(ledger: Ledger, service: string) {
  return Object.hasOwn(ledger.allocations, service) ? ledger.allocations[service] : undefined;
}

/** Every reason of a cancelled transaction is a failed condition, a conflict or nothing. */
function lostRace(error: TransactionCanceledException): boolean {
  const reasons = error.CancellationReasons ?? [];
  return (
    reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict') &&
    reasons.every(
      (r) =>
        !r.Code ||
        r.Code === 'None' ||
        r.Code === 'ConditionalCheckFailed' ||
        r.Code === 'TransactionConflict',
    )
  );
}

/** Replaces the whole ledger on the revision read; false when another write came first. */
async function putExact(
  client: DynamoDBDocumentClient,
  tableName: string,
  next: Ledger,
  readRevision: number | undefined,
): Promise<boolean> {
  try {
    await client.send(new TransactWriteCommand({ TransactItems: ledgerPuts(tableName, next, readRevision) }));
    return true;
  } catch (error) {
    // Only a lost race is a retry; a validation or throttling reason is a real error.
    if (error instanceof TransactionCanceledException && lostRace(error)) return false;
    throw error;
  }
}

/**
 * The credit ledgers on the single table (keys.ts).
 *
 * An allocation is one conditional UpdateItem (after at most one read): while the balance is
 * not negative and no source has lapsed, the write itself checks `balance >= delta` and that
 * the service's allocation is still the one read, and ADDs the delta, so concurrent
 * allocations of other services never conflict and never overdraw together. Any other case
 * (over-allocated, a lapsed source) replaces the whole ledger on the revision read.
 */
export function createLedgerStore(options: LedgerStoreOptions): LedgerStore {
  const {
    client,
    tableName,
    maxAttempts = 50,
    drawActivationCode = () => drawCode('activation-code', cryptoRandomBytes),
  } = options;
  const reader = createLedgerReader(options);
  const read = (businessId: string) => readLedger(client, tableName, businessId);

  return {
    ...reader,

    async setAllocation(businessId, request, now) {
      let ledger = await read(businessId);
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const plan = planAllocation(ledger ?? emptyLedger(businessId, now), request, now);
        if (plan.kind === 'unchanged') {
          return {
            ledger: plan.ledger,
            changed: false,
            ...(plan.allocation ? { allocation: plan.allocation } : {}),
          };
        }
        if (plan.kind === 'refused') {
          if (plan.code === 'over-allocated') throw new OverAllocatedError(plan.overBy);
          throw new InsufficientCreditsError(plan.needed, plan.available);
        }
        const outcome = {
          changed: true,
          ...(plan.allocation ? { allocation: plan.allocation } : {}),
          ...(plan.transition ? { transition: plan.transition } : {}),
        };
        if (ledger && !plan.refreshed && ledger.balance >= 0) {
          // The common case: a delta on the balance, checked by the write against the balance as it is then.
          const previous = ownAllocation(ledger, request.service);
          const names: Record<string, string> = {
            '#a': 'allocations',
            '#s': request.service,
            '#bal': 'balance',
            '#alc': 'allocated',
            '#rev': 'revision',
            '#ee': 'earliestExpiry',
            '#upd': 'updatedAt',
          };
          const values: Record<string, unknown> = {
            ':d': plan.delta,
            ':neg': -plan.delta,
            ':one': 1,
            ':now': now.toISOString(),
            ...(plan.delta > 0 ? {} : { ':zero': 0 }),
          };
          const conditions = [
            plan.delta > 0 ? '#bal >= :d' : '#bal >= :zero',
            '(attribute_not_exists(#ee) OR #ee > :now)',
          ];
          if (previous) {
            conditions.push('#a.#s.#cr = :oldCredits AND #a.#s.#u = :oldUnits');
            values[':oldCredits'] = previous.credits;
            values[':oldUnits'] = previous.units;
            names['#u'] = 'units';
            names['#cr'] = 'credits';
          } else {
            conditions.push('attribute_not_exists(#a.#s)');
          }
          if (plan.allocation) values[':alloc'] = plan.allocation;
          try {
            const out = await client.send(
              new UpdateCommand({
                TableName: tableName,
                Key: keys.ledger(businessId),
                UpdateExpression: `${plan.allocation ? 'SET #a.#s = :alloc, ' : 'REMOVE #a.#s SET '}#upd = :now ADD #alc :d, #bal :neg, #rev :one`,
                ConditionExpression: conditions.join(' AND '),
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
                ReturnValues: 'ALL_NEW',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              }),
            );
            return { ...outcome, ledger: domainFields<Ledger>(out.Attributes ?? {}) };
          } catch (error) {
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
            // Decide again on the ledger as it was when the condition failed: no extra read.
            ledger = error.Item ? domainFields<Ledger>(unmarshall(error.Item)) : await read(businessId);
            continue;
          }
        }
        if (await putExact(client, tableName, plan.next, ledger?.revision))
          return { ...outcome, ledger: plan.next };
        await jitter(attempt);
        ledger = await read(businessId);
      }
      throw new LedgerContentionError(businessId, maxAttempts);
    },

    async addDirectLicense(input, who, now) {
      // R11: the license's one item gets its Activation Code, unique by its own CODE# item.
      let license: DirectLicense = { ...input, activationCode: input.activationCode ?? drawActivationCode() };
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const ledger = await read(license.businessId);
        const base = ledger ?? emptyLedger(license.businessId, now, who);
        const write = withSources(
          base,
          {
            [directSourceId(license.reference)]: {
              kind: 'direct',
              productCode: license.productCode,
              credits: license.credits,
              expiresAt: license.expiresAt,
            },
          },
          now,
        );
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: tableName,
                    Item: {
                      ...keys.directLicense(license.reference),
                      entity: 'direct-license',
                      ...license,
                      ...keys.directByBusiness(license.businessId, license.reference),
                      ...keys.directByExpiry(license.expiresAt, license.reference),
                    },
                    ConditionExpression: 'attribute_not_exists(pk)',
                    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                  },
                },
                ...(write ? ledgerPuts(tableName, write.next, ledger?.revision) : []),
                {
                  Put: {
                    TableName: tableName,
                    Item: {
                      ...keys.code(license.activationCode ?? ''),
                      entity: 'code',
                      code: license.activationCode,
                      target: {
                        kind: 'activation-code',
                        licenseId: directSourceId(license.reference),
                        itemNo: 1,
                      },
                      state: 'valid',
                      createdAt: license.createdAt,
                    },
                    ConditionExpression: 'attribute_not_exists(pk)',
                  },
                },
              ],
            }),
          );
          return { created: true, license, ledger: write?.next ?? base };
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const [licenseReason] = error.CancellationReasons ?? [];
          if (licenseReason?.Code === 'ConditionalCheckFailed' && licenseReason.Item) {
            const existing = domainFields<DirectLicense>(unmarshall(licenseReason.Item));
            if (!sameLicense(existing, license)) throw new LicenseReferenceConflictError(license.reference);
            return { created: false, license: existing, ledger: ledgerAt(base, now) };
          }
          const reasons = error.CancellationReasons ?? [];
          if (reasons[reasons.length - 1]?.Code === 'ConditionalCheckFailed') {
            // The drawn code exists already: draw again (a collision of 140 random bits is a test's doing).
            license = { ...license, activationCode: drawActivationCode() };
            continue;
          }
          if (!lostRace(error)) throw error;
          await jitter(attempt);
        }
      }
      throw new LedgerContentionError(license.businessId, maxAttempts);
    },

    async overAllocated(now, limit) {
      // Flagged ledgers, and those whose earliest source has lapsed since they were written
      // (their stored total is too high until the next write): both read by index, never a scan.
      const [flagged, ...stale] = await Promise.all([
        client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: INDEXES.byStatus.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': INDEXES.byStatus.pk },
            ExpressionAttributeValues: { ':pk': keys.overAllocatedPartition },
            Limit: limit,
          }),
        ),
        ...Array.from({ length: SUMMARY_SHARDS }, (_, shard) =>
          client.send(
            new QueryCommand({
              TableName: tableName,
              IndexName: INDEXES.byExpiry.name,
              KeyConditionExpression: '#pk = :pk AND #sk < :now',
              ExpressionAttributeNames: { '#pk': INDEXES.byExpiry.pk, '#sk': INDEXES.byExpiry.sk },
              ExpressionAttributeValues: {
                ':pk': keys.ledgerExpiryPartition(shard),
                ':now': now.toISOString(),
              },
              // Soonest lapse first; a ledger stays here only until its next read or write.
              Limit: STALE_PER_SHARD,
            }),
          ),
        ),
      ]);
      const staleIds = stale
        .flatMap((page) => page.Items ?? [])
        .map((row) => String(row.businessId))
        .filter((id) => !(flagged.Items ?? []).some((row) => row.businessId === id));
      const staleLedgers: Row[] = [];
      for (let i = 0; i < staleIds.length; i += 100) {
        let keysLeft: Row[] | undefined = staleIds.slice(i, i + 100).map((id) => ({ ...keys.ledger(id) }));
        while (keysLeft && keysLeft.length > 0) {
          const out: BatchGetCommandOutput = await client.send(
            new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keysLeft, ConsistentRead: true } } }),
          );
          staleLedgers.push(...(out.Responses?.[tableName] ?? []));
          keysLeft = out.UnprocessedKeys?.[tableName]?.Keys as Row[] | undefined;
        }
      }
      const byId = new Map<string, Ledger>();
      for (const row of [...(flagged.Items ?? []), ...staleLedgers]) {
        const ledger = ledgerAt(domainFields<Ledger>(row), now);
        if (ledger.balance < 0) byId.set(ledger.businessId, ledger);
      }
      return [...byId.values()]
        .sort(
          (a, b) =>
            (a.overAllocatedSince ?? a.earliestExpiry ?? '').localeCompare(
              b.overAllocatedSince ?? b.earliestExpiry ?? '',
            ) || a.businessId.localeCompare(b.businessId),
        )
        .slice(0, limit);
    },
  };
}

function sameLicense(a: DirectLicense, b: DirectLicense): boolean {
  return (
    a.businessId === b.businessId &&
    a.productCode === b.productCode &&
    a.credits === b.credits &&
    a.expiresAt === b.expiresAt &&
    (a.description ?? '') === (b.description ?? '')
  );
}

/** Businesses by id, and by their primary user's login id (R7). */
export function createBusinessDirectory({
  client,
  tableName,
}: Pick<LedgerStoreOptions, 'client' | 'tableName'>): BusinessDirectory {
  const get = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  const business = async (businessId: string) => {
    const row = await get(keys.business(businessId));
    return row ? domainFields<Business>(row) : undefined;
  };
  return {
    get: business,
    async findByEmail(email) {
      const user = await get(keys.user(normalizeEmail(email)));
      return typeof user?.businessId === 'string' ? business(user.businessId) : undefined;
    },
  };
}

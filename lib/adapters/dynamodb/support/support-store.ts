import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Code, maskCode } from '../../../domain/codes/codes.js';
import type { CodeRecord } from '../../../domain/codes/records.js';
import type { DirectLicense } from '../../../domain/credits/licenses.js';
import { StaleCodeError } from '../../../domain/support/errors.js';
import type {
  HistoryWhere,
  PlacedHistory,
  ReplacementWrite,
  TransferWrite,
} from '../../../domain/support/model.js';
import type { SupportStore } from '../../../domain/support/ports.js';
import { createContractStore } from '../contract-store.js';
import { keys } from '../keys.js';
import { ledgerPuts, readLedger } from '../ledger-store.js';
import { createOrderStore } from '../order-store.js';
import { auditRow, contractRow, domainFields, itemRow, type Row } from '../rows.js';

export interface SupportStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The partition a history entry goes in, beside what it is about. */
function historyPk(where: HistoryWhere): string {
  if (where.on === 'business') return keys.business(where.businessId).pk;
  if (where.on === 'license') return keys.directLicense(where.reference).pk;
  return keys.order(where.orderId).pk;
}

/** A history entry, created only if absent: its insert is the outbox of its event. */
function historyPut(tableName: string, { where, entry }: PlacedHistory) {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.history(historyPk(where), entry.at, entry.entryId), ...entry } as Row,
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** Every reason of a cancelled transaction is a failed condition, a conflict or nothing: a lost race. */
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

/**
 * The transaction of a transfer (R3). A contract: its row on the version read and the holder
 * read (`activatedBy`), with the new holder and its index keys; every item with the new
 * holder's index keys (the contract's condition guards them); the audit entry of the new
 * version. A direct license: its row on the holder read, with its new index keys; its order
 * line's `registeredBy` on the order's revision. Then both ledgers on their revisions, and the
 * history entries.
 */
export function transferItems(tableName: string, write: TransferWrite) {
  const { license } = write;
  const rotated = license.kind === 'direct' ? write.codes[0] : undefined;
  const licenseItems =
    license.kind === 'contract'
      ? [
          {
            Put: {
              TableName: tableName,
              Item: contractRow(license.next.contract),
              ConditionExpression: '#version = :version AND #by = :from',
              ExpressionAttributeNames: { '#version': 'version', '#by': 'activatedBy' },
              ExpressionAttributeValues: {
                ':version': license.before.contract.version,
                ':from': license.before.contract.activatedBy,
              },
            },
          },
          ...license.next.items.map((item) => ({
            Put: { TableName: tableName, Item: itemRow(item, license.next.contract.activatedBy) },
          })),
          {
            Put: {
              TableName: tableName,
              Item: auditRow(license.audit),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ]
      : [
          {
            Update: {
              TableName: tableName,
              Key: keys.directLicense(license.before.reference),
              UpdateExpression: `SET #b = :to, #ipk = :ipk, #isk = :isk${rotated ? ', #code = :newCode' : ''}`,
              ConditionExpression: rotated ? '#b = :from AND #code = :oldCode' : '#b = :from',
              ExpressionAttributeNames: {
                '#b': 'businessId',
                '#ipk': 'gsi3pk',
                '#isk': 'gsi3sk',
                ...(rotated ? { '#code': 'activationCode' } : {}),
              },
              ExpressionAttributeValues: {
                ':to': license.next.businessId,
                ':from': license.before.businessId,
                ':ipk': keys.directByBusiness(license.next.businessId, license.next.reference).gsi3pk,
                ':isk': keys.directByBusiness(license.next.businessId, license.next.reference).gsi3sk,
                ...(rotated ? { ':newCode': rotated.next.code, ':oldCode': rotated.old } : {}),
              },
            },
          },
          ...(license.order ? [orderLineHolder(tableName, license.order, license.before, license.next)] : []),
        ];
  return [
    ...licenseItems,
    ...write.ledgers.flatMap((ledger) => ledgerPuts(tableName, ledger.next, ledger.readRevision)),
    ...write.history.map((entry) => historyPut(tableName, entry)),
    // The codes the old holder knew are refused from now on (R11); a new code that exists
    // already fails its put, and the transfer is planned again with fresh draws.
    ...write.codes.flatMap(({ old, next }) => codeReplacement(tableName, old, next, write.at)),
  ];
}

/** The old code's record `replaced` (only while valid) and the new one's created (only if absent). */
function codeReplacement(tableName: string, old: string, next: CodeRecord, at: string) {
  return [
    {
      Update: {
        TableName: tableName,
        Key: keys.code(old),
        UpdateExpression: 'SET #state = :replaced, #by = :new, #at = :at',
        ConditionExpression: '#state = :valid',
        ExpressionAttributeNames: { '#state': 'state', '#by': 'replacedBy', '#at': 'replacedAt' },
        ExpressionAttributeValues: {
          ':replaced': 'replaced',
          ':valid': 'valid',
          ':new': next.code,
          ':at': at,
        },
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: { ...keys.code(next.code), entity: 'code', ...next } as Row,
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
  ];
}

/** The order line the direct license was registered from names its new holder (R12), on the order's revision. */
function orderLineHolder(
  tableName: string,
  order: NonNullable<Extract<TransferWrite['license'], { kind: 'direct' }>['order']>,
  before: DirectLicense,
  next: DirectLicense,
) {
  const index = order.before.lines.findIndex((line) => line.lineNo === before.lineNo);
  return {
    Update: {
      TableName: tableName,
      Key: keys.order(order.before.orderId),
      UpdateExpression: `SET #lines[${index}].#rb = :to, #rev = :next, #upd = :at`,
      ConditionExpression: `#rev = :rev AND #lines[${index}].#ln = :lineNo AND #lines[${index}].#rb = :from`,
      ExpressionAttributeNames: {
        '#lines': 'lines',
        '#rb': 'registeredBy',
        '#ln': 'lineNo',
        '#rev': 'revision',
        '#upd': 'updatedAt',
      },
      ExpressionAttributeValues: {
        ':to': next.businessId,
        ':from': before.businessId,
        ':lineNo': before.lineNo,
        ':rev': order.before.revision,
        ':next': order.next.revision,
        ':at': order.next.updatedAt,
      },
    },
  };
}

/**
 * The transaction of a code replacement (R11): the old code's record `replaced` only while
 * valid, the new code's created only if absent (index 1, so a collision is told apart), the
 * target switched only while it holds the old code (a contract item also bumps the contract's
 * version and writes its audit entry), and the history entries.
 */
export function replacementItems(tableName: string, write: ReplacementWrite) {
  const { old, next, target, at } = write;
  const swap = (
    key: { pk: string; sk: string },
    path: string,
    names: Record<string, string>,
    holder?: string,
  ) => ({
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: `SET ${path} = :new`,
      ConditionExpression: holder === undefined ? `${path} = :old` : `${path} = :old AND #holder = :holder`,
      ExpressionAttributeNames: { ...names, ...(holder === undefined ? {} : { '#holder': 'businessId' }) },
      ExpressionAttributeValues: {
        ':new': next.code,
        ':old': old.code,
        ...(holder === undefined ? {} : { ':holder': holder }),
      },
    },
  });
  let targetItems: NonNullable<TransactWriteCommandInput['TransactItems']>;
  if (target.kind === 'contract-item') {
    targetItems = [
      swap(keys.item(target.contractId, target.itemNo), '#code', { '#code': 'activationCode' }),
      {
        Update: {
          TableName: tableName,
          Key: keys.contract(target.contractId),
          UpdateExpression: 'SET #version = :next, #upd = :at',
          ConditionExpression: '#version = :read',
          ExpressionAttributeNames: { '#version': 'version', '#upd': 'updatedAt' },
          ExpressionAttributeValues: {
            ':read': target.readVersion,
            ':next': target.audit.version,
            ':at': at,
          },
        },
      },
      {
        Put: {
          TableName: tableName,
          Item: auditRow(target.audit),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
  } else if (target.kind === 'direct') {
    // Only while the holder is the one read: its history entries name that business.
    targetItems = [
      swap(keys.directLicense(target.reference), '#code', { '#code': 'activationCode' }, target.businessId),
    ];
  } else {
    const line = `#lines[${target.index}]`;
    targetItems = [
      {
        Update: {
          TableName: tableName,
          Key: keys.order(target.orderId),
          UpdateExpression: `SET ${line}.#key = :new, #rev = :next, #upd = :at`,
          ConditionExpression: `#rev = :rev AND ${line}.#ln = :lineNo AND ${line}.#key = :old AND attribute_not_exists(${line}.#rb)`,
          ExpressionAttributeNames: {
            '#lines': 'lines',
            '#key': 'registrationKey',
            '#ln': 'lineNo',
            '#rb': 'registeredBy',
            '#rev': 'revision',
            '#upd': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':new': next.code,
            ':old': old.code,
            ':lineNo': target.lineNo,
            ':rev': target.readRevision,
            ':next': target.readRevision + 1,
            ':at': at,
          },
        },
      },
    ];
  }
  return [
    // Index 0 and 1: a collision of the new code is told apart by its reason.
    ...codeReplacement(tableName, old.code, next, at),
    ...targetItems,
    ...write.history.map((entry) => historyPut(tableName, entry)),
  ];
}

/** The support operations' reads and their two transactions, on the single table (keys.ts). */
export function createSupportStore({ client, tableName }: SupportStoreOptions): SupportStore {
  const contracts = createContractStore({ client, tableName });
  const orders = createOrderStore({ client, tableName });
  const get = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
  const commit = async (items: NonNullable<TransactWriteCommandInput['TransactItems']>) => {
    await client.send(new TransactWriteCommand({ TransactItems: items }));
  };

  return {
    contract: (contractId) => contracts.load(contractId),
    async directLicense(reference) {
      const row = await get(keys.directLicense(reference));
      return row ? domainFields<DirectLicense>(row) : undefined;
    },
    order: (orderId) => orders.get(orderId),
    ledger: (businessId) => readLedger(client, tableName, businessId),
    async code(code) {
      const row = await get(keys.code(code));
      return row ? domainFields<CodeRecord>(row) : undefined;
    },

    async commitTransfer(write) {
      const items = transferItems(tableName, write);
      try {
        await commit(items);
        return 'committed';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException && lostRace(error))) throw error;
        // An old code without a valid record that the license still holds (legacy or repaired
        // data) would fail every retry: say so instead of retrying into "busy". A code another
        // transfer or a replacement changed meanwhile is a lost race: read again.
        const reasons = error.CancellationReasons ?? [];
        const firstCode = items.length - 2 * write.codes.length;
        const { license } = write;
        const stillHeld = async (code: string) =>
          license.kind === 'contract'
            ? (await contracts.load(license.before.contract.contractId))?.items.some(
                (item) => item.activationCode === code,
              )
            : (await get(keys.directLicense(license.before.reference)))?.activationCode === code;
        for (const [i, { old }] of write.codes.entries()) {
          if (reasons[firstCode + 2 * i]?.Code !== 'ConditionalCheckFailed') continue;
          const record = await get(keys.code(old));
          if (record?.state !== 'valid' && (await stillHeld(old)))
            throw new StaleCodeError(maskCode(old as Code));
        }
        // A sync, an allocation or another transfer wrote first: nothing of this one was written.
        return 'lost-race';
      }
    },

    async commitReplacement(write) {
      try {
        await commit(replacementItems(tableName, write));
        return 'committed';
      } catch (error) {
        if (!(error instanceof TransactionCanceledException) || !lostRace(error)) throw error;
        const [oldReason, newReason] = error.CancellationReasons ?? [];
        // The drawn code exists (and the old one was still valid): draw again.
        if (newReason?.Code === 'ConditionalCheckFailed' && oldReason?.Code !== 'ConditionalCheckFailed')
          return 'code-taken';
        return 'lost-race';
      }
    },
  };
}

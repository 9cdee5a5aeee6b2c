import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { CodeCollisionError, type CodeRecord } from '../../domain/codes/records.js';
import { emptyLedger, type LedgerTransition, withSources } from '../../domain/credits/ledger.js';
import type { DirectLicense } from '../../domain/credits/licenses.js';
import { type CreditSource, directSourceId, type Ledger } from '../../domain/credits/model.js';
import type { HistoryEntry } from '../../domain/events/history.js';
import { ORDER_ID, type Order, orderState } from '../../domain/orders/model.js';
import type { CodeReader, OrderStore } from '../../domain/orders/ports.js';
import { INDEXES, keys } from './keys.js';
import { jitter, ledgerPuts } from './ledger-store.js';
import { domainFields, type Row } from './rows.js';
import { setupSessionRow } from './setup-store.js';

export interface OrderStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Told after a registration whose ledger write made (or stopped making) the business over-allocated. */
  readonly onLedgerTransition?: (ledger: Ledger, transition: LedgerTransition) => Promise<void>;
  /** Transactions tried while another write of the ledger or a code is in flight; default 20. */
  readonly ledgerAttempts?: number;
}

/** A forged or foreign cursor: refused before DynamoDB sees it. */
export class InvalidOrderCursorError extends Error {
  override readonly name = 'InvalidOrderCursorError';
}

/** The order's row: its fields, its state, and its place in the sales list (newest first). */
function orderRow(order: Order): Row {
  return {
    ...keys.order(order.orderId),
    entity: 'order',
    ...order,
    state: orderState(order),
    ...keys.ordersByImport(order.importedAt, order.orderId),
  };
}

/** An order from its row: the stored `state` is for the list's filter, the domain computes it. */
function orderOf(row: Row): Order {
  const { state: _state, ...order } = domainFields<Order & { state?: string }>(row);
  return order;
}

function historyRow(pk: string, entry: HistoryEntry): Row {
  return { ...keys.history(pk, entry.at, entry.entryId), ...entry };
}

/** A code's own item, created only if no such code exists (R11: codes are unique). */
function codePut(tableName: string, record: CodeRecord) {
  return {
    Put: {
      TableName: tableName,
      Item: { ...keys.code(record.code), entity: 'code', ...record },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** The direct license a registered order line becomes, in its business's index and the expiry list. */
function licenseRow(license: DirectLicense): Row {
  return {
    ...keys.directLicense(license.reference),
    entity: 'direct-license',
    ...license,
    ...keys.directByBusiness(license.businessId, license.reference),
    ...keys.directByExpiry(license.expiresAt, license.reference),
  };
}

const failed = (reason: { Code?: string } | undefined) => reason?.Code === 'ConditionalCheckFailed';
const inFlight = (reason: { Code?: string } | undefined) => reason?.Code === 'TransactionConflict';
const contended = (reason: { Code?: string } | undefined) => failed(reason) || inFlight(reason);

/** Orders from other channels (R12), their Registration Keys and their registration, on the single table. */
export function createOrderStore({
  client,
  tableName,
  onLedgerTransition,
  ledgerAttempts = 20,
}: OrderStoreOptions): OrderStore & CodeReader {
  const get = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  return {
    async importOrder(order, history) {
      const codes = order.lines.map((line) => line.registrationKey);
      const transaction = new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: orderRow(order),
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          ...order.lines.map((line) =>
            codePut(tableName, {
              code: line.registrationKey,
              target: { kind: 'registration-key', orderId: order.orderId, lineNo: line.lineNo },
              state: 'valid',
              createdAt: order.importedAt,
            }),
          ),
          { Put: { TableName: tableName, Item: historyRow(keys.order(order.orderId).pk, history) } },
        ],
      });
      for (let attempt = 1; ; attempt++) {
        try {
          await client.send(transaction);
          return { created: true };
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const [orderReason, ...rest] = error.CancellationReasons ?? [];
          if (failed(orderReason) && orderReason?.Item) {
            return { created: false, existing: orderOf(unmarshall(orderReason.Item)) };
          }
          const collided = codes.filter((_, i) => failed(rest[i]));
          if (collided.length > 0) throw new CodeCollisionError(collided);
          // The same order imported twice at once: once the other committed, this one reads it.
          if (!(error.CancellationReasons ?? []).some(contended) || attempt >= 5) throw error;
          await jitter(attempt);
        }
      }
    },

    async get(orderId) {
      if (!ORDER_ID.test(orderId)) return undefined;
      const row = await get(keys.order(orderId));
      return row ? orderOf(row) : undefined;
    },

    async list({ state, limit, cursor }) {
      const start = cursor ? decodeOrderCursor(cursor, state) : undefined;
      const out = await client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: INDEXES.byStatus.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': INDEXES.byStatus.pk, ...(state ? { '#state': 'state' } : {}) },
          ExpressionAttributeValues: { ':pk': keys.ordersPartition, ...(state ? { ':state': state } : {}) },
          ...(state ? { FilterExpression: '#state = :state' } : {}),
          ScanIndexForward: false,
          Limit: limit,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const last = out.LastEvaluatedKey;
      return {
        orders: (out.Items ?? []).map(orderOf),
        ...(last ? { cursor: encodeOrderCursor(String(last[INDEXES.byStatus.sk]), state) } : {}),
      };
    },

    async register(write) {
      const { order, next, licenses, businessId } = write;
      const patch: Record<string, CreditSource> = Object.fromEntries(
        licenses.map((license) => [
          directSourceId(license.reference),
          {
            kind: 'direct',
            productCode: license.productCode,
            credits: license.credits,
            expiresAt: license.expiresAt,
            // What the next registration's conflict check reads from this ledger (R12).
            ...(license.service ? { service: license.service } : {}),
            startsAt: license.startsAt ?? license.createdAt,
          } satisfies CreditSource,
        ]),
      );
      const now = new Date(write.at);
      const fixed = [
        {
          Put: {
            TableName: tableName,
            Item: orderRow(next),
            ConditionExpression: '#rev = :rev',
            ExpressionAttributeNames: { '#rev': 'revision' },
            ExpressionAttributeValues: { ':rev': order.revision },
          },
        },
        ...(write.session
          ? [
              {
                Put: {
                  TableName: tableName,
                  Item: setupSessionRow(write.session.next),
                  ConditionExpression: '#version = :version',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':version': write.session.expectedVersion },
                },
              },
            ]
          : []),
        { Put: { TableName: tableName, Item: historyRow(keys.order(order.orderId).pk, write.history) } },
        ...(write.registrationKey
          ? [
              {
                ConditionCheck: {
                  TableName: tableName,
                  Key: keys.code(write.registrationKey),
                  ConditionExpression: '#state = :valid',
                  ExpressionAttributeNames: { '#state': 'state' },
                  ExpressionAttributeValues: { ':valid': 'valid' },
                },
              },
            ]
          : []),
        ...licenses.map((license) => ({
          Put: {
            TableName: tableName,
            Item: licenseRow(license),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        })),
      ];
      const codes = licenses.map((license) => license.activationCode ?? '');
      const codeItems = licenses.map((license) =>
        codePut(tableName, {
          code: license.activationCode ?? '',
          target: { kind: 'activation-code', licenseId: directSourceId(license.reference), itemNo: 1 },
          state: 'valid',
          createdAt: write.at,
        }),
      );
      // The ledger the conflict check read, on its revision: no second read.
      const { ledger } = write;
      const ledgerWrite = withSources(
        ledger ??
          emptyLedger(businessId, now, {
            primaryEmail: write.primaryEmail,
            businessName: write.businessName,
          }),
        patch,
        now,
      );
      const ledgerItems = ledgerWrite ? ledgerPuts(tableName, ledgerWrite.next, ledger?.revision) : [];
      for (let attempt = 1; ; attempt++) {
        try {
          await client.send(
            new TransactWriteCommand({ TransactItems: [...fixed, ...codeItems, ...ledgerItems] }),
          );
          if (onLedgerTransition && ledgerWrite?.transition) {
            await onLedgerTransition(ledgerWrite.next, ledgerWrite.transition);
          }
          return undefined;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const reasons = error.CancellationReasons ?? [];
          const [orderReason] = reasons;
          const sessionReason = write.session ? reasons[1] : undefined;
          const keyReason = write.registrationKey ? reasons[write.session ? 3 : 2] : undefined;
          // A line's license already exists only if another registration took it: the order moved.
          const licenseTaken = reasons
            .slice(fixed.length - licenses.length, fixed.length)
            .some((reason) => failed(reason));
          if (failed(orderReason) || licenseTaken) return { conflict: 'order-moved' };
          if (failed(sessionReason)) return { conflict: 'session-moved' };
          if (failed(keyReason)) return { conflict: 'key-replaced' };
          const collided = codes.filter((_, i) => failed(reasons[fixed.length + i]));
          if (collided.length > 0) throw new CodeCollisionError(collided);
          // The ledger moved since the conflict check read it (a license joined or left the
          // business, an allocation): the caller reviews the order again.
          if (reasons.slice(fixed.length + codeItems.length).some(failed)) return { conflict: 'order-moved' };
          // The order or session is being written by someone else: let the caller re-read.
          if (reasons.slice(0, fixed.length).some(inFlight)) return { conflict: 'order-moved' };
          // Another write of the ledger or a code was in flight: the same write once more.
          if (!reasons.some(inFlight) || attempt >= ledgerAttempts) throw error;
          await jitter(attempt);
        }
      }
    },

    async findCode(code) {
      const row = await get(keys.code(code));
      return row ? domainFields<CodeRecord>(row) : undefined;
    },
  };
}

/** `<importedAt>#<orderId>`, as keys.ordersByImport builds it. */
const ORDER_POSITION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#([A-Za-z0-9][A-Za-z0-9._:-]{0,63})$/;

function encodeOrderCursor(position: string, state: string | undefined): string {
  return Buffer.from(JSON.stringify({ o: position, s: state ?? null })).toString('base64url');
}

/**
 * The list's ExclusiveStartKey from a cursor it handed out: only a position in the orders
 * partition, of the same filter, is accepted; anything else is refused before a read.
 */
function decodeOrderCursor(cursor: string, state: string | undefined): Row {
  let value: unknown;
  try {
    value = cursor.length <= 400 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    value = undefined;
  }
  const position = (value as { o?: unknown } | undefined)?.o;
  const match = typeof position === 'string' ? ORDER_POSITION.exec(position) : null;
  if (!match?.[1])
    throw new InvalidOrderCursorError('The cursor is not valid: use the cursor of a previous page');
  if ((value as { s?: unknown }).s !== (state ?? null))
    throw new InvalidOrderCursorError(
      'The cursor belongs to another query: keep the filters of the first page',
    );
  return {
    ...keys.order(match[1]),
    [INDEXES.byStatus.pk]: keys.ordersPartition,
    [INDEXES.byStatus.sk]: position,
  };
}

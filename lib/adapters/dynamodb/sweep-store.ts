import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ContractKey } from '../../domain/contract/model.js';
import {
  type StaleContract,
  SweepLeaseLostError,
  type SweepProgress,
  type SweepStore,
} from '../../domain/contract/sweep.js';
import { INDEXES, keys } from './keys.js';

export interface SweepStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** The live statuses the contracts phase re-reads, in this order per product. */
const LIVE = ['pending-setup', 'active'] as const;

interface Cursor {
  readonly product: number;
  readonly status: number;
  readonly key?: Record<string, unknown>;
}

/**
 * The sweep's state on the single table: one item holds the lease (owner, until), the
 * watermark and the unfinished run's progress (JSON). Every write after `acquire` is conditional
 * on still owning the lease, so a run whose lease another took stops at its next checkpoint.
 */
export function createSweepStore({ client, tableName }: SweepStoreOptions): SweepStore {
  const Key = keys.sweep();
  const owned = async (input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>) => {
    try {
      await client.send(new UpdateCommand({ TableName: tableName, Key, ...input }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new SweepLeaseLostError('Another sweep run holds the lease');
      throw error;
    }
  };
  return {
    async acquire(owner, now, leaseUntil) {
      try {
        const out = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET #owner = :owner, leaseUntil = :until',
            ConditionExpression: 'attribute_not_exists(#owner) OR leaseUntil < :now',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: {
              ':owner': owner,
              ':until': leaseUntil.toISOString(),
              ':now': now.toISOString(),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const item = out.Attributes ?? {};
        return {
          busy: false,
          ...(typeof item.progress === 'string'
            ? { progress: JSON.parse(item.progress) as SweepProgress }
            : {}),
          ...(typeof item.watermark === 'string' ? { watermark: item.watermark } : {}),
        };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return { busy: true };
        throw error;
      }
    },

    async checkpoint(owner, progress, leaseUntil) {
      await owned({
        UpdateExpression: 'SET progress = :progress, leaseUntil = :until',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ':progress': JSON.stringify(progress),
          ':until': leaseUntil.toISOString(),
        },
      });
    },

    async finish(owner, watermark, progress) {
      await owned({
        UpdateExpression: `SET lastRun = :run${watermark ? ', watermark = :watermark' : ''} REMOVE progress, #owner, leaseUntil`,
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ':run': JSON.stringify(progress),
          ...(watermark ? { ':watermark': watermark } : {}),
        },
      });
    },

    async release(owner, progress) {
      await owned({
        UpdateExpression: `${progress ? 'SET progress = :progress ' : ''}REMOVE #owner, leaseUntil`,
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':owner': owner,
          ...(progress ? { ':progress': JSON.stringify(progress) } : {}),
        },
      });
    },

    async staleContracts(productCodes, cutoff, cursor, limit) {
      let at = decodeCursor(cursor);
      const contracts: StaleContract[] = [];
      while (at.product < productCodes.length && contracts.length === 0) {
        const productCode = productCodes[at.product] as string;
        const status = LIVE[at.status] as (typeof LIVE)[number];
        const out = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: INDEXES.byStatus.name,
            KeyConditionExpression: '#pk = :pk',
            FilterExpression: 'syncedAt < :cutoff',
            ExpressionAttributeNames: { '#pk': INDEXES.byStatus.pk, '#key': 'key' },
            ExpressionAttributeValues: {
              ':pk': keys.statusPartition(productCode, status),
              ':cutoff': cutoff,
            },
            ProjectionExpression: 'contractId, #key, productCode, licenseArn, customerAWSAccountId, version',
            Limit: limit,
            ...(at.key ? { ExclusiveStartKey: at.key } : {}),
          }),
        );
        for (const row of out.Items ?? []) {
          contracts.push({
            contractId: String(row.contractId),
            key: row.key as ContractKey,
            productCode: String(row.productCode),
            ...(typeof row.licenseArn === 'string' ? { licenseArn: row.licenseArn } : {}),
            ...(typeof row.customerAWSAccountId === 'string'
              ? { customerAWSAccountId: row.customerAWSAccountId }
              : {}),
            version: Number(row.version),
          });
        }
        at = out.LastEvaluatedKey
          ? { ...at, key: out.LastEvaluatedKey }
          : at.status + 1 < LIVE.length
            ? { product: at.product, status: at.status + 1 }
            : { product: at.product + 1, status: 0 };
      }
      const done = at.product >= productCodes.length;
      return { contracts, ...(done ? {} : { cursor: encodeCursor(at) }) };
    },

    async touchSynced(contractId, version, at) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.contract(contractId),
            UpdateExpression: 'SET syncedAt = :at',
            ConditionExpression: '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':at': at, ':version': version },
          }),
        );
      } catch (error) {
        // The contract changed meanwhile: that write carries a newer sync time of its own.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** The cursor is the sweep's own (kept in its state item), never a caller's; a broken one starts over. */
function decodeCursor(text: string | undefined): Cursor {
  if (!text) return { product: 0, status: 0 };
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (
      Number.isInteger(value.product) &&
      Number.isInteger(value.status) &&
      value.product >= 0 &&
      value.status >= 0
    )
      return value;
  } catch {
    // fall through
  }
  return { product: 0, status: 0 };
}

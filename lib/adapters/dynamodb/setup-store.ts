import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConcurrentUpdateError } from '../../domain/contract/errors.js';
import type { Business, SetupSession, UserAccount } from '../../domain/setup/model.js';
import type { SetupStore } from '../../domain/setup/ports.js';
import { keys } from './keys.js';
import { domainFields, type Row } from './rows.js';
import { summaryUpdate } from './summary-counters.js';
import { TTL_ATTRIBUTE } from './table.js';

export interface SetupStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a finished or expired setup stays visible to sales before TTL removes it; default 30 days. */
  readonly retainMs?: number;
}

/** Setup sessions, user accounts and businesses on the single table (keys.ts). */
export function createSetupStore({
  client,
  tableName,
  retainMs = 30 * 24 * 3600 * 1000,
}: SetupStoreOptions): SetupStore {
  const sessionRow = (session: SetupSession): Row => ({
    ...keys.setup(session.sessionKey),
    entity: 'setup',
    ...session,
    ...keys.setupsByState(
      session.step === 'completed' ? 'completed' : 'open',
      session.createdAt,
      session.sessionKey,
    ),
    [TTL_ATTRIBUTE]: Math.floor((Date.parse(session.expiresAt) + retainMs) / 1000),
  });
  const get = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  return {
    async createSession(session) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: sessionRow(session),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },

    async getSession(sessionKey) {
      const row = await get(keys.setup(sessionKey));
      return row ? domainFields<SetupSession>(row) : undefined;
    },

    async saveSession(session, expectedVersion) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: sessionRow(session),
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': expectedVersion },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException)
          throw new ConcurrentUpdateError(session.sessionKey);
        throw error;
      }
    },

    async getUser(email) {
      const row = await get(keys.user(email));
      return row ? domainFields<UserAccount>(row) : undefined;
    },

    async ensureUser(user) {
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...keys.user(user.email), entity: 'user', ...user },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return user;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const row = await get(keys.user(user.email));
        if (!row) throw error;
        return domainFields<UserAccount>(row);
      }
    },

    async getBusiness(businessId) {
      const row = await get(keys.business(businessId));
      return row ? domainFields<Business>(row) : undefined;
    },

    async createBusiness(business, session, expectedSessionVersion) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: tableName,
                  Item: { ...keys.business(business.businessId), entity: 'business', ...business },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Update: {
                  TableName: tableName,
                  Key: keys.user(business.primaryEmail),
                  UpdateExpression: 'SET businessId = :b',
                  ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(businessId)',
                  ExpressionAttributeValues: { ':b': business.businessId },
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: sessionRow(session),
                  ConditionExpression: '#v = :v',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': expectedSessionVersion },
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [, user, sessionReason] = error.CancellationReasons ?? [];
        if (sessionReason?.Code === 'ConditionalCheckFailed')
          throw new ConcurrentUpdateError(session.sessionKey);
        if (user?.Code === 'ConditionalCheckFailed') return false;
        throw error;
      }
    },

    async activate(write) {
      const { session } = write;
      const counters = summaryUpdate(tableName, write.contractId, write.audit.before, write.audit.after);
      const completed: SetupSession = {
        ...session,
        step: 'completed',
        completedAt: write.at,
        version: session.version + 1,
      };
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: tableName,
                  Key: keys.contract(write.contractId),
                  UpdateExpression:
                    'SET setupState = :active, activatedBy = :biz, businessName = :bname, activatedAt = :at, updatedAt = :at, #v = :next, gsi1pk = :status, gsi3pk = :bpk, gsi3sk = :bsk',
                  ConditionExpression:
                    'attribute_not_exists(activatedBy) AND #v = :expected AND term = :current',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: {
                    ':active': 'active',
                    ':biz': write.businessId,
                    ':bname': session.businessName ?? write.businessId,
                    ':at': write.at,
                    ':next': write.expectedContractVersion + 1,
                    ':expected': write.expectedContractVersion,
                    ':current': 'current',
                    ':status': keys.statusPartition(session.productCode, 'active'),
                    ':bpk': keys.byBusiness(write.businessId, write.contractId).gsi3pk,
                    ':bsk': keys.byBusiness(write.businessId, write.contractId).gsi3sk,
                  },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: sessionRow(completed),
                  ConditionExpression: '#v = :v AND step = :review',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': session.version, ':review': 'review' },
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: {
                    ...keys.audit(write.contractId, write.audit.version),
                    entity: 'audit',
                    ...write.audit,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              // pending-setup → active moves one contract between the summary's counts.
              ...(counters ? [counters] : []),
            ],
          }),
        );
        return undefined;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const [contractReason, sessionReason] = error.CancellationReasons ?? [];
        if (contractReason?.Code === 'ConditionalCheckFailed') {
          const old = contractReason.Item ? unmarshall(contractReason.Item) : undefined;
          if (old?.activatedBy) return { conflict: 'activated', activatedBy: String(old.activatedBy) };
          return { conflict: 'version-moved' };
        }
        if (sessionReason?.Code === 'ConditionalCheckFailed') return { conflict: 'session-moved' };
        if ((error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict')) {
          return { conflict: 'version-moved' };
        }
        throw error;
      }
    },
  };
}

import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AccountSession } from '../../domain/account/model.js';
import type { AccountStore } from '../../domain/account/ports.js';
import { keys } from './keys.js';
import { domainFields, type Row } from './rows.js';
import { claimCodeAttempt, giveBackBudgets, putWithBudgets } from './setup-store.js';
import { TTL_ATTRIBUTE } from './table.js';

export interface AccountStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * The returning buyer's sessions on the single table (`ACCOUNT#<hash>`, keys.ts): a sign-in
 * waiting for its code and a signed-in session, each removed by TTL when it is over. Nothing is
 * deleted by the function: an ended session is rewritten as `ended` (the role has no DeleteItem).
 */
export function createAccountStore({ client, tableName }: AccountStoreOptions): AccountStore {
  const row = (session: AccountSession): Row => ({
    ...keys.accountSession(session.sessionKey),
    entity: 'account-session',
    ...session,
    [TTL_ATTRIBUTE]: Math.ceil(Date.parse(session.expiresAt) / 1000),
  });
  const versioned = (session: AccountSession, expectedVersion: number) => ({
    TableName: tableName,
    Item: row(session),
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':v': expectedVersion },
  });

  return {
    async create(session, take) {
      const put = {
        TableName: tableName,
        Item: row(session),
        ConditionExpression: 'attribute_not_exists(pk)',
      };
      await putWithBudgets(client, put, session.sessionKey, take.budgets, take.now);
    },

    async get(sessionKey) {
      const out = await client.send(
        new GetCommand({ TableName: tableName, Key: keys.accountSession(sessionKey), ConsistentRead: true }),
      );
      return out.Item ? domainFields<AccountSession>(out.Item) : undefined;
    },

    async save(session, expectedVersion, take) {
      await putWithBudgets(
        client,
        versioned(session, expectedVersion),
        session.sessionKey,
        take?.budgets ?? [],
        take?.now ?? new Date(),
      );
    },

    giveBack: (budgets, now) => giveBackBudgets(client, tableName, budgets, now),

    claimCodeAttempt: (sessionKey, salt, max) =>
      claimCodeAttempt(client, tableName, keys.accountSession(sessionKey), salt, max),

    async signIn(ended, expectedVersion, signedIn) {
      const pending = versioned(ended, expectedVersion);
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  ...pending,
                  ConditionExpression: '#v = :v AND step = :code',
                  ExpressionAttributeValues: { ...pending.ExpressionAttributeValues, ':code': 'code' },
                },
              },
              {
                Put: {
                  TableName: tableName,
                  Item: row(signedIn),
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        );
        return true;
      } catch (error) {
        // A second right guess at once, or a resend in between: the other one won.
        if (error instanceof TransactionCanceledException) return false;
        throw error;
      }
    },

    async end(sessionKey, at) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keys.accountSession(sessionKey),
            UpdateExpression: 'SET step = :ended, expiresAt = :at, #v = #v + :one',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':ended': 'ended', ':at': at.toISOString(), ':one': 1 },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },
  };
}

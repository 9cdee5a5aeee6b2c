import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConcurrentUpdateError } from '../../domain/contract/errors.js';
import { emptyLedger, type LedgerTransition, withSources } from '../../domain/credits/ledger.js';
import type { Ledger } from '../../domain/credits/model.js';
import { contractSource } from '../../domain/credits/sources.js';
import { type Budget, BudgetSpentError } from '../../domain/setup/limits.js';
import type { Business, SetupSession, UserAccount } from '../../domain/setup/model.js';
import type { SetupStore } from '../../domain/setup/ports.js';
import { budgetUpdate } from './budgets.js';
import { keys } from './keys.js';
import { jitter, ledgerPuts, readLedger } from './ledger-store.js';
import { domainFields, type Row } from './rows.js';
import { summaryUpdates } from './summary-counters.js';
import { TTL_ATTRIBUTE } from './table.js';

/**
 * A session's write and one taken from each budget, in one transaction (the setup's and the
 * sign-in's code mails). Two requests that take from the same budget at the same moment can
 * conflict (TransactionConflict): those are retried a few times, as nothing was written.
 * The put's condition failing is ConcurrentUpdateError; a spent budget BudgetSpentError.
 */
export async function putWithBudgets(
  client: DynamoDBDocumentClient,
  put: Record<string, unknown> & { TableName: string; Item: Row },
  sessionKey: string,
  budgets: readonly Budget[],
  now: Date,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: put as never },
            ...budgets.map((b) => ({ Update: budgetUpdate(put.TableName, b, now) })),
          ],
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') throw new ConcurrentUpdateError(sessionKey);
      const spent = budgets.find((_, i) => reasons[i + 1]?.Code === 'ConditionalCheckFailed');
      if (spent) throw new BudgetSpentError(spent);
      const conflict = reasons.some((r) => r.Code === 'TransactionConflict');
      if (!conflict || attempt >= 5) {
        if (conflict) throw new ConcurrentUpdateError(sessionKey);
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

/** Gives back what `putWithBudgets` took (a mail that never went out); best effort. */
export async function giveBackBudgets(
  client: DynamoDBDocumentClient,
  tableName: string,
  budgets: readonly Budget[],
  now: Date,
): Promise<void> {
  await Promise.allSettled(
    budgets.map((b) => client.send(new UpdateCommand(budgetUpdate(tableName, b, now, -1)))),
  );
}

/**
 * Counts one guess at the code (named by its salt) of the session row at `key`, before it is
 * compared: a conditional UpdateItem, so of any number of parallel guesses at most `max` are
 * counted in all. The guess's number, or undefined when none is left or the code was replaced.
 */
export async function claimCodeAttempt(
  client: DynamoDBDocumentClient,
  tableName: string,
  key: { pk: string; sk: string },
  salt: string,
  max: number,
): Promise<number | undefined> {
  try {
    const out = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET #c.#a = if_not_exists(#c.#a, :zero) + :one',
        ConditionExpression: '#c.#s = :salt AND (attribute_not_exists(#c.#a) OR #c.#a < :max)',
        ExpressionAttributeNames: { '#c': 'code', '#a': 'attempts', '#s': 'salt' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':salt': salt, ':max': max },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number((out.Attributes as { code?: { attempts?: number } } | undefined)?.code?.attempts);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

export interface SetupStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a finished or expired setup stays visible to sales before TTL removes it; default 30 days. */
  readonly retainMs?: number;
  /**
   * Told after an activation whose ledger write also dropped a lapsed license and so made (or
   * stopped making) the business over-allocated (R9).
   */
  readonly onLedgerTransition?: (ledger: Ledger, transition: LedgerTransition) => Promise<void>;
  /** Activation transactions tried when only the business's ledger moved; default 20. */
  readonly ledgerAttempts?: number;
}

/** How long a finished or expired setup stays visible to sales: 30 days. */
export const SETUP_RETAIN_MS = 30 * 24 * 3600 * 1000;

/** A setup session's row: indexed by state for sales, removed by TTL `retainMs` after its window. */
export function setupSessionRow(session: SetupSession, retainMs = SETUP_RETAIN_MS): Row {
  return {
    ...keys.setup(session.sessionKey),
    entity: 'setup',
    ...session,
    ...keys.setupsByState(
      session.step === 'completed' ? 'completed' : 'open',
      session.createdAt,
      session.sessionKey,
    ),
    [TTL_ATTRIBUTE]: Math.floor((Date.parse(session.expiresAt) + retainMs) / 1000),
  };
}

/** Setup sessions, user accounts and businesses on the single table (keys.ts). */
export function createSetupStore({
  client,
  tableName,
  retainMs = SETUP_RETAIN_MS,
  onLedgerTransition,
  ledgerAttempts = 20,
}: SetupStoreOptions): SetupStore {
  const sessionRow = (session: SetupSession): Row => setupSessionRow(session, retainMs);
  const get = async (key: { pk: string; sk: string }) =>
    (await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  return {
    async createSession(session, token) {
      const put = {
        TableName: tableName,
        Item: sessionRow(session),
        ConditionExpression: 'attribute_not_exists(pk)',
      };
      if (!token) {
        await client.send(new PutCommand(put));
        return { created: true };
      }
      // The token's first setup and the session, together: a replay of the token writes neither.
      const transaction = new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName,
              Item: {
                ...keys.registration(token.hash),
                entity: 'registration',
                contractId: session.contractId,
                createdAt: session.createdAt,
                expiresAt: session.expiresAt,
                [TTL_ATTRIBUTE]: Math.floor((Date.parse(session.expiresAt) + retainMs) / 1000),
              },
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { Put: put },
        ],
      });
      for (let attempt = 1; ; attempt++) {
        try {
          await client.send(transaction);
          return { created: true };
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const [first] = error.CancellationReasons ?? [];
          if (first?.Code === 'ConditionalCheckFailed' && first.Item) {
            return { created: false, expiresAt: String(unmarshall(first.Item).expiresAt) };
          }
          // Two POSTs of one token at once: once the other committed, this one sees its deadline.
          const conflict = (error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict');
          if (!conflict || attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
        }
      }
    },

    async getSession(sessionKey) {
      const row = await get(keys.setup(sessionKey));
      return row ? domainFields<SetupSession>(row) : undefined;
    },

    async saveSession(session, expectedVersion, take) {
      const put = {
        TableName: tableName,
        Item: sessionRow(session),
        ConditionExpression: '#v = :v',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':v': expectedVersion },
      };
      if (!take || take.budgets.length === 0) {
        try {
          await client.send(new PutCommand(put));
          return;
        } catch (error) {
          if (error instanceof ConditionalCheckFailedException)
            throw new ConcurrentUpdateError(session.sessionKey);
          throw error;
        }
      }
      await putWithBudgets(client, put, session.sessionKey, take.budgets, take.now);
    },

    giveBack: (budgets, now) => giveBackBudgets(client, tableName, budgets, now),

    claimCodeAttempt: (sessionKey, salt, max) =>
      claimCodeAttempt(client, tableName, keys.setup(sessionKey), salt, max),

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

    getLedger: (businessId) => readLedger(client, tableName, businessId),

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
        // A double submit or a second tab writing the same session at once: like a lost
        // version race, the buyer is shown the step the session is at now.
        if ((error.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict'))
          throw new ConcurrentUpdateError(session.sessionKey);
        throw error;
      }
    },

    async activate(write) {
      const { session } = write;
      const counters = summaryUpdates(tableName, write.contractId, write.audit.before, write.audit.after);
      const now = new Date(write.at);
      for (let attempt = 1; ; attempt++) {
        const ledger = attempt === 1 ? write.ledger : await readLedger(client, tableName, write.businessId);
        const credits = withSources(
          ledger ??
            emptyLedger(write.businessId, now, {
              ...(session.email ? { primaryEmail: session.email } : {}),
              ...(session.businessName ? { businessName: session.businessName } : {}),
            }),
          { [write.contractId]: contractSource({ ...write.stored.contract, activatedBy: write.businessId }) },
          now,
        );
        // Room in the transaction for the items' index keys, after the contract, session, audit,
        // counters and (when written) the ledger and its lapse companion: active items first.
        const room = 100 - 3 - counters.length - (credits ? 2 : 0);
        const indexed = [...write.stored.items]
          .sort((a, b) => (a.state === b.state ? a.itemNo - b.itemNo : a.state === 'active' ? -1 : 1))
          .slice(0, room);
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
                      // expiresAt > :at: ISO strings compare as instants; a contract whose expiry
                      // passed while the review page was open is not activated (R1, R3).
                      'attribute_not_exists(activatedBy) AND #v = :expected AND term = :current AND expiresAt > :at',
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
                ...counters,
                ...(credits ? ledgerPuts(tableName, credits.next, ledger?.revision) : []),
                // Only if the item is still there as read (the contract's version condition guards the rest).
                ...indexed.map((item) => {
                  const index = keys.itemByBusiness(write.businessId, item.contractId, item.itemNo);
                  return {
                    Update: {
                      TableName: tableName,
                      Key: keys.item(item.contractId, item.itemNo),
                      UpdateExpression: 'SET gsi3pk = :pk, gsi3sk = :sk',
                      ConditionExpression: 'attribute_exists(pk)',
                      ExpressionAttributeValues: { ':pk': index.gsi3pk, ':sk': index.gsi3sk },
                    },
                  };
                }),
              ],
            }),
          );
          if (credits?.transition && onLedgerTransition)
            await onLedgerTransition(credits.next, credits.transition);
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
          // The ledger moved (an allocation or another activation of the business) or a write at
          // the same moment: nothing was written. The contract and session reads still hold, so
          // read the ledger again and retry here; past the attempts, the caller reads everything again.
          const reasons = error.CancellationReasons ?? [];
          if (reasons.some((r) => r.Code === 'TransactionConflict' || r.Code === 'ConditionalCheckFailed')) {
            if (attempt >= ledgerAttempts) return { conflict: 'version-moved' };
            await jitter(attempt);
            continue;
          }
          throw error;
        }
      }
    },
  };
}

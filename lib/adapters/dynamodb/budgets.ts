import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Budget, type BudgetCounter, windowStart } from '../../domain/setup/limits.js';
import { keys } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

/** How long a spent window's counter stays before TTL removes it. */
const KEEP_MS = 60 * 60 * 1000;

/**
 * The update that takes one from a budget's counter in its current window, only while it is
 * below the limit: on its own (an UpdateItem) or inside a transaction.
 */
export function budgetUpdate(tableName: string, budget: Budget, now: Date, delta: 1 | -1 = 1) {
  const start = windowStart(budget, now);
  return {
    TableName: tableName,
    Key: keys.budget(budget.key, start),
    UpdateExpression: 'SET entity = :entity, #ttl = :ttl ADD #n :delta',
    ...(delta === 1 ? { ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit' } : {}),
    ExpressionAttributeNames: { '#n': 'taken', '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: {
      ':entity': 'budget',
      ':ttl': Math.floor((start + budget.windowMs + KEEP_MS) / 1000),
      ':delta': delta,
      ...(delta === 1 ? { ':limit': budget.limit } : {}),
    },
  };
}

/** Budgets on the single table: one item per budget and window, removed by TTL after it. */
export function createBudgetCounter({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): BudgetCounter {
  return {
    async take(budget, now) {
      try {
        await client.send(new UpdateCommand(budgetUpdate(tableName, budget, now)));
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
    async giveBack(budget, now) {
      await client.send(new UpdateCommand(budgetUpdate(tableName, budget, now, -1))).catch(() => undefined);
    },
  };
}

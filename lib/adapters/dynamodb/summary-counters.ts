import { createHash } from 'node:crypto';
import type { ContractStatus } from '../../domain/contract/model.js';
import { keys } from './keys.js';

/** Ten shards: concurrent changes of different contracts rarely meet on one counter item. */
export const SUMMARY_SHARDS = 10;

export interface CountedState {
  readonly status: ContractStatus;
  readonly activeCredits: number;
}

export function summaryShardOf(contractId: string): number {
  return (createHash('sha256').update(contractId).digest()[0] ?? 0) % SUMMARY_SHARDS;
}

export const countAttribute = (status: ContractStatus) => `count_${status.replace('-', '_')}`;

/**
 * The Update that keeps the running totals in step with one contract change; it rides in the
 * change's transaction, so totals and contracts never disagree. Undefined when nothing moves.
 */
export function summaryUpdate(
  tableName: string,
  contractId: string,
  before: CountedState | undefined,
  after: CountedState,
) {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  if (before?.status !== after.status) {
    names['#to'] = countAttribute(after.status);
    values[':one'] = 1;
    parts.push('#to :one');
    if (before) {
      names['#from'] = countAttribute(before.status);
      values[':minusOne'] = -1;
      parts.push('#from :minusOne');
    }
  }
  const delta = after.activeCredits - (before?.activeCredits ?? 0);
  if (delta !== 0) {
    names['#credits'] = 'activeCredits';
    values[':credits'] = delta;
    parts.push('#credits :credits');
  }
  if (parts.length === 0) return undefined;
  return {
    Update: {
      TableName: tableName,
      Key: keys.summaryShard(summaryShardOf(contractId)),
      UpdateExpression: `ADD ${parts.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

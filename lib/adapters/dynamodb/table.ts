import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { INDEXES } from './keys.js';

/** Attribute DynamoDB's TTL deletes by (epoch seconds): setup sessions and email codes. */
export const TTL_ATTRIBUTE = 'ttl';

/**
 * The table's shape, shared by the CDK app, the local stack and the tests so they cannot drift.
 * Indexes that only find ids project just the id.
 */
export function contractTableDefinition(tableName: string): CreateTableCommandInput {
  const s = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  const gsi = (index: (typeof INDEXES)[keyof typeof INDEXES], projection: 'ALL' | 'IDS') => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.pk, KeyType: 'HASH' as const },
      { AttributeName: index.sk, KeyType: 'RANGE' as const },
    ],
    Projection:
      projection === 'ALL'
        ? { ProjectionType: 'ALL' as const }
        : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: ['contractId'] },
  });
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      s('pk'),
      s('sk'),
      ...Object.values(INDEXES).flatMap((index) => [s(index.pk), s(index.sk)]),
    ],
    // The stream is the outbox's way out: audit entries, notice claims and ledger changes
    // become events for the vendor's product (functions/event-publisher).
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    GlobalSecondaryIndexes: [
      gsi(INDEXES.byStatus, 'ALL'),
      gsi(INDEXES.byAccount, 'IDS'),
      gsi(INDEXES.byBusiness, 'ALL'),
      gsi(INDEXES.byCustomer, 'IDS'),
      gsi(INDEXES.byExpiry, 'ALL'),
    ],
  };
}

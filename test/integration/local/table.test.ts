import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { contractTableDefinition } from '../../../lib/adapters/dynamodb/table.js';
import { ensureContractTable } from '../../../local/stack/table.js';

const client = () =>
  new DynamoDBClient({
    endpoint: inject('dynamoEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });

describe('local stack table', () => {
  it('creates the table with the deployed definition once, and keeps it on the next start', async () => {
    const name = `local-${Date.now()}`;
    expect(await ensureContractTable(inject('dynamoEndpoint'), name)).toBe(true);
    expect(await ensureContractTable(inject('dynamoEndpoint'), name)).toBe(false);
  });

  it('refuses a kept table that predates an index, and says to start with --fresh', async () => {
    const name = `old-${Date.now()}`;
    const current = contractTableDefinition(name);
    const admin = client();
    await admin.send(
      new CreateTableCommand({
        ...current,
        GlobalSecondaryIndexes: current.GlobalSecondaryIndexes?.filter((g) => g.IndexName !== 'byExpiry'),
        AttributeDefinitions: current.AttributeDefinitions?.filter(
          (a) => !a.AttributeName?.startsWith('gsi5'),
        ),
      }),
    );
    admin.destroy();
    await expect(ensureContractTable(inject('dynamoEndpoint'), name)).rejects.toThrow(/byExpiry.*--fresh/);
  });
});

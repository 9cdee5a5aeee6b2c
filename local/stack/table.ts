import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { contractTableDefinition, TTL_ATTRIBUTE } from '../../lib/adapters/dynamodb/table.js';

/**
 * Creates the contracts table with the deployed definition (keys, indexes, TTL) unless a
 * previous run left it in the persisted database. Returns whether it was created.
 */
export async function ensureContractTable(endpoint: string, tableName: string): Promise<boolean> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    try {
      const existing = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const has = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
      const missing = (contractTableDefinition(tableName).GlobalSecondaryIndexes ?? [])
        .map((g) => g.IndexName ?? '')
        .filter((name) => !has.has(name));
      if (missing.length > 0) {
        throw new Error(
          `The kept local table ${tableName} predates the index(es) ${missing.join(', ')}, and its rows ` +
            'lack their keys: start once with `npm start -- --fresh`.',
        );
      }
      return false;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await client.send(new CreateTableCommand(contractTableDefinition(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
    return true;
  } finally {
    client.destroy();
  }
}

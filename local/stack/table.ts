import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { contractTableDefinition, TTL_ATTRIBUTE } from '../../lib/adapters/dynamodb/table.js';

/**
 * Creates the contracts table with the deployed definition (keys, indexes, TTL, stream) unless a
 * previous run left it in the persisted database; a kept table from before the stream gets it
 * turned on. Returns whether it was created; `contractTableStreamArn` gives its stream.
 */
export async function ensureContractTable(endpoint: string, tableName: string): Promise<boolean> {
  return withClient(endpoint, async (client) => {
    const existing = await describeTable(client, tableName);
    if (existing) {
      assertIndexes(existing, tableName);
      await ensureStream(client, existing, tableName);
      return false;
    }
    await client.send(new CreateTableCommand(contractTableDefinition(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
    return true;
  });
}

/** The ARN of the table's current stream (DescribeTable `LatestStreamArn`), for the stream poller. */
export async function contractTableStreamArn(endpoint: string, tableName: string): Promise<string> {
  return withClient(endpoint, async (client) => {
    const table = await describeTable(client, tableName);
    const arn = table?.StreamSpecification?.StreamEnabled ? table.LatestStreamArn : undefined;
    if (!arn) throw new Error(`The local table ${tableName} has no stream: run ensureContractTable first`);
    return arn;
  });
}

async function withClient<T>(endpoint: string, use: (client: DynamoDBClient) => Promise<T>): Promise<T> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

function assertIndexes(existing: TableDescription, tableName: string): void {
  const has = new Set((existing.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
  const missing = (contractTableDefinition(tableName).GlobalSecondaryIndexes ?? [])
    .map((g) => g.IndexName ?? '')
    .filter((name) => !has.has(name));
  if (missing.length > 0) {
    throw new Error(
      `The kept local table ${tableName} predates the index(es) ${missing.join(', ')}, and its rows ` +
        'lack their keys: start once with `npm start -- --fresh`.',
    );
  }
}

/**
 * Turns the stream on for a table kept from before it existed. Its rows written until now are in
 * no stream, so the events of those writes are not published; later writes are.
 */
async function ensureStream(
  client: DynamoDBClient,
  existing: TableDescription,
  tableName: string,
): Promise<void> {
  const wanted = contractTableDefinition(tableName).StreamSpecification;
  const current = existing.StreamSpecification;
  if (!wanted?.StreamEnabled) return;
  if (current?.StreamEnabled) {
    if (current.StreamViewType === wanted.StreamViewType) return;
    throw new Error(
      `The kept local table ${tableName} has a ${current.StreamViewType} stream, not ` +
        `${wanted.StreamViewType}: start once with \`npm start -- --fresh\`.`,
    );
  }
  await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: wanted }));
}

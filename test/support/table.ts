import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { contractTableDefinition } from '../../lib/adapters/dynamodb/table.js';

export interface TestTable {
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
  /** Commands sent through `client`, by name (PutCommand, TransactWriteCommand …). */
  readonly calls: Map<string, number>;
  writes(): number;
  resetCalls(): void;
  drop(): Promise<void>;
}

const WRITE_COMMANDS = new Set([
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'TransactWriteCommand',
  'BatchWriteCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);

/**
 * A fresh table with the production definition on DynamoDB Local, and a client that counts its
 * calls. The stream only when a test reads it (`{ stream: true }`): DynamoDB Local keeps every
 * stream record of every table and slows down as they pile up (ARCHITECTURE.md, known limits),
 * and in AWS the stream changes nothing a write does.
 */
export async function createTestTable(endpoint: string, { stream = false } = {}): Promise<TestTable> {
  const tableName = `contracts-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { StreamSpecification, ...definition } = contractTableDefinition(tableName);
  await admin.send(new CreateTableCommand(stream ? { ...definition, StreamSpecification } : definition));
  const client = createDocumentClient({ endpoint, region: 'us-east-1' });
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return {
    tableName,
    client,
    calls,
    writes: () => [...calls].filter(([name]) => WRITE_COMMANDS.has(name)).reduce((sum, [, n]) => sum + n, 0),
    resetCalls: () => calls.clear(),
    drop: async () => {
      await admin.send(new DeleteTableCommand({ TableName: tableName }));
      admin.destroy();
      client.destroy();
    },
  };
}

import {
  type DynamoDBDocumentClient,
  type NativeAttributeValue,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { INDEXES } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

export type Row = Record<string, NativeAttributeValue>;

/** Attributes that exist only for storage: keys, index keys, the entity tag and TTL. */
const STORAGE_ONLY = new Set([
  'pk',
  'sk',
  'entity',
  TTL_ATTRIBUTE,
  ...Object.values(INDEXES).flatMap((index) => [index.pk, index.sk]),
]);

/** A stored row back as the domain record it was written from. */
export function domainFields<T>(row: Row): T {
  return Object.fromEntries(Object.entries(row).filter(([name]) => !STORAGE_ONLY.has(name))) as T;
}

/** Every page of a Query (a page ends at 1 MB or Limit; LastEvaluatedKey says there is more). */
export async function queryAllPages(
  client: DynamoDBDocumentClient,
  tableName: string,
  input: Omit<QueryCommandInput, 'TableName'>,
): Promise<Row[]> {
  const rows: Row[] = [];
  let ExclusiveStartKey: Row | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, TableName: tableName, ExclusiveStartKey }));
    rows.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return rows;
}

import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Row } from '../../../lib/adapters/dynamodb/rows.js';

const keyOf = (row: Row) => `${String(row.pk)}|${String(row.sk)}`;

/**
 * Every row of a test table, in key order. A Scan is fine here: this is the test reading the
 * whole (small) table to check it, not a request path.
 */
export async function scanTable(client: DynamoDBDocumentClient, tableName: string): Promise<Row[]> {
  const rows: Row[] = [];
  let ExclusiveStartKey: Row | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    rows.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return rows.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
}

/**
 * Puts the table back to `rows` exactly, from `present` (what a scan just read: it is not read
 * again): deletes the rows the snapshot does not have, writes those it has otherwise. Much
 * cheaper than a new table on DynamoDB Local (130 ms), which is what lets a few hundred crash
 * trials fit the CI budget.
 */
export async function restoreTable(
  client: DynamoDBDocumentClient,
  tableName: string,
  rows: readonly Row[],
  present: readonly Row[],
): Promise<void> {
  const wanted = new Map(rows.map((row) => [keyOf(row), row]));
  const now = new Map(present.map((row) => [keyOf(row), JSON.stringify(row)]));
  const requests = [
    ...present
      .filter((row) => !wanted.has(keyOf(row)))
      .map((row) => ({ DeleteRequest: { Key: { pk: row.pk, sk: row.sk } } })),
    ...rows
      .filter((row) => now.get(keyOf(row)) !== JSON.stringify(row))
      .map((row) => ({ PutRequest: { Item: row } })),
  ];
  for (let i = 0; i < requests.length; i += 25) {
    let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
    while (pending && pending.length > 0) {
      const out = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }),
      );
      pending = out.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
    }
  }
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';

/**
 * What the per-function yardsticks share: their clients configured as the functions' own
 * factories configure them (an endpoint and dummy credentials when the local stack gives one,
 * nothing in AWS), and the requests of a first sync, written by hand. Their rows live under YARDSTICK# keys,
 * out of the partitions the functions and the sales list read.
 */

/** `{ endpoint, credentials }` for a local stand-in, `{}` in AWS. */
export function local(endpoint: string | undefined) {
  return endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {};
}

/** A DocumentClient as the functions build theirs. */
export function documentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(local(process.env.DYNAMODB_ENDPOINT)), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** The marketplace clients' options: us-east-1, the SDK's retries off (the functions retry themselves). */
export function marketplaceOptions() {
  return { region: 'us-east-1', maxAttempts: 1, ...local(process.env.MARKETPLACE_ENDPOINT) };
}

export const tableName = (): string => process.env.TABLE_NAME ?? 'bench';

/** A license's id from any spelling of its ARN (`…:license:l-…`, `…:l-…`). */
export const licenseIdOf = (arn: string): string => /l-[0-9a-f]+$/.exec(arn)?.[0] ?? arn;

export interface Buyer {
  readonly productCode: string;
  readonly licenseId: string;
  readonly customerAWSAccountId: string;
}

/** GetEntitlements for the buyer's account, one page. */
export function entitlementsOf(buyer: Buyer) {
  return {
    ProductCode: buyer.productCode,
    Filter: { CUSTOMER_AWS_ACCOUNT_ID: [buyer.customerAWSAccountId] },
    MaxResults: 25,
  };
}

/** The consistent Query that reads one contract with its items (none yet, on a first sync). */
export function contractQuery({ productCode, licenseId }: Buyer) {
  return {
    TableName: tableName(),
    ConsistentRead: true,
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: {
      ':pk': `YARDSTICK#${productCode}~L~${licenseId}`,
      ':from': 'CONTRACT',
      ':to': 'ITEM#~',
    },
  };
}

interface EntitlementRow {
  readonly Value?: { readonly IntegerValue?: number };
  readonly ExpirationDate?: Date;
}

/**
 * A new contract's transaction as a first sync writes it: contract, item and audit rows, the
 * summary shard's totals and the month and day items of its expiry buckets (six actions).
 */
export function firstSyncWrite(buyer: Buyer, rows: readonly EntitlementRow[], now: string) {
  const TableName = tableName();
  const pk = `YARDSTICK#${buyer.productCode}~L~${buyer.licenseId}`;
  const credits = rows.reduce((sum, row) => sum + (row.Value?.IntegerValue ?? 0), 0);
  const expiresAt = rows[0]?.ExpirationDate?.toISOString() ?? now;
  const contract: Record<string, NativeAttributeValue> = {
    pk,
    sk: 'CONTRACT',
    ...buyer,
    setupState: 'pending-setup',
    term: 'current',
    expiresAt,
    activeCredits: credits,
    createdAt: now,
    version: 1,
    gsi1pk: `YARDSTICK-STATUS#${buyer.productCode}`,
    gsi1sk: `${expiresAt}#${pk}`,
    gsi2pk: `YARDSTICK-ACCOUNT#${buyer.customerAWSAccountId}`,
    gsi2sk: pk,
    gsi5pk: `YARDSTICK-EXPIRY#${buyer.productCode}`,
    gsi5sk: `${expiresAt}#${pk}`,
  };
  const isNew = 'attribute_not_exists(pk)';
  const [month, day, hour] = [7, 10, 13].map((n) => expiresAt.slice(0, n));
  return {
    TransactItems: [
      { Put: { TableName, Item: contract, ConditionExpression: isNew } },
      { Put: { TableName, Item: { pk, sk: 'ITEM#0001', credits, expiresAt, origin: 'purchase' } } },
      {
        Put: {
          TableName,
          Item: { pk, sk: 'AUDIT#000001', at: now, after: contract },
          ConditionExpression: isNew,
        },
      },
      {
        Update: {
          TableName,
          Key: { pk: 'YARDSTICK-SUMMARY', sk: 'SUMMARY' },
          UpdateExpression: 'ADD #count :one, #credits :credits, #n :one, #c :credits',
          ExpressionAttributeNames: {
            '#count': 'count_pending_setup',
            '#credits': 'activeCredits',
            '#n': `exp:${month}:pending-setup`,
            '#c': `exp:${month}:credits`,
          },
          ExpressionAttributeValues: { ':one': 1, ':credits': credits },
        },
      },
      // The expiry buckets one level down: the month's item counts the day, the day's the hour.
      ...[
        [month, day],
        [day, hour],
      ].map(([item, bucket]) => ({
        Update: {
          TableName,
          Key: { pk: 'YARDSTICK-SUMMARY', sk: `EXPIRY#${item}` },
          UpdateExpression: 'ADD #n :one, #c :credits',
          ExpressionAttributeNames: { '#n': `exp:${bucket}:pending-setup`, '#c': `exp:${bucket}:credits` },
          ExpressionAttributeValues: { ':one': 1, ':credits': credits },
        },
      })),
    ],
  };
}

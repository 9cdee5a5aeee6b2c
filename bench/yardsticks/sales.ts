import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { documentClient, tableName } from './local.js';

/**
 * Yardstick for sales: a bare handler with the one client the function builds at module scope
 * (DynamoDB documents), whose GET /contracts makes the same call as the first page: one Query
 * per configured product on the byExpiry index, a page of 51, all at once. It reads the very
 * contracts the function lists and answers them as JSON, with no router, logger or views.
 */
const documents = documentClient();
const products = JSON.parse(process.env.PRODUCTS ?? '[]') as { productCode: string }[];

export const handler = async (): Promise<APIGatewayProxyStructuredResultV2> => {
  const pages = await Promise.all(
    products.map(({ productCode }) =>
      documents.send(
        new QueryCommand({
          TableName: tableName(),
          IndexName: 'byExpiry',
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'gsi5pk' },
          ExpressionAttributeValues: { ':pk': `EXPIRY#${productCode}` },
          Limit: 51,
        }),
      ),
    ),
  );
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contracts: pages.flatMap((page) => page.Items ?? []).slice(0, 50) }),
  };
};

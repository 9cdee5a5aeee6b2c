import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { documentClient, local, tableName } from './local.js';

/**
 * Yardstick for the license API: a bare handler with the clients the function builds at module
 * scope (DynamoDB documents, and SES for the over-allocation mail: the fair yardstick is both,
 * not DynamoDB alone, since the function must load SES to send that mail), whose PUT
 * /businesses/{id}/allocations/{service} makes the same calls with the same concurrency: the
 * ledger's GetItem and the conditional UpdateItem that adds the allocation and takes its
 * credits from the balance, whose returned item is the usage it answers. It reads and writes the very rows the function would (the run's own fresh business).
 * No router, no logger, no validation, no domain.
 */
const documents = documentClient();
const ses = new SESClient(
  process.env.SES_ENDPOINT ? { region: 'us-east-1', ...local(process.env.SES_ENDPOINT) } : {},
);
const rates = new Map(
  (
    JSON.parse(process.env.PRODUCTS ?? '[]') as {
      productCode: string;
      services?: Record<string, { creditsPerUnit: number }>;
    }[]
  ).flatMap((p) =>
    Object.entries(p.services ?? {}).map(([id, s]) => [id, { productCode: p.productCode, ...s }] as const),
  ),
);

const get = (pk: string, sk: string) =>
  documents.send(new GetCommand({ TableName: tableName(), Key: { pk, sk }, ConsistentRead: true }));

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const [, , businessId = '', , service = ''] = event.rawPath.split('/');
  const { units } = JSON.parse(event.body ?? '{}') as { units: number };
  const pk = `BUSINESS#${businessId}`;
  const rate = rates.get(service);
  const credits = units * (rate?.creditsPerUnit ?? 1);
  await get(pk, 'LEDGER');
  const now = new Date().toISOString();
  const written = await documents.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: { pk, sk: 'LEDGER' },
      UpdateExpression: 'SET #a.#s = :alloc, #upd = :now ADD #alc :d, #bal :neg, #rev :one',
      ConditionExpression:
        '#bal >= :d AND (attribute_not_exists(#ee) OR #ee > :now) AND attribute_not_exists(#a.#s)',
      ExpressionAttributeNames: {
        '#a': 'allocations',
        '#s': service,
        '#alc': 'allocated',
        '#bal': 'balance',
        '#rev': 'revision',
        '#upd': 'updatedAt',
        '#ee': 'earliestExpiry',
      },
      ExpressionAttributeValues: {
        ':alloc': { service, productCode: rate?.productCode, units, credits, updatedAt: now },
        ':now': now,
        ':d': credits,
        ':neg': -credits,
        ':one': 1,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  // As the route: the usage comes from the ledger the write returned.
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ usage: written.Attributes }),
  };
};

/** The over-allocation mail: not sent by this PUT, but the license API bundles SendEmail, so this does too. */
export const sendNotice = (to: string, text: string) =>
  ses.send(
    new SendEmailCommand({
      Source: process.env.SENDER_EMAIL ?? 'no-reply@vendor.example',
      Destination: { ToAddresses: [to] },
      Message: { Subject: { Data: 'Over-allocated' }, Body: { Text: { Data: text } } },
    }),
  );

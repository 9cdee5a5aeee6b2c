import { createHash, randomBytes } from 'node:crypto';
import {
  GetEntitlementsCommand,
  MarketplaceEntitlementServiceClient,
} from '@aws-sdk/client-marketplace-entitlement-service';
import { MarketplaceMeteringClient, ResolveCustomerCommand } from '@aws-sdk/client-marketplace-metering';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  contractQuery,
  documentClient,
  entitlementsOf,
  firstSyncWrite,
  licenseIdOf,
  local,
  marketplaceOptions,
  tableName,
} from './local.js';

/**
 * Yardstick for the setup function: a bare handler with the clients setup builds at module
 * scope (DynamoDB documents, marketplace metering and entitlements, SES), configured as its
 * factories configure them, whose marketplace POST makes the same calls with the same
 * concurrency: the source address's budget (UpdateItem), ResolveCustomer, then GetEntitlements ∥
 * the contract's Query, then the first sync's transaction ∥ the session's transaction (the
 * session with the token's first-POST record). No router, no logger, no validation, no pages.
 */
const documents = documentClient();
const metering = new MarketplaceMeteringClient(marketplaceOptions());
const entitlements = new MarketplaceEntitlementServiceClient(marketplaceOptions());
const ses = new SESClient(
  process.env.SES_ENDPOINT ? { region: 'us-east-1', ...local(process.env.SES_ENDPOINT) } : {},
);

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const body = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString()
    : (event.body ?? '');
  const token = new URLSearchParams(body).get('x-amzn-marketplace-token') ?? '';
  const arrived = Date.now();
  await documents.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: {
        pk: `YARDSTICK-BUDGET#${event.requestContext.http.sourceIp}`,
        sk: String(arrived - (arrived % 600_000)),
      },
      UpdateExpression: 'SET #ttl = :ttl ADD #n :one',
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :limit',
      ExpressionAttributeNames: { '#n': 'taken', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':ttl': Math.floor(arrived / 1000) + 3600, ':one': 1, ':limit': 20 },
    }),
  );
  const customer = await metering.send(new ResolveCustomerCommand({ RegistrationToken: token }));
  const buyer = {
    productCode: customer.ProductCode ?? '',
    licenseId: licenseIdOf(customer.LicenseArn ?? ''),
    customerAWSAccountId: customer.CustomerAWSAccountId ?? '',
  };
  const [rows] = await Promise.all([
    entitlements.send(new GetEntitlementsCommand(entitlementsOf(buyer))),
    documents.send(new QueryCommand(contractQuery(buyer))),
  ]);
  const now = new Date();
  const cookie = randomBytes(32).toString('base64url');
  await Promise.all([
    documents.send(
      new TransactWriteCommand(firstSyncWrite(buyer, rows.Entitlements ?? [], now.toISOString())),
    ),
    documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tableName(),
              Item: {
                pk: `YARDSTICK-TOKEN#${createHash('sha256').update(token).digest('base64url')}`,
                sk: 'TOKEN',
                expiresAt: new Date(now.getTime() + 4 * 3600_000).toISOString(),
                ttl: Math.floor(now.getTime() / 1000) + 5 * 3600,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: tableName(),
              Item: {
                pk: `YARDSTICK-SETUP#${cookie}`,
                sk: 'SETUP',
                ...buyer,
                step: 'email',
                csrfToken: randomBytes(32).toString('base64url'),
                createdAt: now.toISOString(),
                ttl: Math.floor(now.getTime() / 1000) + 4 * 3600,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    ),
  ]);
  return {
    statusCode: 303,
    headers: { location: '/setup' },
    body: '',
    cookies: [`__Host-setup=${cookie}; Path=/; Max-Age=14400; HttpOnly; Secure; SameSite=Lax`],
  };
};

/** The email-code step's call: not made by the POST, but setup bundles SendEmail, so this does too. */
export const sendCode = (to: string, code: string) =>
  ses.send(
    new SendEmailCommand({
      Source: process.env.SENDER_EMAIL ?? 'no-reply@vendor.example',
      Destination: { ToAddresses: [to] },
      Message: { Subject: { Data: 'Your code' }, Body: { Text: { Data: `Your code is ${code}` } } },
    }),
  );

import {
  GetEntitlementsCommand,
  MarketplaceEntitlementServiceClient,
} from '@aws-sdk/client-marketplace-entitlement-service';
import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  contractQuery,
  documentClient,
  entitlementsOf,
  firstSyncWrite,
  licenseIdOf,
  local,
  marketplaceOptions,
} from './local.js';

/**
 * Yardstick for marketplace-events: a bare handler with the clients the function builds at
 * module scope (DynamoDB documents, marketplace entitlements, SES for the over-allocation
 * mail), configured as its factories configure them, that makes the same calls for a new
 * license's `License Updated` with the same concurrency: GetEntitlements ∥ the contract's Query,
 * then the first sync's transaction, one record after the other. No schema, no logger, no domain.
 */
const documents = documentClient();
const entitlements = new MarketplaceEntitlementServiceClient(marketplaceOptions());
const ses = new SESClient(
  process.env.SES_ENDPOINT ? { region: 'us-east-1', ...local(process.env.SES_ENDPOINT) } : {},
);

interface LicenseEvent {
  readonly detail: {
    readonly product: { readonly code: string };
    readonly license: { readonly arn: string };
    readonly acceptor: { readonly accountId: string };
  };
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  for (const record of event.Records) {
    const { detail } = JSON.parse(record.body) as LicenseEvent;
    const buyer = {
      productCode: detail.product.code,
      licenseId: licenseIdOf(detail.license.arn),
      customerAWSAccountId: detail.acceptor.accountId,
    };
    const [rows] = await Promise.all([
      entitlements.send(new GetEntitlementsCommand(entitlementsOf(buyer))),
      documents.send(new QueryCommand(contractQuery(buyer))),
    ]);
    await documents.send(
      new TransactWriteCommand(firstSyncWrite(buyer, rows.Entitlements ?? [], new Date().toISOString())),
    );
  }
  return { batchItemFailures: [] };
};

/** The over-allocation mail: not sent by a first sync, but marketplace-events bundles SendEmail, so this does too. */
export const sendNotice = (to: string, text: string) =>
  ses.send(
    new SendEmailCommand({
      Source: process.env.SENDER_EMAIL ?? 'no-reply@vendor.example',
      Destination: { ToAddresses: [to] },
      Message: { Subject: { Data: 'Over-allocated' }, Body: { Text: { Data: text } } },
    }),
  );

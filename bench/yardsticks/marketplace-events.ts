import {
  GetEntitlementsCommand,
  MarketplaceEntitlementServiceClient,
} from '@aws-sdk/client-marketplace-entitlement-service';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  contractQuery,
  documentClient,
  entitlementsOf,
  firstSyncWrite,
  licenseIdOf,
  marketplaceOptions,
} from './local.js';

/**
 * Yardstick for marketplace-events: a bare handler with the clients the function builds at
 * module scope (DynamoDB documents, marketplace entitlements), configured as its factories
 * configure them, that makes the same calls for a new license's `License Updated` with the
 * same concurrency: GetEntitlements ∥ the contract's Query, then the first sync's transaction,
 * one record after the other. No schema, no logger, no domain.
 */
const documents = documentClient();
const entitlements = new MarketplaceEntitlementServiceClient(marketplaceOptions());

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

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';
import { MarketplaceMeteringClient } from '@aws-sdk/client-marketplace-metering';
import { SESClient } from '@aws-sdk/client-ses';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Yardstick: every AWS client this backend uses (DynamoDB documents, marketplace metering and
 * entitlements, SES), all built at module scope, as a handler that needs them all would.
 */
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const metering = new MarketplaceMeteringClient({ region: 'us-east-1' });
const entitlements = new MarketplaceEntitlementServiceClient({ region: 'us-east-1' });
const ses = new SESClient({});

export const handler = async (): Promise<string[]> => [
  documents.config.apiVersion,
  metering.config.apiVersion,
  entitlements.config.apiVersion,
  ses.config.apiVersion,
];

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Yardstick: the least a handler that reads and writes DynamoDB must load at a cold start, a
 * DocumentClient built at module scope. Built with the functions' own bundling options.
 */
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (): Promise<string> => documents.config.apiVersion;

import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:PORT` of the DynamoDB Local shared by the integration project. */
    dynamoEndpoint: string;
  }
}

/**
 * One in-memory DynamoDB Local for the whole integration project, on a free loopback port.
 * `-sharedDb` so that every client sees the same tables whatever credentials or region it uses;
 * tests isolate themselves with unique table names.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamo = await startDynamoDbLocal({ inMemory: true, sharedDb: true });
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The SDK's Node handler waits forever by default, so a hung call would run to the Lambda timeout.
 * DynamoDB answers in milliseconds: 1 s to connect and 2 s per attempt are faults, not load. The
 * SDK's own retries (4 attempts for DynamoDB; a TimeoutError is transient) then give up on a hung
 * table within about 9 s, inside the 15 s of setup and sales. `throwOnRequestTimeout` makes a
 * breach an error instead of a logged warning; the socket timeout covers a body that stops halfway.
 */
export const DYNAMODB_HTTP = {
  connectionTimeout: 1000,
  requestTimeout: 2000,
  socketTimeout: 2000,
  throwOnRequestTimeout: true,
} as const;

/**
 * DynamoDB Local (an `endpoint` is given) is one JVM on the same machine as its callers, and tests
 * run a hundred requests at once through one client, queueing for its 50 sockets; the request
 * timeout counts that wait. 2 s there measured 57 of 100 concurrent activations failing, so the
 * local stack gets 10 s per attempt; connecting to loopback stays bounded at 1 s.
 */
export const DYNAMODB_LOCAL_HTTP = {
  ...DYNAMODB_HTTP,
  requestTimeout: 10_000,
  socketTimeout: 10_000,
} as const;

export interface DocumentClientOptions {
  /** DynamoDB Local's URL for the local stack and tests; absent in AWS. */
  readonly endpoint?: string;
  readonly region?: string;
  /** Other timeouts than `DYNAMODB_HTTP` / `DYNAMODB_LOCAL_HTTP` (tests of a hung endpoint). */
  readonly timeouts?: { readonly connectionTimeout?: number; readonly requestTimeout?: number };
}

export function createDocumentClient({
  endpoint,
  region,
  timeouts,
}: DocumentClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    requestHandler: {
      ...(endpoint ? DYNAMODB_LOCAL_HTTP : DYNAMODB_HTTP),
      ...timeouts,
      ...(timeouts?.requestTimeout ? { socketTimeout: timeouts.requestTimeout } : {}),
    },
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * PutEvents and SendMessageBatch answer in tens of milliseconds: 1 s to connect and 3 s per
 * attempt are faults. With the SDK's 3 attempts a hung endpoint costs about 10 s of the
 * publisher's 30, and the stream retries the batch.
 */
export const EVENTS_HTTP = {
  connectionTimeout: 1000,
  requestTimeout: 3000,
  socketTimeout: 3000,
  throwOnRequestTimeout: true,
} as const;

const local = (endpoint: string | undefined) =>
  endpoint
    ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {};

/** EventBridge in the function's region, or the local event console when an endpoint is given. */
export function createEventBridgeClient({
  endpoint,
}: {
  readonly endpoint?: string;
} = {}): EventBridgeClient {
  return new EventBridgeClient({ requestHandler: EVENTS_HTTP, ...local(endpoint) });
}

/** SQS in the function's region, or local SQS when an endpoint is given. */
export function createSqsClient({ endpoint }: { readonly endpoint?: string } = {}): SQSClient {
  return new SQSClient({ requestHandler: EVENTS_HTTP, ...local(endpoint) });
}

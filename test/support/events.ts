import { readFileSync } from 'node:fs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

/** Every fixture under events/, by path without `.json`. Adding a file means adding its name here. */
export type EventFixture =
  | 'sns/entitlement-updated'
  | 'sns/subscribe-success'
  | 'sns/subscribe-success-free-trial'
  | 'sns/subscribe-fail'
  | 'sns/unsubscribe-pending'
  | 'sns/unsubscribe-success'
  | 'sns-raw/entitlement-updated'
  | 'sns-raw/subscribe-success'
  | 'eventbridge/license-updated'
  | 'eventbridge/license-deprovisioned'
  | 'eventbridge/agreement-created-proposer'
  | 'eventbridge/agreement-created-renewal-manufacturer'
  | 'eventbridge/agreement-amended-proposer'
  | 'eventbridge/agreement-ended-proposer'
  | 'eventbridge/agreement-ending-proposer'
  | 'invalid/sns-unknown-action'
  | 'invalid/sns-foreign-product'
  | 'invalid/sns-message-not-json'
  | 'invalid/eventbridge-unknown-detail-type'
  | 'invalid/eventbridge-missing-acceptor'
  | 'invalid/eventbridge-wrong-source';

/** The identities every fixture uses (events/README.md). */
export const FIXTURE = {
  productCode: 'a1b2c3d4e5credits0example',
  productId: 'prod-credits0example',
  customerIdentifier: 'X01EXAMPLEX',
  accountId: '111122223333',
  licenseId: 'l-0123456789abcdef0123456789abcdef',
  licenseArn: 'arn:aws:license-manager::111122223333:license:l-0123456789abcdef0123456789abcdef',
  agreementId: 'agmt-4mwg1nevbokzw95eca5797ixs',
} as const;

const root = new URL('../../events/', import.meta.url);

/** The SQS body of a fixture, as text exactly as stored (raw fixtures may be lenient JSON). */
export function fixtureBody(name: EventFixture): string {
  return readFileSync(new URL(`${name}.json`, root), 'utf8');
}

/** A fresh, mutable copy of a fixture's JSON, to vary one field in one test. */
export function fixtureJson<T = Record<string, unknown>>(name: EventFixture): T {
  return JSON.parse(fixtureBody(name)) as T;
}

let sequence = 0;

/** Wraps a body into an SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(body: string | object, overrides: Partial<SQSRecord> = {}): SQSRecord {
  sequence += 1;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    messageId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
    receiptHandle: `receipt-${sequence}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.parse('2026-03-29T05:12:17.000Z')),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.parse('2026-03-29T05:12:18.000Z')),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456512334:marketplace-events',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export function fixtureRecord(name: EventFixture, overrides: Partial<SQSRecord> = {}): SQSRecord {
  return sqsRecord(fixtureBody(name), overrides);
}

/** The fulfillment URL POST (events/function-url/marketplace-post.json) carrying `token`. */
export function marketplacePostEvent(token: string): import('aws-lambda').APIGatewayProxyEventV2 {
  const event = JSON.parse(readFileSync(new URL('function-url/marketplace-post.json', root), 'utf8'));
  const form = Buffer.from(event.body, 'base64')
    .toString('utf8')
    .replace('%7BTOKEN%7D', encodeURIComponent(token));
  return { ...event, body: Buffer.from(form).toString('base64') };
}

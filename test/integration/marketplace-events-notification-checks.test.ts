import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createMarketplaceEventsHandler } from '../../functions/marketplace-events/create-handler.js';
import { MAX_CLOCK_SKEW_MS } from '../../functions/marketplace-events/schema.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { contractIdOf } from '../../lib/domain/contract/identity.js';
import type { ContractRepository } from '../../lib/domain/contract/ports.js';
import { MarketplaceSimulator, type RunningSimulator } from '../../local/marketplace-simulator/index.js';
import { FIXTURE, fixtureJson, sqsEvent, sqsRecord } from '../support/events.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * Issue 12 items 5 and 12 through the marketplace-events handler, on DynamoDB Local and the
 * marketplace simulator: a twice-encoded SNS Message converges; a foreign topic and a date from
 * the future are dead-lettered (batch item failures) and write nothing.
 */

const contractId = contractIdOf({
  kind: 'license',
  productCode: FIXTURE.productCode,
  licenseId: FIXTURE.licenseId,
});
const YEAR = 365 * 24 * 3600 * 1000;

let received = new Date('2026-12-01T00:00:00.000Z');
const simulator = new MarketplaceSimulator();
let running: RunningSimulator;
let table: TestTable;
let contracts: ContractRepository;
let handle: (...records: SQSRecord[]) => Promise<SQSBatchResponse>;

/** Fixtures added for issue 12 that test/support/events.ts does not name yet. */
const newFixture = (path: string) =>
  readFileSync(new URL(`../../events/${path}.json`, import.meta.url), 'utf8');

beforeAll(async () => {
  running = await simulator.start();
});
afterAll(async () => {
  await running.close();
});

beforeEach(async () => {
  received = new Date('2026-12-01T00:00:00.000Z');
  for (const license of simulator.listLicenses()) simulator.deleteLicense(license.licenseArn);
  simulator.resetCalls();
  simulator.putLicense({
    licenseArn: FIXTURE.licenseArn,
    productCode: FIXTURE.productCode,
    customerAWSAccountId: FIXTURE.accountId,
    customerIdentifier: FIXTURE.customerIdentifier,
    entitlements: [{ dimension: 'Credits', quantity: 300, expirationDate: new Date(Date.now() + YEAR) }],
  });
  table = await createTestTable(inject('dynamoEndpoint'));
  contracts = createContractStore({ client: table.client, tableName: table.tableName });
  const entitlementClient = createEntitlementClient({ endpoint: running.endpoint });
  const handler = createMarketplaceEventsHandler({
    catalog: { products: [{ productCode: FIXTURE.productCode, productId: FIXTURE.productId }] },
    contracts,
    entitlementsFor: (remainingMs) =>
      createEntitlementReader({
        client: entitlementClient,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5, reserveMs: 1000, remainingMs },
      }),
    clock: { now: () => new Date() },
    receivedClock: { now: () => new Date(received) },
    logger: new Logger({ serviceName: 'marketplace-events', logLevel: 'SILENT' }),
  });
  handle = (...records) => handler(sqsEvent(...records), lambdaContext());
});
afterEach(async () => {
  await table.drop();
});

describe('marketplace-events handler, SNS Message encoded twice (issue 12 item 5)', () => {
  it('syncs the contract, and a redelivery writes nothing, when the Message is a JSON string of the message', async () => {
    const record = sqsRecord(newFixture('sns/entitlement-updated-double-encoded'));

    const first = await handle(record);
    table.resetCalls();
    const again = await handle(record);

    expect(first.batchItemFailures).toEqual([]);
    expect((await contracts.load(contractId))?.contract.activeCredits).toBe(300);
    expect(again.batchItemFailures).toEqual([]);
    expect(table.writes()).toBe(0);
  });

  it('dead-letters a Message encoded three times, every time it is delivered', async () => {
    const envelope = fixtureJson('sns/entitlement-updated');
    envelope.Message = JSON.stringify(JSON.stringify(envelope.Message));
    const record = sqsRecord(envelope);

    for (let delivery = 0; delivery < 2; delivery++) {
      expect((await handle(record)).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    }
    expect(table.writes()).toBe(0);
    expect(simulator.calls).toHaveLength(0);
  });
});

describe('marketplace-events handler, topic check (issue 12 item 12)', () => {
  it.each([
    ['another account', newFixture('invalid/sns-foreign-topic')],
    [
      'a product this deployment does not sell',
      JSON.stringify({
        ...fixtureJson('sns/entitlement-updated'),
        TopicArn:
          'arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-zz9someoneelses0product00',
      }),
    ],
  ])(
    'dead-letters an envelope from the topic of %s, calling nothing and writing nothing',
    async (_, body) => {
      const record = sqsRecord(body);
      const response = await handle(record);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(table.writes()).toBe(0);
      expect(simulator.calls).toHaveLength(0);
    },
  );

  it('syncs from the subscription topic of a configured product', async () => {
    const response = await handle(sqsRecord(fixtureJson('sns/subscribe-success')));
    expect(response.batchItemFailures).toEqual([]);
    expect((await contracts.load(contractId))?.contract.activeCredits).toBe(300);
  });
});

describe('marketplace-events handler, dates from the future (issue 12 item 12)', () => {
  it('dead-letters a free-trial fact dated 2099, so a later genuine fact is not overruled', async () => {
    const forged = fixtureJson('sns/subscribe-success-free-trial');
    forged.MessageId = 'forged-0000-4000-8000-000000000001';
    forged.Timestamp = '2099-01-01T00:00:00.000Z';
    const forgedRecord = sqsRecord(forged);

    const refused = await handle(forgedRecord);
    const genuine = await handle(sqsRecord(fixtureJson('sns/subscribe-success')));

    expect(refused.batchItemFailures).toEqual([{ itemIdentifier: forgedRecord.messageId }]);
    expect(genuine.batchItemFailures).toEqual([]);
    expect((await contracts.load(contractId))?.contract.facts.freeTrial).toEqual({
      value: false,
      asOf: '2026-03-29T05:10:02.114Z',
    });
  });

  it('dead-letters a License event dated 2099 and writes nothing', async () => {
    const record = sqsRecord(newFixture('invalid/eventbridge-future-time'));
    expect((await handle(record)).batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(table.writes()).toBe(0);
  });

  it('refuses an event a little beyond the skew, then syncs it on a redelivery once its time has come', async () => {
    const event = fixtureJson('eventbridge/license-updated');
    event.time = new Date(received.getTime() + MAX_CLOCK_SKEW_MS + 60_000).toISOString();
    const record = sqsRecord(event);

    const early = await handle(record);
    received = new Date(received.getTime() + 2 * 60_000);
    const redelivered = await handle(record);

    expect(early.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect((await contracts.load(contractId))?.contract.facts.agreementId?.asOf).toBe(event.time);
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { createMarketplaceEventsHandler } from '../../functions/marketplace-events/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { contractIdOf } from '../../lib/domain/contract/identity.js';
import type { ContractRepository } from '../../lib/domain/contract/ports.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { MarketplaceSimulator, type RunningSimulator } from '../../local/marketplace-simulator/index.js';
import {
  type EventFixture,
  FIXTURE,
  fixtureJson,
  fixtureRecord,
  sqsEvent,
  sqsRecord,
} from '../support/events.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const OTHER_PRODUCT = 'b2c3d4e5f6credits0example';
const catalog: ProductCatalog = {
  products: [
    {
      productCode: FIXTURE.productCode,
      productId: FIXTURE.productId,
      creditsPerUnit: { Credits: 1, CreditPack: 100 },
    },
    { productCode: OTHER_PRODUCT },
  ],
};
const contractId = contractIdOf({
  kind: 'license',
  productCode: FIXTURE.productCode,
  licenseId: FIXTURE.licenseId,
});
const MONTH = 30 * 24 * 3600 * 1000;

let now = new Date('2026-03-29T05:12:20.000Z');
const clock = { now: () => new Date(now) };
const simulator = new MarketplaceSimulator({ now: clock.now });
let running: RunningSimulator;
let table: TestTable;
let contracts: ContractRepository;
let logger: Logger;
let handle: (records: SQSRecord[], remainingMs?: () => number) => Promise<SQSBatchResponse>;

function buy(quantities: Record<string, number>, { legacy = true, months = 12 } = {}) {
  simulator.putLicense({
    licenseArn: FIXTURE.licenseArn,
    productCode: FIXTURE.productCode,
    customerAWSAccountId: FIXTURE.accountId,
    ...(legacy ? { customerIdentifier: FIXTURE.customerIdentifier } : {}),
    entitlements: Object.entries(quantities).map(([dimension, quantity]) => ({
      dimension,
      quantity,
      expirationDate: new Date(now.getTime() + months * MONTH),
    })),
  });
}

async function deliver(...names: EventFixture[]): Promise<SQSBatchResponse> {
  return handle(names.map((name) => fixtureRecord(name)));
}

beforeAll(async () => {
  running = await simulator.start();
});
afterAll(async () => {
  await running.close();
});

beforeEach(async () => {
  now = new Date('2026-03-29T05:12:20.000Z');
  for (const license of simulator.listLicenses()) simulator.deleteLicense(license.licenseArn);
  simulator.clearFaults();
  simulator.resetCalls();
  table = await createTestTable(inject('dynamoEndpoint'));
  contracts = createContractStore({ client: table.client, tableName: table.tableName });
  logger = new Logger({ serviceName: 'marketplace-events', logLevel: 'SILENT' });
  const entitlementClient = createEntitlementClient({ endpoint: running.endpoint });
  const handler = createMarketplaceEventsHandler({
    catalog,
    contracts,
    entitlementsFor: (remainingMs) =>
      createEntitlementReader({
        client: entitlementClient,
        retry: { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 5, reserveMs: 1000, remainingMs },
      }),
    clock,
    logger,
  });
  handle = (records, remainingMs) => handler(sqsEvent(...records), lambdaContext(remainingMs));
});
afterEach(async () => {
  await table.drop();
});

describe('marketplace-events handler', () => {
  it('creates a pending-setup contract with license item 1 and an audit entry when entitlement-updated arrives (R1)', async () => {
    // Arrange
    buy({ Credits: 500, CreditPack: 2 });
    // Act
    const response = await deliver('sns/entitlement-updated');
    // Assert
    expect(response.batchItemFailures).toEqual([]);
    const stored = await contracts.load(contractId);
    expect(stored?.contract).toMatchObject({
      setupState: 'pending-setup',
      term: 'current',
      activeCredits: 700,
      customerIdentifier: FIXTURE.customerIdentifier,
      customerAWSAccountId: FIXTURE.accountId,
      licenseArn: FIXTURE.licenseArn,
      version: 1,
    });
    expect(stored?.items).toEqual([expect.objectContaining({ itemNo: 1, credits: 700, origin: 'purchase' })]);
    const audit = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
        ExpressionAttributeValues: { ':pk': `CONTRACT#${contractId}`, ':a': 'AUDIT#' },
      }),
    );
    expect(audit.Items).toEqual([
      expect.objectContaining({
        version: 1,
        changes: [expect.objectContaining({ type: 'created', credits: 700 })],
        trigger: expect.objectContaining({ source: 'sns', type: 'entitlement-updated' }),
      }),
    ]);
  });

  it.each<EventFixture>([
    'sns/entitlement-updated',
    'sns/subscribe-success',
    'sns/subscribe-fail',
    'sns/unsubscribe-pending',
    'sns/unsubscribe-success',
    'sns-raw/entitlement-updated',
    'sns-raw/subscribe-success',
    'eventbridge/license-updated',
    'eventbridge/agreement-created-proposer',
    'eventbridge/agreement-created-renewal-manufacturer',
    'eventbridge/agreement-amended-proposer',
    'eventbridge/agreement-ended-proposer',
    'eventbridge/agreement-ending-proposer',
  ])('syncs the contract from GetEntitlements when %s arrives', async (name) => {
    buy({ Credits: 300 });
    const response = await deliver(name);
    expect(response.batchItemFailures).toEqual([]);
    expect((await contracts.load(contractId))?.contract.activeCredits).toBe(300);
  });

  it('writes nothing when the same notification is delivered again', async () => {
    buy({ Credits: 500 });
    await deliver('sns/entitlement-updated', 'eventbridge/license-updated');
    table.resetCalls();
    const response = await deliver(
      'sns/entitlement-updated',
      'eventbridge/license-updated',
      'sns/entitlement-updated',
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(table.writes()).toBe(0);
  });

  it('adds an upgrade item with the same expiration, then moves every item on renewal, then cancels (R6, R13)', async () => {
    buy({ Credits: 500 }, { legacy: false });
    await deliver('eventbridge/license-updated');
    const expiry = (await contracts.load(contractId))?.contract.expiresAt;

    now = new Date(now.getTime() + MONTH);
    simulator.upgrade(FIXTURE.licenseArn, { Credits: 250 });
    await deliver('eventbridge/license-updated');
    const upgraded = await contracts.load(contractId);
    expect(upgraded?.items.map((i) => [i.credits, i.expiresAt, i.origin])).toEqual([
      [500, expiry, 'purchase'],
      [250, expiry, 'upgrade'],
    ]);

    simulator.renew(FIXTURE.licenseArn, { months: 12 });
    await deliver('eventbridge/license-updated');
    const renewed = await contracts.load(contractId);
    expect(renewed?.contract.expiresAt).not.toBe(expiry);
    expect(new Set(renewed?.items.map((i) => i.expiresAt))).toEqual(new Set([renewed?.contract.expiresAt]));

    simulator.cancel(FIXTURE.licenseArn);
    await deliver('eventbridge/license-deprovisioned');
    const cancelled = await contracts.load(contractId);
    expect(cancelled?.contract).toMatchObject({ term: 'cancelled', activeCredits: 0, version: 4 });
    expect(cancelled?.items.every((i) => i.state === 'ended')).toBe(true);
  });

  it('reports only the poison message in batchItemFailures and processes the rest of the batch', async () => {
    buy({ Credits: 100 });
    const poison = [
      sqsRecord('not json at all'),
      fixtureRecord('invalid/sns-unknown-action'),
      fixtureRecord('invalid/sns-message-not-json'),
      fixtureRecord('invalid/eventbridge-unknown-detail-type'),
      fixtureRecord('invalid/eventbridge-missing-acceptor'),
      fixtureRecord('invalid/eventbridge-wrong-source'),
      sqsRecord('{"Type":"Notification"}'),
    ];
    const good = fixtureRecord('sns/entitlement-updated');
    const warn = vi.spyOn(logger, 'warn');

    const response = await handle([...poison, good]);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      poison.map((r) => r.messageId).sort(),
    );
    expect((await contracts.load(contractId))?.contract.activeCredits).toBe(100);
    expect(warn).toHaveBeenCalledTimes(poison.length);
  });

  it('acknowledges and logs a notification for a product this deployment does not sell, writing nothing', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const response = await deliver('invalid/sns-foreign-product');
    expect(response.batchItemFailures).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('does not sell'), expect.anything());
    expect(table.writes()).toBe(0);
    expect(simulator.calls).toHaveLength(0);
  });

  it('converges to one contract, one item and one audit entry when ten syncs of a new contract race', async () => {
    buy({ Credits: 500 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        deliver(n % 2 ? 'sns/entitlement-updated' : 'eventbridge/license-updated'),
      ),
    );
    expect(responses.flatMap((r) => r.batchItemFailures)).toEqual([]);
    const stored = await contracts.load(contractId);
    // Created once; the License event's agreement fact lands in the create or in one more version.
    expect(stored?.contract).toMatchObject({
      activeCredits: 500,
      facts: { agreementId: { value: FIXTURE.agreementId } },
    });
    expect(stored?.contract.version).toBeLessThanOrEqual(2);
    expect(stored?.items).toHaveLength(1);
    const audit = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
        ExpressionAttributeValues: { ':pk': `CONTRACT#${contractId}`, ':a': 'AUDIT#' },
      }),
    );
    expect(audit.Items?.map((a) => a.version)).toEqual(
      Array.from({ length: stored?.contract.version ?? 0 }, (_, n) => n + 1),
    );
    expect(
      audit.Items?.filter((a) => a.changes.some((c: { type: string }) => c.type === 'created')),
    ).toHaveLength(1);
  });

  it('converges when two syncs race an upgrade: the loser re-reads and never rolls the quantity back', async () => {
    buy({ Credits: 500 }, { legacy: false });
    await deliver('eventbridge/license-updated');
    simulator.upgrade(FIXTURE.licenseArn, { Credits: 100 });
    const racing = await Promise.all([
      deliver('eventbridge/license-updated'),
      deliver('eventbridge/license-updated'),
      deliver('eventbridge/license-updated'),
    ]);
    expect(racing.flatMap((r) => r.batchItemFailures)).toEqual([]);
    const stored = await contracts.load(contractId);
    expect(stored?.contract.activeCredits).toBe(600);
    expect(stored?.items.map((i) => i.credits)).toEqual([500, 100]);
  });

  it('still converges when the marketplace throttles and fails calls', async () => {
    buy({ Credits: 800 });
    // Deterministic: random rates would make this test fail now and then (8 attempts per call).
    simulator.failNext(3, 'throttle');
    simulator.failNext(2, 'server-error');
    const response = await deliver('sns/entitlement-updated', 'eventbridge/license-updated');
    expect(response.batchItemFailures).toEqual([]);
    expect((await contracts.load(contractId))?.contract.activeCredits).toBe(800);
    expect(simulator.calls.filter((c) => c.outcome === 'ThrottlingException')).toHaveLength(3);
    expect(simulator.calls.filter((c) => c.outcome === 'InternalServiceErrorException')).toHaveLength(2);
  });

  it('returns the message to the queue when the marketplace stays down, and succeeds on redelivery', async () => {
    buy({ Credits: 800 });
    simulator.failNext(100, 'server-error');
    const record = fixtureRecord('sns/entitlement-updated');
    const first = await handle([record]);
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await contracts.load(contractId)).toBeUndefined();

    simulator.clearFaults();
    const second = await handle([record]);
    expect(second.batchItemFailures).toEqual([]);
    expect((await contracts.load(contractId))?.contract.activeCredits).toBe(800);
  });

  it('stops retrying before the invocation runs out of time', async () => {
    buy({ Credits: 800 });
    simulator.failNext(100, 'throttle');
    const record = fixtureRecord('sns/entitlement-updated');
    const response = await handle([record], () => 500); // less than the 1000 ms reserve
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(simulator.calls).toHaveLength(1);
  });

  it('keeps the free-trial flag from subscribe-success and the newer one wins whatever the order', async () => {
    buy({ Credits: 10 });
    await deliver('sns/subscribe-success-free-trial', 'sns/subscribe-success');
    const first = (await contracts.load(contractId))?.contract.facts.freeTrial;
    await deliver('sns/subscribe-success', 'sns/subscribe-success-free-trial');
    const second = (await contracts.load(contractId))?.contract.facts.freeTrial;
    // subscribe-success-free-trial is dated 05:10:02.500, subscribe-success 05:10:02.114.
    expect(first).toEqual({ value: true, asOf: '2026-03-29T05:10:02.500Z' });
    expect(second).toEqual(first);
  });

  it('ends the contract as cancelled when unsubscribe-success arrives after the marketplace revoked it', async () => {
    buy({ Credits: 10 });
    await deliver('sns/subscribe-success');
    simulator.cancel(FIXTURE.licenseArn);
    await deliver('sns/unsubscribe-success');
    expect((await contracts.load(contractId))?.contract).toMatchObject({
      term: 'cancelled',
      activeCredits: 0,
    });
  });

  it('ends the contract when an agreement event without a product arrives after cancellation', async () => {
    buy({ Credits: 10 }, { legacy: false });
    await deliver('eventbridge/license-updated');
    simulator.cancel(FIXTURE.licenseArn);
    await deliver('eventbridge/agreement-ended-proposer');
    expect((await contracts.load(contractId))?.contract.term).toBe('cancelled');
    // Ended names no product: both configured products were asked about this buyer.
    const asked = simulator.calls.map((c) => (c.input as { ProductCode: string }).ProductCode);
    expect(new Set(asked)).toEqual(new Set([FIXTURE.productCode, OTHER_PRODUCT]));
  });

  it('records the auto-renew flag of an Amended event on the contract of that agreement only', async () => {
    buy({ Credits: 10 }, { legacy: false });
    await deliver('eventbridge/license-updated');
    await deliver('eventbridge/agreement-amended-proposer');
    expect((await contracts.load(contractId))?.contract.facts.autoRenew?.value).toBe(true);

    const otherAgreement = fixtureJson('eventbridge/agreement-amended-proposer') as {
      detail: { agreement: { id: string; autoRenewalEnabled: boolean } };
      time: string;
    };
    otherAgreement.detail.agreement = { id: 'agmt-someotheragreement', autoRenewalEnabled: false };
    otherAgreement.time = '2026-07-01T00:00:00Z';
    await handle([sqsRecord(otherAgreement)]);
    expect((await contracts.load(contractId))?.contract.facts.autoRenew?.value).toBe(true);
  });
});

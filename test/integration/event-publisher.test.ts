import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createEventPublisherHandler } from '../../functions/event-publisher/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createNoticeClaims } from '../../lib/adapters/dynamodb/notice-store.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { createEventBridgeClient } from '../../lib/adapters/events/clients.js';
import { eventIdOf } from '../../lib/adapters/events/stream-records.js';
import { createBusTarget } from '../../lib/adapters/events/targets.js';
import { ConcurrentUpdateError } from '../../lib/domain/contract/errors.js';
import { contractState, type StoredContract } from '../../lib/domain/contract/model.js';
import type { ContractChangeSet } from '../../lib/domain/contract/ports.js';
import { InsufficientCreditsError } from '../../lib/domain/credits/errors.js';
import type { EventType, OutboundEvent } from '../../lib/domain/events/catalogue.js';
import type { EventTarget } from '../../lib/domain/events/ports.js';
import type { ExpiryNotice } from '../../lib/domain/notices/ports.js';
import { activateLicense } from '../../lib/domain/setup/activate-license.js';
import type { SetupSession } from '../../lib/domain/setup/model.js';
import type { EmailMessage } from '../../lib/domain/setup/ports.js';
import {
  type BusEvent,
  type RunningEventConsole,
  startEventConsole,
} from '../../local/event-console/index.js';
import {
  type RunningStreamPoller,
  type StreamFailure,
  type StreamPollerOptions,
  startStreamPoller,
} from '../../local/stack/stream-poller.js';
import { contractTableStreamArn } from '../../local/stack/table.js';
import {
  activatedContract,
  CREDITS_PRODUCT,
  creation,
  creditsChange,
  registerBusiness,
} from '../support/credits.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const DAY = 86_400_000;
const T0 = new Date('2026-05-01T10:00:00.000Z');
const EXPIRES = new Date(T0.getTime() + 365 * DAY);
const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
const logger = new Logger({ serviceName: 'event-publisher', logLevel: 'SILENT' });

let streams: DynamoDBStreamsClient;
let table: TestTable;
let streamArn: string;
let seq = 0;
const running: RunningStreamPoller[] = [];
/** onError calls of every poller: none of these cases should make any. */
const errors: unknown[] = [];

beforeAll(() => {
  streams = new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint'), ...LOCAL });
});
afterAll(() => {
  streams.destroy();
});
beforeEach(async () => {
  table = await createTestTable(inject('dynamoEndpoint'), { stream: true });
  streamArn = await contractTableStreamArn(inject('dynamoEndpoint'), table.tableName);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  await table.drop();
  expect(errors.splice(0)).toEqual([]);
});

/** A target that keeps what it was offered and what it took; `refuse` says which events it answers as not published. */
function recorder(refuse: (event: OutboundEvent, call: number) => boolean = () => false) {
  const offered: OutboundEvent[][] = [];
  const accepted: OutboundEvent[] = [];
  const target: EventTarget = {
    name: 'recorder',
    async publish(events) {
      offered.push([...events]);
      const refused = new Set<string>();
      for (const event of events) {
        if (refuse(event, offered.length)) refused.add(event.id);
        else accepted.push(event);
      }
      return refused;
    },
  };
  return { target, offered, accepted };
}

/** The publisher (its middy chain) behind the local event source mapping, from the stream's start. */
function publish(targets: readonly EventTarget[], options: Partial<StreamPollerOptions> = {}) {
  const records: DynamoDBRecord[] = [];
  const failures: StreamFailure[] = [];
  const handler = createEventPublisherHandler({ targets, logger });
  const poller = startStreamPoller({
    client: streams,
    streamArn,
    context: () => lambdaContext(),
    idleDelayMs: 20,
    retryAttempts: 2,
    handler: async (event, context) => {
      records.push(...structuredClone(event.Records));
      return handler(event, context);
    },
    onFailure: (info) => {
      failures.push(info);
    },
    onError: (error) => errors.push(error),
    ...options,
  });
  running.push(poller);
  return { poller, records, failures };
}

const documents = () => ({ client: table.client, tableName: table.tableName });
const contracts = () => createContractStore(documents());
const ledgers = () => createLedgerStore(documents());

/** The change set that creates `stored`, its audit entry carrying the contract's state as the sync writes it. */
function created(stored: StoredContract): ContractChangeSet {
  const change = creation(stored);
  return { ...change, audit: { ...change.audit, state: contractState(stored) } };
}

/** A stored contract of `credits` credits, activated by `businessId` when given. */
function contractOf(credits: number, businessId?: string): StoredContract {
  seq += 1;
  return activatedContract(`l-pub${seq}`, credits, EXPIRES, T0, businessId);
}

/** A registered business holding one activated contract of `credits` credits. */
async function businessWith(credits: number) {
  const businessId = `biz-pub-${++seq}`;
  await registerBusiness(table, businessId);
  const stored = contractOf(credits, businessId);
  await contracts().save(created(stored));
  return { businessId, stored };
}

const ofType = (events: readonly OutboundEvent[], type: EventType) => events.filter((e) => e.type === type);
const contractEventId = (contractId: string, version: number, type: EventType) =>
  eventIdOf(`contract|${contractId}|${version}|${type}`);
const ledgerEventId = (businessId: string, revision: number, type: EventType, extra = '') =>
  eventIdOf(`ledger|${businessId}|${revision}|${type}${extra}`);
const itemsOf = (stored: StoredContract) =>
  stored.items.map(({ itemNo, origin, credits, expiresAt }) => ({ itemNo, origin, credits, expiresAt }));

const OUT = new URL('../../events/out/', import.meta.url);
/** Events keep the shape of their documented sample (`events/out/<type>.json`): the same fields, at the top and in `data`. */
function expectShapeOfSample(event: OutboundEvent) {
  const sample = JSON.parse(readFileSync(new URL(`${event.type}.json`, OUT), 'utf8')) as OutboundEvent;
  expect(Object.keys(event).sort()).toEqual(Object.keys(sample).sort());
  expect(Object.keys(event.data).sort()).toEqual(Object.keys(sample.data).sort());
  expect(event.id).toMatch(/^evt_[A-Za-z0-9_-]{24}$/);
}

describe('event publisher over the DynamoDB stream (the outbox)', () => {
  it('publishes exactly one contract.created, matching the contract and carrying no address, for a committed creation', async () => {
    // Arrange
    const stored = contractOf(1000);
    const { contract } = stored;
    await contracts().save(created(stored));
    const { target, accepted } = recorder();

    // Act
    const { poller } = publish([target]);
    await poller.idle();

    // Assert: the contract row, its item and the summary counters are in the stream too, but only the audit entry is an event.
    expect(accepted).toEqual([
      {
        id: contractEventId(contract.contractId, 1, 'contract.created'),
        type: 'contract.created',
        version: 1,
        timestamp: contract.createdAt,
        data: {
          contractId: contract.contractId,
          productCode: CREDITS_PRODUCT,
          businessId: null,
          change: { type: 'created', credits: 1000, expiresAt: EXPIRES.toISOString() },
          changes: [{ type: 'created', credits: 1000, expiresAt: EXPIRES.toISOString() }],
          contract: {
            status: 'pending-setup',
            credits: 1000,
            expiresAt: EXPIRES.toISOString(),
            autoRenew: null,
            items: [{ itemNo: 1, origin: 'purchase', credits: 1000, expiresAt: EXPIRES.toISOString() }],
          },
        },
      },
    ]);
    expectShapeOfSample(accepted[0] as OutboundEvent);
    expect(JSON.stringify(accepted)).not.toContain('@');
    expect(poller.stats.filtered).toBeGreaterThan(0);
  });

  it('publishes nothing of a contract change that rolled back (stale version) nor of an allocation that was refused', async () => {
    // Arrange: a committed creation (its two events), then writes that must leave no trace.
    const { businessId, stored } = await businessWith(100);
    const stale = { ...creditsChange(stored, 30, new Date(T0.getTime() + DAY)), expectedVersion: 7 };
    await expect(contracts().save(stale)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    await expect(
      ledgers().setAllocation(
        businessId,
        { service: 'endpoint-security', productCode: CREDITS_PRODUCT, units: 50, creditsPerUnit: 3 },
        T0,
      ),
    ).rejects.toBeInstanceOf(InsufficientCreditsError);
    const { target, accepted } = recorder();

    // Act
    const { poller } = publish([target]);
    await poller.idle();

    // Assert: only version 1 and ledger revision 1, no contract.changed, no credits.allocated.
    const ledger = await ledgers().get(businessId);
    expect(ledger?.revision).toBe(1);
    expect(accepted.map((e) => e.id).sort()).toEqual(
      [
        contractEventId(stored.contract.contractId, 1, 'contract.created'),
        ledgerEventId(businessId, 1, 'credits.changed'),
      ].sort(),
    );
    expect(accepted.map((e) => e.type).sort()).toEqual(['contract.created', 'credits.changed']);
  });

  it('gives a record delivered again the same event id, and nothing else, whether retried or replayed from the start', async () => {
    // Arrange: the target refuses its first call, so the stream delivers the record again.
    const stored = contractOf(500);
    await contracts().save(created(stored));
    const flaky = recorder((_event, call) => call === 1);

    // Act
    const first = publish([flaky.target]);
    await first.poller.idle();
    const replay = recorder();
    const second = publish([replay.target]);
    await second.poller.idle();

    // Assert
    const id = contractEventId(stored.contract.contractId, 1, 'contract.created');
    expect(flaky.offered.map((events) => events.map((e) => e.id))).toEqual([[id], [id]]);
    expect(flaky.accepted.map((e) => e.id)).toEqual([id]);
    expect(first.poller.stats).toMatchObject({ retries: 1, failed: 0, succeeded: 1 });
    expect(replay.accepted).toEqual(flaky.accepted);
    expect(first.failures).toEqual([]);
  });

  it("publishes contract.activated and credits.changed with the business's ledger for an activation, never the user's email (R3, R2)", async () => {
    // Arrange: a purchase waiting for setup, its buyer's session at review, a registered business.
    const email = 'buyer.one@acme.example';
    const businessId = 'biz-pub-activation';
    await registerBusiness(table, businessId, email);
    const stored = contractOf(1000);
    const { contractId } = stored.contract;
    await contracts().save(created(stored));
    const setups = createSetupStore(documents());
    const session: SetupSession = {
      sessionKey: 'publisher-activation-session-key',
      contractId,
      productCode: CREDITS_PRODUCT,
      freeTrialOffer: false,
      createdAt: T0.toISOString(),
      expiresAt: new Date(T0.getTime() + 4 * 3600_000).toISOString(),
      step: 'review',
      csrfToken: 'c'.repeat(43),
      email,
      businessId,
      businessName: 'Acme',
      version: 1,
    };
    await setups.createSession(session);
    const mails: EmailMessage[] = [];
    await activateLicense(session, {
      setups,
      contracts: contracts(),
      mailer: { send: async (message) => void mails.push(message) },
      clock: { now: () => T0 },
      productName: 'Example Platform',
      consoleUrl: 'https://console.example.com',
      logger: { error: () => {} },
    });
    const { target, accepted } = recorder();

    // Act
    const { poller, records } = publish([target]);
    await poller.idle();

    // Assert
    const ledger = await ledgers().get(businessId);
    if (!ledger) throw new Error('the activation wrote no ledger');
    expect(accepted.map((e) => e.type).sort()).toEqual([
      'contract.activated',
      'contract.created',
      'credits.changed',
    ]);
    const [activated] = ofType(accepted, 'contract.activated');
    expect(activated).toEqual({
      id: contractEventId(contractId, 2, 'contract.activated'),
      type: 'contract.activated',
      version: 1,
      timestamp: T0.toISOString(),
      data: {
        contractId,
        productCode: CREDITS_PRODUCT,
        businessId,
        change: { type: 'activated', businessId },
        changes: [{ type: 'activated', businessId }],
        contract: {
          status: 'active',
          credits: 1000,
          expiresAt: EXPIRES.toISOString(),
          autoRenew: null,
          items: itemsOf(stored),
        },
      },
    });
    const [changed] = ofType(accepted, 'credits.changed');
    expect(changed).toMatchObject({
      id: ledgerEventId(businessId, ledger.revision, 'credits.changed'),
      data: {
        businessId,
        previousTotal: 0,
        ledger: {
          total: 1000,
          allocated: 0,
          balance: 1000,
          earliestExpiry: EXPIRES.toISOString(),
          overAllocatedSince: null,
          revision: ledger.revision,
          allocations: {},
          sources: {
            [contractId]: {
              kind: 'contract',
              productCode: CREDITS_PRODUCT,
              credits: 1000,
              expiresAt: EXPIRES.toISOString(),
            },
          },
        },
      },
    });
    for (const event of accepted) expectShapeOfSample(event);
    // The records did carry the address (the audit change, the ledger's primary user); the events do not.
    expect(ledger.primaryEmail).toBe(email);
    expect(JSON.stringify(records)).toContain(email);
    expect(JSON.stringify(accepted)).not.toContain(email);
    expect(JSON.stringify(accepted)).not.toContain('@');
    expect(mails.map((m) => m.to)).toEqual([email]);
  });

  it('publishes one credits.allocated per fast-path allocation with service, units, credits and previous, and units 0 on release (R9)', async () => {
    // Arrange
    const { businessId } = await businessWith(1000);
    const request = { service: 'endpoint-security', productCode: CREDITS_PRODUCT, creditsPerUnit: 3 };
    table.resetCalls();
    const enabled = await ledgers().setAllocation(businessId, { ...request, units: 10 }, T0);
    const released = await ledgers().setAllocation(businessId, { ...request, units: 0 }, T0);
    // One UpdateItem each (the ledger's MODIFY images carry the change), no whole-ledger transaction.
    expect(table.calls.get('UpdateItemCommand')).toBe(2);
    expect(table.calls.get('TransactWriteItemsCommand')).toBeUndefined();
    const { target, accepted } = recorder();

    // Act
    const { poller } = publish([target]);
    await poller.idle();

    // Assert: after the creation's two events, exactly the two allocations.
    expect(accepted.map((e) => e.type)).toEqual([
      ...accepted.slice(0, 2).map((e) => e.type),
      'credits.allocated',
      'credits.allocated',
    ]);
    const [enable, release] = ofType(accepted, 'credits.allocated');
    expect(enable).toMatchObject({
      id: ledgerEventId(businessId, enabled.ledger.revision, 'credits.allocated', '|endpoint-security'),
      data: {
        businessId,
        service: 'endpoint-security',
        productCode: CREDITS_PRODUCT,
        units: 10,
        credits: 30,
        previousUnits: 0,
        previousCredits: 0,
        ledger: { total: 1000, allocated: 30, balance: 970 },
      },
    });
    expect(release).toMatchObject({
      id: ledgerEventId(businessId, released.ledger.revision, 'credits.allocated', '|endpoint-security'),
      data: {
        service: 'endpoint-security',
        units: 0,
        credits: 0,
        previousUnits: 10,
        previousCredits: 30,
        ledger: { total: 1000, allocated: 0, balance: 1000, allocations: {} },
      },
    });
    expect(enable?.id).not.toBe(release?.id);
    if (enable) expectShapeOfSample(enable);
  });

  it('publishes credits.over-allocated once when a reduced contract leaves allocations above the total, not on later writes (R9)', async () => {
    // Arrange: 75 of 100 credits allocated, the contract cut to 30, then two allocations brought down.
    const { businessId, stored } = await businessWith(100);
    const request = { service: 'endpoint-security', productCode: CREDITS_PRODUCT, creditsPerUnit: 3 };
    await ledgers().setAllocation(businessId, { ...request, units: 25 }, T0);
    const later = new Date(T0.getTime() + DAY);
    await contracts().save(creditsChange(stored, 30, later));
    await ledgers().setAllocation(businessId, { ...request, units: 20 }, later);
    await ledgers().setAllocation(businessId, { ...request, units: 10 }, later);
    const { target, accepted } = recorder();

    // Act
    const { poller } = publish([target]);
    await poller.idle();

    // Assert
    const over = ofType(accepted, 'credits.over-allocated');
    expect(over).toHaveLength(1);
    expect(over[0]?.data).toMatchObject({
      businessId,
      since: later.toISOString(),
      overBy: 45,
      ledger: { total: 30, allocated: 75, balance: -45, overAllocatedSince: later.toISOString() },
    });
    expect(ofType(accepted, 'contract.changed').map((e) => e.data.change)).toEqual([
      { type: 'credits-reduced', previousCredits: 100, credits: 30 },
    ]);
    expect(ofType(accepted, 'credits.allocated').map((e) => e.data.units)).toEqual([25, 20, 10]);
    expect((await ledgers().get(businessId))?.overAllocatedSince).toBeUndefined();
    if (over[0]) expectShapeOfSample(over[0]);
  });

  it('publishes license.expiring for a notice claim, nothing for sent or release, and the same id for a claim made again (R10)', async () => {
    // Arrange
    const claims = createNoticeClaims(documents());
    const notice: ExpiryNotice = {
      licenseKey: `${CREDITS_PRODUCT}~L~l-notice`,
      kind: 'contract',
      businessId: 'biz-notice',
      productCode: CREDITS_PRODUCT,
      expiresAt: '2026-05-31T00:00:00.000Z',
      threshold: 30,
      daysLeft: 30,
      credits: 1000,
      autoRenew: true,
    };
    const direct: ExpiryNotice = {
      ...notice,
      kind: 'direct',
      licenseKey: 'deal-42',
      threshold: 7,
      daysLeft: 6,
    };
    const at = (hours: number) => new Date(T0.getTime() + hours * 3600_000);
    expect(await claims.claim(notice, at(0))).toBe(true);
    await claims.release(notice);
    expect(await claims.claim(notice, at(1))).toBe(true);
    await claims.sent(notice, at(1));
    expect(await claims.claim(notice, at(2))).toBe(false);
    expect(await claims.claim(direct, at(3))).toBe(true);
    await claims.sent(direct, at(3));
    const { target, accepted } = recorder();

    // Act: every record delivered (no filters), so the publisher itself must leave MODIFY and REMOVE out.
    const { poller, records } = publish([target], { filters: [] });
    await poller.idle();

    // Assert
    expect(records.map((r) => r.eventName)).toEqual(
      expect.arrayContaining(['INSERT', 'REMOVE', 'INSERT', 'MODIFY', 'INSERT', 'MODIFY']),
    );
    const id = eventIdOf(`notice|contract|${notice.licenseKey}|${notice.expiresAt}|30`);
    expect(accepted.map((e) => [e.type, e.id, e.timestamp])).toEqual([
      ['license.expiring', id, at(0).toISOString()],
      ['license.expiring', id, at(1).toISOString()],
      ['license.expiring', eventIdOf(`notice|direct|deal-42|${notice.expiresAt}|7`), at(3).toISOString()],
    ]);
    expect(accepted[0]?.data).toEqual({
      businessId: 'biz-notice',
      productCode: CREDITS_PRODUCT,
      contractId: notice.licenseKey,
      kind: 'contract',
      expiresAt: notice.expiresAt,
      daysLeft: 30,
      threshold: 30,
      credits: 1000,
      autoRenew: true,
    });
    expect(accepted[2]?.data).toMatchObject({
      reference: 'deal-42',
      kind: 'direct',
      threshold: 7,
      daysLeft: 6,
    });
    expect(accepted[2]?.data).not.toHaveProperty('contractId');
    if (accepted[0]) expectShapeOfSample(accepted[0]);
  });

  it('hands a record whose events a target keeps refusing to onFailure after retryAttempts, and publishes the records after it', async () => {
    // Arrange: three creations; the target never takes the second one's event.
    const [a, poison, c] = [contractOf(10), contractOf(20), contractOf(30)];
    for (const stored of [a, poison, c]) await contracts().save(created(stored));
    const { target, accepted } = recorder((event) => event.data.contractId === poison.contract.contractId);

    // Act
    const { poller, records, failures } = publish([target]);
    await poller.idle();

    // Assert
    const poisonRecord = records.find(
      (r) => r.dynamodb?.NewImage?.contractId?.S === poison.contract.contractId,
    );
    const sequence = poisonRecord?.dynamodb?.SequenceNumber;
    expect(sequence).toBeDefined();
    expect(failures).toEqual([
      expect.objectContaining({
        streamArn,
        startSequenceNumber: sequence,
        endSequenceNumber: sequence,
        batchSize: 1,
        reason: 'RetryAttemptsExhausted',
        attempts: 3,
      }),
    ]);
    expect([...new Set(accepted.map((e) => e.id))].sort()).toEqual(
      [
        contractEventId(a.contract.contractId, 1, 'contract.created'),
        contractEventId(c.contract.contractId, 1, 'contract.created'),
      ].sort(),
    );
    expect(poller.stats).toMatchObject({ succeeded: 2, failed: 1 });
  });

  describe('with the real bus target and the local event console', () => {
    let eventConsole: RunningEventConsole;
    beforeAll(async () => {
      eventConsole = await startEventConsole({
        port: 0,
        webhookSecret: `whsec_${Buffer.alloc(32, 5).toString('base64')}`,
      });
    });
    afterAll(async () => {
      await eventConsole.stop();
    });

    it('puts each event on the bus with DetailType = its type, Source marketplace-credits and Detail = the event JSON', async () => {
      // Arrange
      eventConsole.clear();
      const { businessId } = await businessWith(1000);
      await ledgers().setAllocation(
        businessId,
        { service: 'email-security', productCode: CREDITS_PRODUCT, units: 5, creditsPerUnit: 2 },
        T0,
      );
      const bus = createEventBridgeClient({ endpoint: eventConsole.url });
      const { target, accepted } = recorder();

      // Act
      try {
        const { poller } = publish([
          createBusTarget({
            client: bus,
            busName: 'marketplace-credits-local',
            source: 'marketplace-credits',
          }),
          target,
        ]);
        await poller.idle();
      } finally {
        bus.destroy();
      }

      // Assert
      const received = eventConsole.received().filter((e): e is BusEvent => e.via === 'bus');
      expect(accepted.map((e) => e.type).sort()).toEqual([
        'contract.created',
        'credits.allocated',
        'credits.changed',
      ]);
      expect(received.map((e) => e.id)).toEqual(accepted.map((e) => e.id));
      for (const [i, event] of accepted.entries()) {
        expect(received[i]).toMatchObject({
          bus: 'marketplace-credits-local',
          source: 'marketplace-credits',
          detailType: event.type,
          time: event.timestamp,
        });
        expect(JSON.parse(received[i]?.body ?? '')).toEqual(event);
      }
    });
  });
});

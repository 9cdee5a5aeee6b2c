import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createMarketplaceEventsHandler } from '../../functions/marketplace-events/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { readLedger } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createSweepStore } from '../../lib/adapters/dynamodb/sweep-store.js';
import { createAgreementReader } from '../../lib/adapters/marketplace/agreement-reader.js';
import { createAgreementClient, createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { contractIdOf, licenseIdFromArn } from '../../lib/domain/contract/identity.js';
import { freeTrialOf, type StoredContract } from '../../lib/domain/contract/model.js';
import { runSweep, type SweepDeps } from '../../lib/domain/contract/sweep.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { createMarketplaceConsole, type MarketplaceConsole } from '../../local/marketplace-console/index.js';
import { MarketplaceSimulator, type RunningSimulator } from '../../local/marketplace-simulator/index.js';
import { sqsEvent, sqsRecord } from '../support/events.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * Issue 15 against DynamoDB Local and the marketplace simulator (real SDK clients): terms from
 * the Agreement API stored on the contract; renewals and replacements under a new license that
 * keep the activation, in every arrival order, with no credit gap or double count (R3, R13);
 * the reconciliation sweep healing dropped notifications, idempotent and never overlapping.
 */

const PRODUCT = 'a1b2c3d4e5credits0example';
const PRODUCT_ID = 'prod-credits0example';
const SELLER = '123456512334';
const BUSINESS = 'biz-chain-test-0001';
const catalog: ProductCatalog = {
  products: [{ productCode: PRODUCT, productId: PRODUCT_ID, creditsPerUnit: { Credits: 1 } }],
};
const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

let running: RunningSimulator;
let simulator: MarketplaceSimulator;
let table: TestTable;
let market: MarketplaceConsole;
let published: string[];
const clock = { ms: Date.parse('2026-05-01T10:00:00.000Z') };
const now = () => new Date(clock.ms);

// A fresh marketplace per test: the sweep lists every agreement the simulator holds.
beforeEach(async () => {
  clock.ms = Date.parse('2026-05-01T10:00:00.000Z');
  simulator = new MarketplaceSimulator({ now });
  running = await simulator.start();
  table = await createTestTable(inject('dynamoEndpoint'));
  published = [];
  market = createMarketplaceConsole({
    simulator,
    products: catalog.products,
    sellerAccountId: SELLER,
    setupUrl: 'http://127.0.0.1:9/setup/',
    publish: async (body) => {
      published.push(body);
    },
    defaultMode: 'eventbridge',
    now,
  });
});
afterEach(async () => {
  await table.drop();
  await running.close();
});

const contracts = () => createContractStore({ client: table.client, tableName: table.tableName });
const entitlements = () =>
  createEntitlementReader({
    client: createEntitlementClient({ endpoint: running.endpoint }),
    retry: FAST_RETRY,
  });
const agreements = () =>
  createAgreementReader({ client: createAgreementClient({ endpoint: running.endpoint }), retry: FAST_RETRY });

function handler() {
  return createMarketplaceEventsHandler({
    catalog,
    contracts: contracts(),
    entitlementsFor: () => entitlements(),
    agreementsFor: () => agreements(),
    clock: { now },
    // The console dates notifications by the test's clock, which runs ahead of real time.
    receivedClock: { now },
    logger: new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
  });
}

let runs = 0;
/** The sweep over this test's table and simulator, with as much time left as `remainingMs` says. */
const sweepDeps = (remainingMs: () => number = () => 600_000): SweepDeps => ({
  catalog,
  contracts: contracts(),
  entitlements: entitlements(),
  agreements: agreements(),
  store: createSweepStore({ client: table.client, tableName: table.tableName }),
  clock: { now },
  remainingMs,
  newRunId: () => `run-${++runs}`,
});

/** Delivers SQS bodies to the consumer, one batch; every record must succeed. */
async function deliver(...bodies: string[]): Promise<void> {
  const out = await handler()(
    sqsEvent(...bodies.map((body, i) => sqsRecord(body, { messageId: `m-${i}-${Math.random()}` }))),
    lambdaContext(),
  );
  expect(out.batchItemFailures).toEqual([]);
}

const contractIdOfLicense = (licenseArn: string) =>
  contractIdOf({ kind: 'license', productCode: PRODUCT, licenseId: licenseIdFromArn(licenseArn) ?? '' });

async function load(licenseArn: string): Promise<StoredContract> {
  const stored = await contracts().load(contractIdOfLicense(licenseArn));
  if (!stored) throw new Error(`no contract for ${licenseArn}`);
  return stored;
}

/** What the setup's Activate writes: the business takes the contract (R3). */
async function activate(licenseArn: string): Promise<void> {
  const stored = await load(licenseArn);
  const at = now().toISOString();
  const { contract } = stored;
  const next = {
    ...contract,
    setupState: 'active' as const,
    activatedBy: BUSINESS,
    activatedAt: at,
    businessName: 'Chain Test GmbH',
    updatedAt: at,
    version: contract.version + 1,
  };
  await contracts().save({
    next: { contract: next, items: stored.items },
    touchedItems: stored.items,
    expectedVersion: contract.version,
    audit: {
      contractId: contract.contractId,
      version: next.version,
      at,
      changes: [{ type: 'activated', businessId: BUSINESS, email: 'owner@chain.example' }],
      trigger: { source: 'setup', type: 'activate', id: 'setup-1', at },
      before: {
        status: 'pending-setup',
        activeCredits: contract.activeCredits,
        expiresAt: contract.expiresAt,
      },
      after: { status: 'active', activeCredits: contract.activeCredits, expiresAt: contract.expiresAt },
    },
  });
}

const total = async () => (await readLedger(table.client, table.tableName, BUSINESS))?.total ?? 0;

async function buyAndActivate(credits = 100) {
  const buyer = market.createBuyer('Chain Test');
  const bought = await market.purchase({
    accountId: buyer.accountId,
    productCode: PRODUCT,
    credits,
    months: 12,
  });
  await deliver(...bought.sent);
  await activate(bought.license.licenseArn);
  return bought.license;
}

describe('terms from the Agreement API', () => {
  it('stores value, currency, term, renewal and end behaviour on a new contract; a duplicate writes nothing', async () => {
    const buyer = market.createBuyer('Terms');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 100,
      months: 12,
      autoRenew: true,
    });
    await deliver(...bought.sent);
    const stored = await load(bought.license.licenseArn);
    const terms = stored.contract.facts.terms?.value;
    expect(terms).toMatchObject({
      agreementId: market.agreementFor(bought.license.licenseArn)?.agreementId,
      status: 'ACTIVE',
      contractValue: { amount: '1200.00', currency: 'USD' },
      duration: 'P12M',
      units: { Credits: 100 },
      renewal: { autoRenew: true, lockoutPeriod: 'P30D' },
      endBehavior: { type: 'RENEW' },
    });
    expect(freeTrialOf(stored.contract)).toBe(false);
    // Credits still come from GetEntitlements (R1).
    expect(stored.contract.activeCredits).toBe(100);
    const version = stored.contract.version;
    await deliver(...bought.sent);
    expect((await load(bought.license.licenseArn)).contract.version).toBe(version);
  });

  it('takes the free trial from the accepted terms', async () => {
    const buyer = market.createBuyer('Trial');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 10,
      months: 1,
      freeTrial: true,
    });
    await deliver(...bought.sent);
    const { facts } = (await load(bought.license.licenseArn)).contract;
    expect(freeTrialOf({ facts })).toBe(true);
    expect(facts.terms?.value.freeTrial).toBeDefined();
  });

  it("records a channel partner's offer as unavailable and does not ask again on every notification", async () => {
    const buyer = market.createBuyer('Partner');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 50,
      months: 12,
      channelPartner: true,
    });
    await deliver(...bought.sent);
    const stored = await load(bought.license.licenseArn);
    expect(stored.contract.facts.termsUnavailable?.value).toMatchObject({ reason: 'access-denied' });
    expect(stored.contract.facts.terms).toBeUndefined();
    expect(stored.contract.activeCredits).toBe(50);
    simulator.resetCalls();
    await deliver(...bought.sent);
    expect(simulator.calls.filter((c) => c.operation === 'DescribeAgreement')).toEqual([]);
  });

  it("records a channel partner's refusal when its Agreement Created is synced before the License Updated that names the agreement", async () => {
    // The Created event writes the contract without its agreement (the license search finds
    // none for a channel partner's offer); the License Updated then gives the agreement id, and
    // that sync reads the terms. Before, only a contract's creation or its own agreement's
    // event did, so the refusal was never recorded when the two raced this way round.
    const buyer = market.createBuyer('Partner in order');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 20,
      months: 12,
      channelPartner: true,
    });
    const [created, licenseUpdated, ...rest] = bought.sent;
    expect(JSON.parse(created ?? '{}')['detail-type']).toMatch(/Agreement Created/);
    expect(JSON.parse(licenseUpdated ?? '{}')['detail-type']).toMatch(/License Updated/);
    await deliver(created ?? '');
    expect((await load(bought.license.licenseArn)).contract.facts.termsUnavailable).toBeUndefined();
    await deliver(licenseUpdated ?? '', ...rest);
    const stored = await load(bought.license.licenseArn);
    expect(stored.contract.facts.termsUnavailable?.value).toMatchObject({ reason: 'access-denied' });
    expect(stored.contract.activeCredits).toBe(20);
  });

  it('does not read the agreement again when a later License Updated restates it', async () => {
    const buyer = market.createBuyer('Restated');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 20,
      months: 12,
    });
    await deliver(...bought.sent);
    expect((await load(bought.license.licenseArn)).contract.facts.terms).toBeDefined();
    const updated = bought.sent
      .map((b) => JSON.parse(b))
      .find((e) => /License Updated/.test(e['detail-type']));

    for (let i = 1; i <= 3; i++) {
      clock.ms += 60_000;
      simulator.resetCalls();
      await deliver(JSON.stringify({ ...updated, id: `restated-${i}`, time: now().toISOString() }));
      expect(simulator.calls.map((c) => c.operation)).not.toContain('DescribeAgreement');
    }
  });

  it("never reads one contract's agreement for another when a License event names no license", async () => {
    const buyer = market.createBuyer('Two contracts');
    const one = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 20,
      months: 12,
    });
    await deliver(...one.sent);
    clock.ms += 60_000;
    const two = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 30,
      months: 1,
    });
    await deliver(...two.sent);
    const termsOfOne = (await load(one.license.licenseArn)).contract.facts.terms;
    const updated = two.sent.map((b) => JSON.parse(b)).find((e) => /License Updated/.test(e['detail-type']));
    const { license: _license, ...accountWide } = updated.detail;

    clock.ms += 60_000;
    await deliver(
      JSON.stringify({ ...updated, id: 'account-wide', time: now().toISOString(), detail: accountWide }),
    );

    expect((await load(one.license.licenseArn)).contract.facts.terms).toEqual(termsOfOne);
  });

  it('the Agreement API failing never fails the notification: the entitlements are synced, the sweep reads the terms', async () => {
    const buyer = market.createBuyer('Throttled');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 10,
      months: 12,
    });
    simulator.failNext(10, 'throttle', 'DescribeAgreement');
    await deliver(...bought.sent);
    const synced = await load(bought.license.licenseArn);
    expect(synced.contract.activeCredits).toBe(10);
    expect(synced.contract.facts.terms).toBeUndefined();
    simulator.clearFaults();
    await runSweep(sweepDeps(), { mode: 'incremental' });
    expect((await load(bought.license.licenseArn)).contract.facts.terms).toBeDefined();
  });
});

describe('renewal under a new license (R3, R13)', () => {
  type Order = (bodies: string[]) => string[][];
  // Sent order: Created (new), License Updated (new), Ended (old), License Deprovisioned (old).
  const orders: Record<string, Order> = {
    'new first': (b) => b.map((x) => [x]),
    'old first': (b) => [...b].reverse().map((x) => [x]),
    'old deprovisioned alone first, then duplicates of all': (b) => [
      [b[3] as string],
      ...b.map((x) => [x]),
      b,
    ],
    'all in one batch': (b) => [[...b]],
  };
  for (const [name, order] of Object.entries(orders)) {
    it(`keeps one activation and never a gap or a double count: ${name}`, async () => {
      const old = await buyAndActivate(100);
      expect(await total()).toBe(100);
      clock.ms += 360 * 86_400_000;
      const renewed = await market.renewWithNewLicense({
        licenseArn: old.licenseArn,
        months: 12,
        credits: 150,
      });
      expect(renewed.sent).toHaveLength(4);
      const successorArn = renewed.license.successorLicenseArn ?? renewed.license.licenseArn;
      expect(successorArn).not.toBe(old.licenseArn);
      for (const batch of order([...renewed.sent])) {
        await deliver(...batch);
        // Before the hand-over the old credits count, after it the new ones: never none, never both.
        expect([100, 150]).toContain(await total());
      }
      const before = await load(old.licenseArn);
      const after = await load(successorArn);
      expect(before.contract).toMatchObject({
        term: 'renewed',
        nextContractId: after.contract.contractId,
        activeCredits: 0,
      });
      expect(after.contract).toMatchObject({
        setupState: 'active',
        activatedBy: BUSINESS,
        previousContractId: before.contract.contractId,
        activeCredits: 150,
      });
      expect(await total()).toBe(150);
      const audit = await table.client.send(
        new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
          ExpressionAttributeValues: { ':pk': `CONTRACT#${after.contract.contractId}`, ':a': 'AUDIT#' },
        }),
      );
      const continued = (audit.Items ?? []).filter((row) =>
        (row.changes as { type: string }[]).some((c) => c.type === 'continued'),
      );
      expect(continued).toHaveLength(1);
    });
  }

  it('a renewal on the same license that is then cancelled ends at once: nothing is held', async () => {
    const license = await buyAndActivate(100);
    const renewed = await market.renew({ licenseArn: license.licenseArn, months: 12 });
    await deliver(...renewed.sent);
    const cancelled = await market.cancel({ licenseArn: license.licenseArn });
    await deliver(...cancelled.sent);
    expect((await load(license.licenseArn)).contract).toMatchObject({ term: 'cancelled', activeCredits: 0 });
    expect(await total()).toBe(0);
  });

  it('a replacement by a private offer ends the old contract as replaced', async () => {
    const old = await buyAndActivate(100);
    clock.ms += 30 * 86_400_000;
    const replaced = await market.replaceWithPrivateOffer({
      licenseArn: old.licenseArn,
      months: 24,
      credits: 500,
    });
    await deliver(...replaced.sent);
    const successorArn = replaced.license.successorLicenseArn ?? replaced.license.licenseArn;
    expect((await load(old.licenseArn)).contract.term).toBe('replaced');
    expect((await load(successorArn)).contract).toMatchObject({ activatedBy: BUSINESS, activeCredits: 500 });
    expect(await total()).toBe(500);
  });

  it('a renewal of a contract nobody activated links nothing: the buyer sets up the new one', async () => {
    const buyer = market.createBuyer('Pending');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 100,
      months: 12,
    });
    await deliver(...bought.sent);
    const renewed = await market.renewWithNewLicense({ licenseArn: bought.license.licenseArn, months: 12 });
    await deliver(...renewed.sent);
    const successorArn = renewed.license.successorLicenseArn ?? renewed.license.licenseArn;
    expect((await load(successorArn)).contract.setupState).toBe('pending-setup');
    expect((await load(bought.license.licenseArn)).contract.nextContractId).toBeUndefined();
  });
});

describe('reconciliation sweep', () => {
  it('heals a purchase whose notifications were dropped; the second run in a row changes nothing', async () => {
    const buyer = market.createBuyer('Dropped');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 300,
      months: 12,
      dropNotifications: true,
    });
    expect(published).toEqual([]);
    const first = await runSweep(sweepDeps(), { mode: 'incremental' });
    expect(first).toMatchObject({ status: 'finished', drift: 1 });
    expect(first.progress?.counts.created).toBe(1);
    const stored = await load(bought.license.licenseArn);
    expect(stored.contract.activeCredits).toBe(300);
    expect(stored.contract.facts.terms?.value.contractValue?.amount).toBe('3600.00');
    clock.ms += 60_000;
    const second = await runSweep(sweepDeps(), { mode: 'incremental' });
    expect(second).toMatchObject({ status: 'finished', drift: 0 });
    expect((await load(bought.license.licenseArn)).contract.version).toBe(stored.contract.version);
  });

  it('heals a dropped renewal under a new license: the hand-over happens in the sweep', async () => {
    const old = await buyAndActivate(100);
    clock.ms += 2 * 86_400_000;
    await runSweep(sweepDeps(), { mode: 'incremental' });
    const renewed = await market.renewWithNewLicense({
      licenseArn: old.licenseArn,
      months: 12,
      credits: 120,
      dropNotifications: true,
    });
    clock.ms += 60_000;
    const result = await runSweep(sweepDeps(), { mode: 'incremental' });
    expect(result.progress?.counts.continued).toBe(1);
    expect(result.drift).toBeGreaterThan(0);
    const successorArn = renewed.license.successorLicenseArn ?? renewed.license.licenseArn;
    expect((await load(successorArn)).contract.activatedBy).toBe(BUSINESS);
    expect((await load(old.licenseArn)).contract.term).toBe('renewed');
    expect(await total()).toBe(120);
  });

  it('re-reads a contract not synced for a day and ends one whose entitlements were revoked unannounced', async () => {
    const license = await buyAndActivate(100);
    await runSweep(sweepDeps(), { mode: 'incremental' });
    simulator.cancel(license.licenseArn);
    clock.ms += 25 * 3_600_000;
    const result = await runSweep(sweepDeps(), { mode: 'incremental' });
    expect(result.progress?.counts.ended).toBe(1);
    expect((await load(license.licenseArn)).contract.term).toBe('cancelled');
    // The next run within a day does not read it again.
    simulator.resetCalls();
    clock.ms += 60_000;
    await runSweep(sweepDeps(), { mode: 'incremental' });
    expect(simulator.calls.filter((c) => c.operation === 'GetEntitlements')).toEqual([]);
  });

  it('two overlapping runs: one holds the lease, the other does nothing, and the result is the same', async () => {
    const buyer = market.createBuyer('Overlap');
    for (let i = 0; i < 3; i++) {
      await market.purchase({
        accountId: buyer.accountId,
        productCode: PRODUCT,
        credits: 10 + i,
        months: 12,
        dropNotifications: true,
      });
    }
    const [a, b] = await Promise.all([
      runSweep(sweepDeps(), { mode: 'incremental' }),
      runSweep(sweepDeps(), { mode: 'incremental' }),
    ]);
    expect([a.status, b.status].sort()).toEqual(['busy', 'finished']);
    expect(a.drift + b.drift).toBe(3);
    clock.ms += 60_000;
    expect((await runSweep(sweepDeps(), { mode: 'incremental' })).drift).toBe(0);
  });

  it('a run that runs out of time saves its place and the continue run finishes it', async () => {
    const buyer = market.createBuyer('Paused');
    for (let i = 0; i < 3; i++) {
      await market.purchase({
        accountId: buyer.accountId,
        productCode: PRODUCT,
        credits: 20 + i,
        months: 12,
        dropNotifications: true,
      });
    }
    let budget = 1;
    const paused = await runSweep(
      sweepDeps(() => (budget-- > 0 ? 600_000 : 0)),
      { mode: 'incremental' },
    );
    expect(paused.status).toBe('paused');
    const resumed = await runSweep(sweepDeps(), { mode: 'continue' });
    expect(resumed.status).toBe('finished');
    expect(resumed.progress?.counts.created).toBe(3);
    // Nothing unfinished: a continue does nothing.
    expect(await runSweep(sweepDeps(), { mode: 'continue' })).toMatchObject({ status: 'finished', drift: 0 });
  });

  it('an agreement whose sync failed keeps the watermark before it: the next run lists it again', async () => {
    const buyer = market.createBuyer('Flaky');
    const bought = await market.purchase({
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: 70,
      months: 12,
      dropNotifications: true,
    });
    simulator.failNext(10, 'server-error', 'GetEntitlements');
    const failed = await runSweep(sweepDeps(), { mode: 'incremental' });
    expect(failed.progress?.counts.failed).toBeGreaterThan(0);
    simulator.clearFaults();
    clock.ms += 60_000;
    const healed = await runSweep(sweepDeps(), { mode: 'incremental' });
    expect(healed.progress?.counts.created).toBe(1);
    expect((await load(bought.license.licenseArn)).contract.activeCredits).toBe(70);
  });

  it('without the Agreement API it still re-reads stale contracts', async () => {
    const license = await buyAndActivate(100);
    simulator.cancel(license.licenseArn);
    clock.ms += 25 * 3_600_000;
    const { agreements: _, ...withoutApi } = sweepDeps();
    const result = await runSweep(withoutApi, { mode: 'incremental' });
    expect(result).toMatchObject({ status: 'finished' });
    expect(result.progress?.counts).toMatchObject({ agreements: 0, ended: 1 });
  });

  it('stays inside the rate limit: throttling is retried, nothing is lost', async () => {
    const buyer = market.createBuyer('Limited');
    for (let i = 0; i < 4; i++) {
      await market.purchase({
        accountId: buyer.accountId,
        productCode: PRODUCT,
        credits: 5 + i,
        months: 12,
        dropNotifications: true,
      });
    }
    simulator.failNext(2, 'throttle', 'SearchAgreements');
    simulator.failNext(2, 'throttle', 'GetEntitlements');
    const result = await runSweep(sweepDeps(), { mode: 'backfill' });
    expect(result).toMatchObject({ status: 'finished' });
    expect(result.progress?.counts.created).toBe(4);
    expect(result.progress?.counts.failed).toBe(0);
  });
});

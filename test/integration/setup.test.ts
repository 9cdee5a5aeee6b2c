import { Logger } from '@aws-lambda-powertools/logger';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createSetupHandler } from '../../functions/setup/create-handler.js';
import { nodeSecrets } from '../../lib/adapters/crypto/node-secrets.js';
import { createBudgetCounter } from '../../lib/adapters/dynamodb/budgets.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { CONTRACT_STATUSES, createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient, createMeteringClient } from '../../lib/adapters/marketplace/clients.js';
import { createCustomerResolver } from '../../lib/adapters/marketplace/customer-resolver.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { ConcurrentUpdateError } from '../../lib/domain/contract/errors.js';
import { contractIdOf, licenseIdFromArn } from '../../lib/domain/contract/identity.js';
import type { ContractStatus } from '../../lib/domain/contract/model.js';
import type { ContractRepository } from '../../lib/domain/contract/ports.js';
import { MarketplaceSimulator, type RunningSimulator } from '../../local/marketplace-simulator/index.js';
import { type RunningSesLocal, startSesLocal } from '../../local/ses-local.js';
import { Browser, type Page } from '../support/browser.js';
import { FIXTURE, marketplacePostEvent } from '../support/events.js';
import { lambdaContext } from '../support/lambda-context.js';
import { recordSpans, sequentialRoundTrips } from '../support/round-trips.js';
import { createTestTable, type TestTable } from '../support/table.js';

const CONSOLE_URL = 'https://console.example.com/welcome';
const START = new Date('2026-05-01T10:00:00.000Z');
const MINUTE = 60_000;
const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

let now = new Date(START);
const clock = { now: () => new Date(now) };
const simulator = new MarketplaceSimulator({ now: clock.now });
let running: RunningSimulator;
let ses: RunningSesLocal;
let table: TestTable;
let contracts: ContractRepository;
let handler: ReturnType<typeof createSetupHandler>;
let options: Parameters<typeof createSetupHandler>[0];

const browser = () => new Browser(handler, lambdaContext());

function buy(credits = 1000, { months = 12 } = {}) {
  const license = simulator.purchase({
    productCode: FIXTURE.productCode,
    quantities: { Credits: credits },
    months,
  });
  const licenseId = licenseIdFromArn(license.licenseArn) ?? '';
  return {
    license,
    contractId: contractIdOf({ kind: 'license', productCode: FIXTURE.productCode, licenseId }),
  };
}

async function lastCodeFor(email: string): Promise<string> {
  const mails = (await ses.emails()).filter((m) => m.destination.to.includes(email));
  const code = /code is (\d{6})/.exec(mails.at(-1)?.body.text ?? '')?.[1];
  if (!code) throw new Error(`No code mailed to ${email}`);
  return code;
}

/** Clicks "Set up your account": the marketplace POSTs a fresh token from the buyer's browser. */
async function arrive(b: Browser, licenseArn: string, extra: Record<string, string> = {}): Promise<Page> {
  return b.post('/', { 'x-amzn-marketplace-token': simulator.mintToken(licenseArn), ...extra });
}

async function signIn(b: Browser, email: string): Promise<Page> {
  await b.get('/setup');
  await b.submit('/setup/email', { email });
  await b.get('/setup');
  await b.submit('/setup/code', { code: await lastCodeFor(email) });
  return b.get('/setup');
}

const BUSINESS = {
  name: 'Example Corp',
  country: 'Germany',
  dataCenterRegion: 'eu',
  timeZone: 'Europe/Berlin',
};

async function reachReview(
  b: Browser,
  licenseArn: string,
  email: string,
  business = BUSINESS,
): Promise<Page> {
  await arrive(b, licenseArn);
  const afterSignIn = await signIn(b, email);
  if (!afterSignIn.body.includes('name="name"')) return afterSignIn;
  await b.submit('/setup/business', business);
  return b.get('/setup');
}

beforeAll(async () => {
  running = await simulator.start();
  ses = await startSesLocal();
});
afterAll(async () => {
  await running.close();
  await ses.close();
});

beforeEach(async () => {
  now = new Date(START);
  simulator.clearFaults();
  await ses.clear();
  table = await createTestTable(inject('dynamoEndpoint'));
  contracts = createContractStore({ client: table.client, tableName: table.tableName });
  options = {
    catalog: { products: [{ productCode: FIXTURE.productCode, creditsPerUnit: { Credits: 1 } }] },
    resolver: createCustomerResolver({
      client: createMeteringClient({ endpoint: running.endpoint }),
      retry: FAST_RETRY,
    }),
    contracts,
    entitlements: createEntitlementReader({
      client: createEntitlementClient({ endpoint: running.endpoint }),
      retry: FAST_RETRY,
    }),
    setups: createSetupStore({ client: table.client, tableName: table.tableName }),
    budgets: createBudgetCounter({ client: table.client, tableName: table.tableName }),
    secrets: nodeSecrets,
    mailer: createSesMailer({
      client: createSesClient({ endpoint: ses.endpoint }),
      from: 'no-reply@vendor.example',
    }),
    clock,
    logger: new Logger({ serviceName: 'setup', logLevel: 'SILENT' }),
    productName: 'Example Platform',
    supportEmail: 'support@vendor.example',
    consoleUrl: CONSOLE_URL,
    dataCenterRegions: [
      { id: 'eu', label: 'Europe (Frankfurt)' },
      { id: 'us', label: 'United States (Virginia)' },
    ],
    timeZones: ['UTC', 'Europe/Berlin', 'America/Los_Angeles'],
  };
  handler = createSetupHandler(options);
});
afterEach(async () => {
  await table.drop();
});

/** The open setup sessions, from the index sales reads them by. */
async function openSetups(): Promise<Record<string, unknown>[]> {
  const result = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: 'byStatus',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'SETUPS#open' },
    }),
  );
  return result.Items ?? [];
}

describe('setup flow', () => {
  it('takes a buyer from the marketplace POST to an activated license and the console (R3, R4, R5, R7, R8)', async () => {
    // Arrange
    const { license, contractId } = buy(1000);
    const b = browser();

    // Act 1: the marketplace redirect resolves the token at once and opens a four-hour session.
    const landing = await arrive(b, license.licenseArn);
    // Assert
    expect(landing.status).toBe(303);
    expect(landing.location).toBe('/setup');
    expect(landing.setCookies[0]).toMatch(
      /^__Host-setup=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=14400; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect((await contracts.load(contractId))?.contract.setupState).toBe('pending-setup'); // synced at once

    // Act 2: email, code, business, review, activate.
    expect((await b.get('/setup')).body).toContain('name="email"');
    expect((await b.submit('/setup/email', { email: 'Buyer@Example.com ' })).status).toBe(303);
    const codePage = await b.get('/setup');
    expect(codePage.body).toContain('buyer@example.com');
    const mail = (await ses.emails()).at(-1);
    expect(mail?.destination.to).toEqual(['buyer@example.com']);
    expect(mail?.from).toBe('no-reply@vendor.example');
    await b.submit('/setup/code', { code: await lastCodeFor('buyer@example.com') });
    expect((await b.get('/setup')).body).toContain('name="dataCenterRegion"');
    await b.submit('/setup/business', BUSINESS);
    const review = await b.get('/setup');
    expect(review.status).toBe(200);
    expect(review.body).toContain('Example Corp');
    expect(review.body).toContain('Europe (Frankfurt)');
    expect(review.body).toMatch(/1,?000/);
    expect(review.body).toContain('/setup/activate');
    const activated = await b.submit('/setup/activate');

    // Assert
    expect(activated.status).toBe(303);
    expect(activated.location).toBe(CONSOLE_URL);
    const stored = await contracts.load(contractId);
    expect(stored?.contract).toMatchObject({
      setupState: 'active',
      activatedAt: START.toISOString(),
      version: 2,
    });
    expect(stored?.contract.activatedBy).toMatch(/^biz-/);
    expect(stored?.contract.businessName).toBe('Example Corp');
    const confirmation = (await ses.emails()).at(-1);
    expect(confirmation?.subject).toContain('license is active');
    const audit = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
        ExpressionAttributeValues: { ':pk': `CONTRACT#${contractId}`, ':a': 'AUDIT#' },
      }),
    );
    expect(audit.Items?.map((a) => a.changes[0].type)).toEqual(['created', 'activated']);
    // The sales summary moved the contract from pending-setup to active in the same transaction.
    const summary = await createSalesReader({ client: table.client, tableName: table.tableName }).summary({
      productCodes: [FIXTURE.productCode],
      now: START,
    });
    expect(summary.byStatus).toMatchObject({ 'pending-setup': 0, active: 1 });
    expect(summary.activeCredits).toBe(1000);
    // …and the sales lists find it where an activated contract belongs: under active (byStatus),
    // in the list of every status (byExpiry), and under its business (byBusiness, R2).
    const sales = createSalesReader({ client: table.client, tableName: table.tableName });
    const ids = async (statuses: readonly ContractStatus[], businessId?: string) =>
      (
        await sales.listContracts({
          productCodes: [FIXTURE.productCode],
          statuses,
          limit: 10,
          ...(businessId ? { businessId } : {}),
        })
      ).contracts.map((c) => c.contractId);
    expect(await ids(['active'])).toEqual([contractId]);
    expect(await ids(['pending-setup'])).toEqual([]);
    expect(await ids(CONTRACT_STATUSES)).toEqual([contractId]);
    expect(await ids(['active'], stored?.contract.activatedBy)).toEqual([contractId]);
    // Activating again is refused as already active; the session is completed.
    expect((await b.get('/setup')).body).toMatch(/already active/i);
  });

  it('reads the contract once on the registration POST: the sync hands back what it read', async () => {
    const { license } = buy(300);
    await arrive(browser(), license.licenseArn); // creates the contract
    table.resetCalls();
    const again = await arrive(browser(), license.licenseArn);
    expect(again.status).toBe(303);
    // The source address's budget (UpdateItem), one strongly consistent Query for the contract
    // and its items, the setup session with its token's first-POST record (one transaction).
    expect(Object.fromEntries(table.calls)).toEqual({
      UpdateItemCommand: 1,
      QueryCommand: 1,
      TransactWriteItemsCommand: 1,
    });
  });

  it('answers the registration POST in four sequential round trips, with or without a write', async () => {
    const metering = createMeteringClient({ endpoint: running.endpoint });
    const entitlementClient = createEntitlementClient({ endpoint: running.endpoint });
    const spans = recordSpans(table.client, metering, entitlementClient);
    const traced = createSetupHandler({
      ...options,
      resolver: createCustomerResolver({ client: metering, retry: FAST_RETRY }),
      entitlements: createEntitlementReader({ client: entitlementClient, retry: FAST_RETRY }),
    });
    const { license } = buy(300);
    const post = () =>
      new Browser(traced, lambdaContext()).post('/', {
        'x-amzn-marketplace-token': simulator.mintToken(license.licenseArn),
      });

    // The source's budget comes first: nothing may spend the seller's quota before it.
    expect((await post()).status).toBe(303); // first sight: the contract is written
    expect(sequentialRoundTrips(spans)).toEqual([
      'UpdateItemCommand',
      'ResolveCustomerCommand',
      expect.stringMatching(/^(GetEntitlementsCommand|QueryCommand)$/),
      'TransactWriteItemsCommand',
    ]);
    expect(spans.map((s) => s.command).sort()).toEqual([
      'GetEntitlementsCommand',
      'QueryCommand',
      'ResolveCustomerCommand',
      'TransactWriteItemsCommand', // the contract's
      'TransactWriteItemsCommand', // the session's, with its token's first-POST record
      'UpdateItemCommand',
    ]);

    spans.length = 0;
    expect((await post()).status).toBe(303); // unchanged: only the session is written
    expect(sequentialRoundTrips(spans)).toHaveLength(4);
    expect(spans.map((s) => s.command).sort()).toEqual([
      'GetEntitlementsCommand',
      'QueryCommand',
      'ResolveCustomerCommand',
      'TransactWriteItemsCommand',
      'UpdateItemCommand',
    ]);
  });

  it('opens one session when the registration POST’s write loses a race and the sync runs again', async () => {
    const { license, contractId } = buy(300);
    let lost = 0;
    const racing = createSetupHandler({
      ...options,
      contracts: {
        ...contracts,
        save: async (change) => {
          if (lost++ === 0) throw new ConcurrentUpdateError(change.next.contract.contractId);
          return contracts.save(change);
        },
      },
    });
    const page = await new Browser(racing, lambdaContext()).post('/', {
      'x-amzn-marketplace-token': simulator.mintToken(license.licenseArn),
    });
    expect(page.status).toBe(303);
    expect(lost).toBe(2); // lost once, written on the second attempt
    expect((await contracts.load(contractId))?.contract.version).toBe(1);
    expect(await openSetups()).toHaveLength(1);
  });

  it('opens no session for a contract that has ended', async () => {
    const { license } = buy();
    await arrive(browser(), license.licenseArn); // the contract is known; one session
    const token = simulator.mintToken(license.licenseArn);
    simulator.cancel(license.licenseArn);
    const page = await browser().post('/', { 'x-amzn-marketplace-token': token });
    expect(page.status).toBe(410);
    expect(await openSetups()).toHaveLength(1);
  });

  it('never stores or logs the registration token', async () => {
    const { license } = buy();
    const token = simulator.mintToken(license.licenseArn);
    const b = browser();
    await b.post('/', { 'x-amzn-marketplace-token': token });
    const scan = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        IndexName: 'byStatus',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'SETUPS#open' },
      }),
    );
    expect(scan.Items).toHaveLength(1);
    expect(JSON.stringify(scan.Items)).not.toContain(token);
    expect(JSON.stringify(scan.Items)).not.toContain(b.cookies.get('__Host-setup'));
  });

  it('shows the expired page four hours after the click (R4)', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    now = new Date(START.getTime() + 4 * 60 * MINUTE - 1);
    expect((await b.get('/setup')).status).toBe(200);
    now = new Date(START.getTime() + 4 * 60 * MINUTE);
    const expired = await b.get('/setup');
    expect(expired.status).toBe(410);
    expect(expired.body).toContain(
      'This setup link has expired. In AWS Marketplace, open Your software subscriptions and choose Set up product to start again.',
    );
  });

  it('rejects a code after three minutes and accepts a re-sent one (R7)', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await b.get('/setup');
    await b.submit('/setup/email', { email: 'slow@example.com' });
    const first = await lastCodeFor('slow@example.com');
    now = new Date(START.getTime() + 3 * MINUTE);
    await b.get('/setup');
    const late = await b.submit('/setup/code', { code: first });
    expect(late.status).toBe(400);
    expect(late.body).toMatch(/expired/i);
    await b.submit('/setup/resend');
    const second = await lastCodeFor('slow@example.com');
    await b.get('/setup');
    expect((await b.submit('/setup/code', { code: second })).status).toBe(303);
    expect((await b.get('/setup')).body).toContain('name="dataCenterRegion"');
  });

  it('waits out the cooldown before re-sending a code', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await b.get('/setup');
    await b.submit('/setup/email', { email: 'eager@example.com' });
    await b.get('/setup');
    await b.submit('/setup/resend');
    expect((await ses.emails()).filter((m) => m.destination.to.includes('eager@example.com'))).toHaveLength(
      1,
    );
    now = new Date(START.getTime() + 31_000);
    await b.submit('/setup/resend');
    expect((await ses.emails()).filter((m) => m.destination.to.includes('eager@example.com'))).toHaveLength(
      2,
    );
  });

  it('stops mailing codes after ten from one setup, whatever the addresses', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await b.get('/setup');
    const csrf = b.csrf();
    const statuses: number[] = [];
    for (let n = 0; n < 11; n++)
      statuses.push((await b.post('/setup/email', { csrf, email: `victim${n}@example.com` })).status);
    expect(statuses.slice(0, 10).every((s) => s === 303)).toBe(true);
    expect(statuses[10]).toBe(429);
    expect(await ses.emails()).toHaveLength(10);
  });

  it('locks the code after five wrong tries, even the right code, until a new one is sent', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await b.get('/setup');
    await b.submit('/setup/email', { email: 'guess@example.com' });
    const right = await lastCodeFor('guess@example.com');
    const wrong = right === '000000' ? '111111' : '000000';
    await b.get('/setup');
    const csrf = b.csrf();
    const statuses: number[] = [];
    for (let n = 0; n < 5; n++) statuses.push((await b.post('/setup/code', { csrf, code: wrong })).status);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    expect((await b.post('/setup/code', { csrf, code: right })).status).toBe(429);
  });

  it('refuses a replayed code once it has been used', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await b.get('/setup');
    await b.submit('/setup/email', { email: 'once@example.com' });
    const code = await lastCodeFor('once@example.com');
    await b.get('/setup');
    const csrf = b.csrf();
    expect((await b.post('/setup/code', { csrf, code })).status).toBe(303);
    const replay = await b.post('/setup/code', { csrf, code });
    expect(replay.status).toBe(303); // back to the current step, nothing verified twice
    expect((await b.get('/setup')).body).toContain('name="dataCenterRegion"');
  });

  it('keeps the verified email as the login id: a later email form changes nothing (R7)', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await signIn(b, 'first@example.com');
    const csrf = b.csrf();
    const attempt = await b.post('/setup/email', { csrf, email: 'other@example.com' });
    expect(attempt.status).toBe(303); // back to the current step
    expect((await ses.emails()).some((m) => m.destination.to.includes('other@example.com'))).toBe(false);
    await b.submit('/setup/business', BUSINESS);
    await b.get('/setup');
    await b.submit('/setup/activate');
    const owner = await options.setups.getUser('first@example.com');
    expect(owner?.businessId).toMatch(/^biz-/);
    expect(await options.setups.getUser('other@example.com')).toBeUndefined();
  });

  it('refuses a data-centre region outside the configured list and an unknown time zone, next to each field (R8)', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await signIn(b, 'regions@example.com');
    const page = await b.submit('/setup/business', {
      ...BUSINESS,
      dataCenterRegion: 'mars',
      timeZone: 'Mars/Olympus',
    });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Choose one of the listed data-centre regions.');
    expect(page.body).toContain('Choose a time zone from the list.');
    expect((await b.get('/setup')).body).toContain('name="dataCenterRegion"'); // still at business details
  });

  it('lets a returning buyer skip business details and activate a second contract (R2)', async () => {
    const first = buy(100);
    const b1 = browser();
    await reachReview(b1, first.license.licenseArn, 'owner@example.com');
    await b1.submit('/setup/activate');

    const second = buy(50);
    const b2 = browser();
    const review = await reachReview(b2, second.license.licenseArn, 'owner@example.com');
    expect(review.body).not.toContain('name="dataCenterRegion"');
    expect(review.body).toContain('/setup/activate');
    expect((await b2.submit('/setup/activate')).location).toBe(CONSOLE_URL);
    const [a, c] = await Promise.all([contracts.load(first.contractId), contracts.load(second.contractId)]);
    expect(a?.contract.activatedBy).toBe(c?.contract.activatedBy);
  });

  it('tells the same business it is already active, and refuses another business (R3)', async () => {
    const { license } = buy();
    const owner = browser();
    await reachReview(owner, license.licenseArn, 'owner@example.com');
    await owner.submit('/setup/activate');

    const again = browser();
    const sameBusiness = await reachReview(again, license.licenseArn, 'owner@example.com');
    expect(sameBusiness.status).toBe(200);
    expect(sameBusiness.body).toMatch(/already active/i);
    expect(sameBusiness.body).toContain(CONSOLE_URL);

    const other = browser();
    const refused = await reachReview(other, license.licenseArn, 'rival@example.com', {
      ...BUSINESS,
      name: 'Rival Ltd',
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toContain('support@vendor.example');
  });

  it('lets exactly one of 100 concurrent activations by different businesses win', async () => {
    const { license, contractId } = buy();
    // 100 buyers of one contract, each from its own address: past the default budgets on purpose.
    const many = { limit: 1000, windowMs: 3600_000 };
    handler = createSetupHandler({ ...options, limits: { contractCodes: many, sourceRegistrations: many } });
    const browsers = Array.from({ length: 100 }, () => browser());
    for (const [n, b] of browsers.entries()) {
      const review = await reachReview(b, license.licenseArn, `buyer${n}@example.com`, {
        ...BUSINESS,
        name: `Business ${n}`,
      });
      expect(review.body).toContain('/setup/activate');
    }
    const results = await Promise.all(browsers.map((b) => b.submit('/setup/activate')));
    const winners = results.filter((r) => r.status === 303);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(99);
    const stored = await contracts.load(contractId);
    expect(stored?.contract).toMatchObject({ setupState: 'active', version: 2 });
    const audit = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :a)',
        ExpressionAttributeValues: { ':pk': `CONTRACT#${contractId}`, ':a': 'AUDIT#' },
      }),
    );
    expect(audit.Items?.filter((a) => a.changes[0].type === 'activated')).toHaveLength(1);
  }, 120_000);

  it('accepts the marketplace POST as multipart and as a base64 body', async () => {
    const { license } = buy();
    const multipart = await browser().post(
      '/',
      { 'x-amzn-marketplace-token': simulator.mintToken(license.licenseArn) },
      { contentType: 'multipart/form-data; boundary=----mpboundary' },
    );
    expect(multipart.status).toBe(303);
    const base64 = await browser().post(
      '/',
      { 'x-amzn-marketplace-token': simulator.mintToken(license.licenseArn) },
      { base64: true },
    );
    expect(base64.status).toBe(303);
  });

  it('answers the real-shaped function URL event of the marketplace POST with a session and 303', async () => {
    const { license } = buy();
    const result = await handler(
      marketplacePostEvent(simulator.mintToken(license.licenseArn)),
      lambdaContext(),
    );
    expect(result.statusCode).toBe(303);
    expect(result.cookies?.[0]).toMatch(/^__Host-setup=/);
  });

  it('finds a legacy contract by its customer identifier when ResolveCustomer names no license', async () => {
    const license = simulator.purchase({
      productCode: FIXTURE.productCode,
      quantities: { Credits: 5 },
      months: 12,
      legacy: true,
    });
    const withoutLicense = {
      resolve: async (token: string) => {
        const { licenseArn: _dropped, ...rest } = await options.resolver.resolve(token);
        return rest;
      },
    };
    const legacyHandler = createSetupHandler({ ...options, resolver: withoutLicense });
    const b = new Browser(legacyHandler, lambdaContext());
    expect((await arrive(b, license.licenseArn)).status).toBe(303);
    expect((await b.get('/setup')).body).toContain('name="email"');
  });

  it('notes a free-trial offer on the review page', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn, { 'x-amzn-marketplace-offer-type': 'free-trial' });
    await signIn(b, 'trial@example.com');
    await b.submit('/setup/business', BUSINESS);
    expect((await b.get('/setup')).body).toMatch(/free trial/i);
  });
});

describe('setup flow errors', () => {
  it.each([
    ['an invalid token', () => 'not-a-real-token', 400, /not valid/i],
    ['no token', () => '', 400, /AWS Marketplace/],
  ])('shows its page for %s', async (_, token, status, text) => {
    const page = await browser().post(
      '/',
      token() ? { 'x-amzn-marketplace-token': token() } : { other: 'x' },
    );
    expect(page.status).toBe(status);
    expect(page.body).toMatch(text);
  });

  it('shows the expired-token page when the token is older than the marketplace allows', async () => {
    const { license } = buy();
    const token = simulator.mintToken(license.licenseArn);
    now = new Date(START.getTime() + 5 * 60 * MINUTE);
    const page = await browser().post('/', { 'x-amzn-marketplace-token': token });
    expect(page.status).toBe(400);
    expect(page.body).toMatch(/Set up product/);
  });

  it('shows a busy page when the marketplace keeps throttling, and an outage page on 5xx', async () => {
    const { license } = buy();
    simulator.failNext(10, 'throttle', 'ResolveCustomer');
    expect((await arrive(browser(), license.licenseArn)).status).toBe(503);
    simulator.clearFaults();
    simulator.failNext(10, 'server-error', 'ResolveCustomer');
    expect((await arrive(browser(), license.licenseArn)).status).toBe(502);
  });

  it('refuses a product this deployment does not sell', async () => {
    const license = simulator.purchase({
      productCode: 'zz9someoneelses0product00',
      quantities: { Credits: 1 },
      months: 1,
    });
    expect((await arrive(browser(), license.licenseArn)).status).toBe(404);
  });

  it('says a cancelled contract has nothing to activate', async () => {
    const { license } = buy();
    await arrive(browser(), license.licenseArn); // the contract is known
    const token = simulator.mintToken(license.licenseArn);
    simulator.cancel(license.licenseArn);
    const page = await browser().post('/', { 'x-amzn-marketplace-token': token });
    expect(page.status).toBe(410);
  });

  it('says an unknown contract may need a few minutes', async () => {
    const license = simulator.putLicense({
      licenseArn: 'arn:aws:license-manager::222233334444:license:l-00000000000000000000000000000001',
      productCode: FIXTURE.productCode,
      customerAWSAccountId: '222233334444',
      entitlements: [],
    });
    const page = await arrive(browser(), license.licenseArn);
    expect(page.status).toBe(404);
    expect(page.body).toMatch(/few minutes/i);
  });

  it('asks for a setup from the marketplace when the browser has no session', async () => {
    expect((await browser().get('/setup')).status).toBe(401);
    expect((await browser().get('/')).status).toBe(200);
  });
});

describe('setup flow against hostile input', () => {
  async function atEmailStep(): Promise<Browser> {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await b.get('/setup');
    return b;
  }

  it('refuses bodies over the size limit with 413', async () => {
    const b = await atEmailStep();
    const page = await b.submit('/setup/email', { email: `${'a'.repeat(20_000)}@example.com` });
    expect(page.status).toBe(413);
  });

  it('refuses unsupported content types with 415', async () => {
    const b = await atEmailStep();
    const page = await b.request('POST', '/setup/email', undefined, {
      contentType: 'application/json',
      rawBody: JSON.stringify({ csrf: b.csrf(), email: 'x@example.com' }),
    });
    expect(page.status).toBe(415);
  });

  it('refuses a missing or forged CSRF token with 403', async () => {
    const b = await atEmailStep();
    expect((await b.post('/setup/email', { email: 'x@example.com' })).status).toBe(403);
    expect((await b.post('/setup/email', { csrf: 'f'.repeat(43), email: 'x@example.com' })).status).toBe(403);
    expect(await ses.emails()).toHaveLength(0);
  });

  it('puts an invalid email back with a message next to the field', async () => {
    const b = await atEmailStep();
    const page = await b.submit('/setup/email', { email: 'not-an-email' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('aria-invalid="true"');
  });

  it('escapes script in every business field and rejects control characters', async () => {
    const { license } = buy();
    const b = browser();
    await arrive(b, license.licenseArn);
    await signIn(b, 'xss@example.com');
    const payload = '<script>alert(1)</script>"><img src=x onerror=alert(1)>';
    const invalid = await b.submit('/setup/business', {
      name: payload,
      country: `${payload}\u0000`,
      dataCenterRegion: payload,
      timeZone: payload,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body).not.toContain('<script>alert(1)');
    expect(invalid.body).not.toContain('<img src=x');
    await b.submit('/setup/business', { ...BUSINESS, name: payload, country: payload });
    const review = await b.get('/setup');
    expect(review.body).not.toContain('<script>alert(1)');
    expect(review.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sends every page with a strict content security policy and no caching', async () => {
    const page = await browser().get('/');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).not.toContain('form-action'); // would block the redirect to the console
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('sends the security headers on pages, redirects and error pages alike', async () => {
    const { license } = buy();
    const b = browser();
    const responses = [
      await b.get('/'),
      await arrive(b, license.licenseArn), // 303 with the session cookie
      await browser().get('/setup'), // no session: 401 page
      await browser().get('/nowhere'),
    ];
    for (const r of responses) {
      const csp = r.headers['content-security-policy'] ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      // Helmet defaults that would break the flow are off: forms, the redirect after Activate, http locally.
      expect(csp).not.toMatch(/form-action|sandbox|upgrade-insecure-requests|report-to/);
      expect(r.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'strict-transport-security': expect.stringContaining('max-age='),
      });
    }
  });

  it('answers an unknown path with a not-found page and a wrong method with a method page', async () => {
    const missing = await browser().get('/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('<html');
    const wrongMethod = await browser().request('DELETE', '/setup');
    expect(wrongMethod.status).toBe(405);
    expect((await browser().request('PUT', '/')).status).toBe(405);
    expect((await browser().get('/setup/')).status).toBe(401); // a trailing slash is the same page
  });

  it('shows the generic error page with the request id when something unexpected fails', async () => {
    const failing = createSetupHandler({
      ...options,
      setups: {
        ...options.setups,
        getSession: async () => {
          throw new Error('table gone');
        },
      },
    });
    const b = new Browser(failing, { ...lambdaContext(), awsRequestId: 'req-500' });
    b.cookies.set('__Host-setup', 'a'.repeat(43));
    const page = await b.get('/setup');
    expect(page.status).toBe(500);
    expect(page.body).toContain('req-500');
    expect(page.body).not.toContain('table gone');
    expect(page.headers['x-frame-options']).toBe('DENY');
  });
});

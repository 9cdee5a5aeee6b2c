import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toSyncCommand } from '../../functions/marketplace-events/schema.js';
import {
  type ConsoleState,
  createMarketplaceConsole,
  type MarketplaceConsole,
  type RunningMarketplaceConsole,
  StateFileError,
  startMarketplaceConsole,
} from '../../local/marketplace-console/index.js';
import { MarketplaceSimulator } from '../../local/marketplace-simulator/index.js';

const PRODUCT = {
  productCode: 'a1b2c3d4e5credits0example',
  productId: 'prod-credits0example',
  creditsPerUnit: { Credits: 1 },
};
const SELLER = '123456512334';
const SETUP_URL = 'http://127.0.0.1:9/setup/';
const RECORD = { messageId: 'sqs-1', sentAt: '2026-03-10T09:30:01.000Z' };

/** A simulator, a console on a free port, the bodies it published and a movable clock. */
interface Harness {
  simulator: MarketplaceSimulator;
  console: MarketplaceConsole;
  running: RunningMarketplaceConsole;
  published: string[];
  publishFails: { value: boolean };
  clock: { ms: number };
  stateFile: string;
}

let dir: string;
let h: Harness;
const started: RunningMarketplaceConsole[] = [];

async function startHarness(stateFile: string): Promise<Harness> {
  const clock = { ms: Date.parse('2026-03-10T09:30:00.000Z') };
  const now = () => new Date(clock.ms);
  const simulator = new MarketplaceSimulator({ now });
  const published: string[] = [];
  const publishFails = { value: false };
  const console = createMarketplaceConsole({
    simulator,
    products: [PRODUCT],
    sellerAccountId: SELLER,
    setupUrl: SETUP_URL,
    publish: async (body) => {
      if (publishFails.value) throw new Error('queue is down');
      published.push(body);
    },
    stateFile,
    defaultMode: 'eventbridge',
    now,
  });
  const running = await startMarketplaceConsole({ console });
  started.push(running);
  return { simulator, console, running, published, publishFails, clock, stateFile };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'marketplace-console-'));
  h = await startHarness(join(dir, 'marketplace.json'));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((r) => r.close()));
  rmSync(dir, { recursive: true, force: true });
});

function post(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  harness = h,
): Promise<Response> {
  return fetch(`${harness.running.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

async function state(harness = h): Promise<ConsoleState> {
  const response = await fetch(`${harness.running.url}/api/state`);
  expect(response.headers.get('content-type')).toContain('application/json');
  return (await response.json()) as ConsoleState;
}

/** The flash message a 303 carries back to the page. */
function done(response: Response): string {
  expect(response.status).toBe(303);
  const location = new URL(response.headers.get('location') ?? '', 'http://x');
  expect(location.pathname).toBe('/');
  return location.searchParams.get('done') ?? '';
}

async function createBuyer(name = 'Ada Buyer'): Promise<string> {
  done(await post('/buyers', { name }));
  const buyer = (await state()).buyers.find((b) => b.name === name);
  if (buyer === undefined) throw new Error('buyer was not created');
  return buyer.accountId;
}

async function buy(accountId: string, fields: Record<string, string> = {}): Promise<string> {
  done(
    await post('/purchases', {
      accountId,
      productCode: PRODUCT.productCode,
      credits: '100',
      months: '12',
      ...fields,
    }),
  );
  const license = (await state()).licenses.at(-1);
  if (license === undefined) throw new Error('nothing was bought');
  return license.licenseArn;
}

const detailTypes = (bodies: string[]) =>
  bodies.map((b) => (JSON.parse(b) as Record<string, string>)['detail-type']);

describe('marketplace console', () => {
  it('sends the EventBridge events and changes the license when a buyer buys, upgrades, renews, toggles and cancels', async () => {
    const accountId = await createBuyer();
    expect(accountId).toMatch(/^\d{12}$/);

    const bought = done(
      await post('/purchases', {
        accountId,
        productCode: PRODUCT.productCode,
        credits: '100',
        months: '12',
        mode: 'eventbridge',
      }),
    );
    expect(bought).toContain('sent 2 EventBridge events');
    const [first] = (await state()).licenses;
    if (first === undefined) throw new Error('no license');
    expect(first).toMatchObject({ accountId, mode: 'eventbridge', autoRenew: false, status: 'active' });
    expect(first.agreementId).toMatch(/^agmt-[a-z0-9]{26}$/);
    expect(first.offerId).toMatch(/^offer-[a-z0-9]{25}$/);
    expect(detailTypes(h.published)).toEqual([
      'Purchase Agreement Created - Proposer',
      'License Updated - Manufacturer',
    ]);
    const licenseScope = toSyncCommand(h.published[1] ?? '', RECORD).scope;
    expect(licenseScope).toEqual({
      by: 'license',
      licenseArn: first.licenseArn.replace(
        /^arn:aws:license-manager::(\d+):license:/,
        'aws:license-manager:us-east-1:$1:',
      ),
      customerAWSAccountId: accountId,
    });

    h.clock.ms += 10 * 86_400_000;
    done(await post('/licenses/upgrade', { licenseArn: first.licenseArn, credits: '50' }));
    expect(h.simulator.getLicense(first.licenseArn)?.entitlements).toEqual([
      { dimension: 'Credits', quantity: 150, expirationDate: new Date('2027-03-10T09:30:00.000Z') },
    ]);

    done(await post('/licenses/renew', { licenseArn: first.licenseArn, months: '12', credits: '300' }));
    expect(h.simulator.getLicense(first.licenseArn)?.entitlements).toEqual([
      { dimension: 'Credits', quantity: 300, expirationDate: new Date('2028-03-10T09:30:00.000Z') },
    ]);
    const renewed = (await state()).licenses[0];
    expect(renewed?.previousAgreementIds).toEqual([first.agreementId]);
    expect(renewed?.agreementId).not.toBe(first.agreementId);

    done(await post('/licenses/auto-renew', { licenseArn: first.licenseArn, enabled: 'true' }));
    expect((await state()).licenses[0]?.autoRenew).toBe(true);

    expect(done(await post('/licenses/cancel', { licenseArn: first.licenseArn }))).toContain(
      'sent 2 EventBridge',
    );
    expect(h.simulator.getLicense(first.licenseArn)?.entitlements).toEqual([]);
    expect((await state()).licenses[0]?.status).toBe('cancelled');

    expect(detailTypes(h.published)).toEqual([
      'Purchase Agreement Created - Proposer',
      'License Updated - Manufacturer',
      'Purchase Agreement Amended - Proposer',
      'License Updated - Manufacturer',
      'Purchase Agreement Created - Proposer',
      'License Updated - Manufacturer',
      'Purchase Agreement Amended - Proposer',
      'Purchase Agreement Ended - Proposer',
      'License Deprovisioned - Manufacturer',
    ]);
    const renewal = JSON.parse(h.published[4] ?? '');
    expect(renewal.detail.agreement).toMatchObject({
      intent: 'RENEW',
      id: renewed?.agreementId,
      previousAgreementId: first.agreementId,
      endTime: '2028-03-10T09:30:00Z',
    });
    for (const body of h.published) {
      const command = toSyncCommand(body, RECORD);
      expect(command.product).toEqual({ code: PRODUCT.productCode });
      expect(command.scope).toMatchObject({ customerAWSAccountId: accountId });
    }
  });

  it('sends one SNS entitlement-updated per change and nothing for auto-renew when bought in SNS mode', async () => {
    const accountId = await createBuyer();
    const licenseArn = await buy(accountId, { mode: 'sns' });
    const customerIdentifier = h.simulator.getLicense(licenseArn)?.customerIdentifier;
    expect(customerIdentifier).toBeDefined();

    expect(done(await post('/licenses/upgrade', { licenseArn, credits: '1' }))).toContain(
      'sent 1 SNS notification',
    );
    expect(done(await post('/licenses/auto-renew', { licenseArn, enabled: 'true' }))).toContain(
      'sent nothing',
    );
    done(await post('/licenses/renew', { licenseArn, months: '1' }));
    done(await post('/licenses/cancel', { licenseArn }));

    expect(h.published).toHaveLength(4);
    for (const body of h.published) {
      expect(toSyncCommand(body, RECORD).scope).toEqual({ by: 'customer', customerIdentifier });
    }
  });

  it('renders buyers, licenses and a set-up form with a fresh token when the page is opened', async () => {
    const accountId = await createBuyer();
    const licenseArn = await buy(accountId);

    const response = await fetch(`${h.running.url}/?done=${encodeURIComponent('Bought it')}`);
    const page = await response.text();
    const again = await (await fetch(h.running.url)).text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain(
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:9",
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(page).not.toMatch(/<script|<link|src=/i);
    expect(page).toContain('Bought it');
    expect(page).toContain(accountId);
    expect(page).toContain('100 Credits');
    expect(page).toContain('2027-03-10');
    expect(page).toContain(`<form method="post" action="${SETUP_URL}">`);
    expect(page).not.toContain('x-amzn-marketplace-offer-type');
    const token = tokenIn(page);
    expect(tokenIn(again)).not.toBe(token);
    expect(h.simulator.resolveCustomer(token)).toMatchObject({ licenseArn, customerAWSAccountId: accountId });
  });

  it('escapes markup when a buyer name or flash message contains it', async () => {
    await createBuyer('<script>alert(1)</script>');

    const page = await (await fetch(`${h.running.url}/?done=${encodeURIComponent('<b>x</b>')}`)).text();

    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;b&gt;x&lt;/b&gt;');
  });

  it('shows the vendor console stand-in when the setup flow redirects there', async () => {
    const response = await fetch(`${h.running.url}/console`);

    expect(response.status).toBe(200);
    expect(await response.text()).toContain("You are in the vendor's console (local stand-in)");
  });

  describe('bad input', () => {
    let accountId: string;
    let licenseArn: string;

    beforeEach(async () => {
      accountId = await createBuyer();
      licenseArn = await buy(accountId);
      h.published.length = 0;
    });

    const cases: [string, () => Promise<Response>, number][] = [
      ['an unknown license', () => post('/licenses/upgrade', { licenseArn: 'arn:nope', credits: '1' }), 404],
      [
        'an unknown buyer',
        () =>
          post('/purchases', {
            accountId: '999999999999',
            productCode: PRODUCT.productCode,
            credits: '1',
            months: '1',
          }),
        404,
      ],
      [
        'an unknown product',
        () => post('/purchases', { accountId, productCode: 'other', credits: '1', months: '1' }),
        400,
      ],
      ['zero credits', () => post('/licenses/upgrade', { licenseArn, credits: '0' }), 400],
      ['too many credits', () => post('/licenses/upgrade', { licenseArn, credits: '1000001' }), 400],
      ['fractional credits', () => post('/licenses/upgrade', { licenseArn, credits: '1.5' }), 400],
      ['credits in exponent form', () => post('/licenses/upgrade', { licenseArn, credits: '1e3' }), 400],
      ['zero months', () => post('/licenses/renew', { licenseArn, months: '0' }), 400],
      ['61 months', () => post('/licenses/renew', { licenseArn, months: '61' }), 400],
      ['a missing field', () => post('/licenses/renew', { licenseArn }), 400],
      [
        'an unknown mode',
        () =>
          post('/purchases', {
            accountId,
            productCode: PRODUCT.productCode,
            credits: '1',
            months: '1',
            mode: 'email',
          }),
        400,
      ],
      [
        'an auto-renew value that is not a boolean',
        () => post('/licenses/auto-renew', { licenseArn, enabled: 'yes' }),
        400,
      ],
      ['an empty buyer name', () => post('/buyers', { name: '   ' }), 400],
      ['a body over 16 KiB', () => post('/buyers', { name: 'x'.repeat(17 * 1024) }), 413],
      ['a JSON body', () => post('/buyers', { name: 'x' }, { 'content-type': 'application/json' }), 415],
      [
        'a cross-site form post',
        () => post('/buyers', { name: 'x' }, { 'sec-fetch-site': 'cross-site' }),
        403,
      ],
      ['a foreign origin', () => post('/buyers', { name: 'x' }, { origin: 'https://evil.example' }), 403],
      ['an unknown route', () => fetch(`${h.running.url}/nope`), 404],
      ['GET on an action', () => fetch(`${h.running.url}/buyers`), 405],
      ['POST on the page', () => post('/', {}), 405],
    ];

    it.each(cases)('answers 4xx and changes nothing when given %s', async (_, send, status) => {
      const before = await state();

      const response = await send();

      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toMatch(/<p class="error">.+<\/p>/);
      expect(await state()).toEqual(before);
      expect(h.published).toEqual([]);
    });

    it('names the allowed method when the method is wrong', async () => {
      const response = await fetch(`${h.running.url}/licenses/cancel`);

      expect(response.headers.get('allow')).toBe('POST');
    });

    it('answers 409 with the reason when the license was cancelled', async () => {
      done(await post('/licenses/cancel', { licenseArn }));
      h.published.length = 0;

      const response = await post('/licenses/upgrade', { licenseArn, credits: '5' });

      expect(response.status).toBe(409);
      expect(await response.text()).toContain('cancelled');
      expect(h.published).toEqual([]);
      expect(h.simulator.getLicense(licenseArn)?.entitlements).toEqual([]);
    });
  });

  it('keeps the change and answers 502 when the notification cannot be queued', async () => {
    const accountId = await createBuyer();
    h.publishFails.value = true;

    const response = await post('/purchases', {
      accountId,
      productCode: PRODUCT.productCode,
      credits: '10',
      months: '1',
    });

    expect(response.status).toBe(502);
    expect(await response.text()).toMatch(
      /bought 10 Credits .*, but notification 1 of 2 could not be queued: queue is down/,
    );
    expect(h.simulator.listLicenses()).toHaveLength(1);
    expect((await state()).licenses).toHaveLength(1);
  });

  it('sees the same buyers and licenses when a second console loads the state file', async () => {
    const accountId = await createBuyer('Grace');
    const licenseArn = await buy(accountId, { autoRenew: 'on' });
    done(await post('/licenses/renew', { licenseArn, months: '6' }));
    const before = await state();

    const second = await startHarness(h.stateFile);

    expect(await state(second)).toEqual(before);
    expect(second.simulator.getLicense(licenseArn)).toEqual(h.simulator.getLicense(licenseArn));
    expect(readdirSync(dir)).toEqual(['marketplace.json']);
    done(await post('/licenses/upgrade', { licenseArn, credits: '7' }, {}, second));
    expect(JSON.parse(second.published[0] ?? '').detail.agreement.id).toBe(before.licenses[0]?.agreementId);
  });

  it('refuses to start when the state file is not one it wrote', () => {
    writeFileSync(h.stateFile, '{"version":2}');

    expect(() =>
      createMarketplaceConsole({
        simulator: new MarketplaceSimulator(),
        products: [PRODUCT],
        sellerAccountId: SELLER,
        setupUrl: SETUP_URL,
        publish: async () => {},
        stateFile: h.stateFile,
        defaultMode: 'sns',
      }),
    ).toThrow(StateFileError);
  });
});

describe('marketplace console agreements', () => {
  it('keeps the agreement in the simulator through purchase, upgrade, toggle, renew and cancel', async () => {
    const accountId = await createBuyer();
    const licenseArn = await buy(accountId);
    const first = h.console.agreementFor(licenseArn);
    expect(first).toMatchObject({
      status: 'ACTIVE',
      intent: 'NEW',
      acceptorAccountId: accountId,
      proposerAccountId: SELLER,
      productId: PRODUCT.productId,
      licenseArns: [licenseArn],
      estimatedCharges: { agreementValue: '1200.00' },
      endTimeBehavior: { type: 'EXPIRE', reasonCode: 'ACCEPTOR_RENEW_OPTED_OUT' },
    });

    done(await post('/licenses/upgrade', { licenseArn, credits: '50' }));
    const upgraded = h.console.agreementFor(licenseArn);
    done(await post('/licenses/auto-renew', { licenseArn, enabled: 'true' }));
    const toggled = h.console.agreementFor(licenseArn);
    done(await post('/licenses/renew', { licenseArn, months: '12' }));
    const renewed = h.console.agreementFor(licenseArn);
    done(await post('/licenses/cancel', { licenseArn }));

    expect(upgraded?.estimatedCharges.agreementValue).toBe('1800.00');
    expect(upgraded?.lastUpdateTime.getTime()).toBeGreaterThan(first?.lastUpdateTime.getTime() ?? 0);
    expect(toggled?.endTimeBehavior.type).toBe('RENEW');
    expect(toggled?.terms.renewalTerm?.configuration.enableAutoRenew).toBe(true);
    expect(renewed).toMatchObject({
      intent: 'RENEW',
      previousAgreementId: first?.agreementId,
      initialAgreementId: first?.agreementId,
      licenseArns: [licenseArn],
    });
    expect(h.simulator.getAgreement(first?.agreementId ?? '')?.status).toBe('RENEWED');
    expect(h.simulator.getAgreement(renewed?.agreementId ?? '')?.status).toBe('CANCELLED');
    const page = await (await fetch(h.running.url)).text();
    expect(page).toContain(renewed?.agreementId);
    expect(page).toContain(`chain: ${first?.agreementId}`);
  });

  it.each([
    ['/licenses/renew-new-license', 'RENEW', 'RENEWED', '2028-03-10'],
    ['/licenses/replace', 'REPLACE', 'REPLACED', '2027-09-10'],
  ] as const)(
    'moves the contract to a new license with its own agreement when the buyer posts %s',
    async (path, intent, oldStatus, endDay) => {
      const accountId = await createBuyer();
      const oldLicense = await buy(accountId);
      const oldAgreement = h.console.agreementFor(oldLicense);
      h.published.length = 0;

      done(await post(path, { licenseArn: oldLicense, months: path === '/licenses/replace' ? '18' : '12' }));

      const licenses = (await state()).licenses;
      const old = licenses.find((l) => l.licenseArn === oldLicense);
      const successor = licenses.find((l) => l.predecessorLicenseArn === oldLicense);
      if (successor === undefined) throw new Error('no successor license');
      expect(old).toMatchObject({
        status: 'ended',
        successorLicenseArn: successor.licenseArn,
        quantities: {},
      });
      expect(successor).toMatchObject({ status: 'active', accountId, quantities: { Credits: 100 } });
      expect(successor.endDate?.slice(0, 10)).toBe(endDay);
      expect(successor.agreement).toMatchObject({
        intent,
        status: 'ACTIVE',
        previousAgreementId: oldAgreement?.agreementId,
        initialAgreementId: oldAgreement?.agreementId,
      });
      expect(h.simulator.getAgreement(oldAgreement?.agreementId ?? '')?.status).toBe(oldStatus);
      expect(
        h.simulator
          .getEntitlements({ productCode: PRODUCT.productCode, filter: {}, maxResults: 25 })
          .entitlements.map((e) => e.licenseArn),
      ).toEqual([successor.licenseArn]);
      expect(detailTypes(h.published)).toEqual([
        'Purchase Agreement Created - Proposer',
        'License Updated - Manufacturer',
        'Purchase Agreement Ended - Proposer',
        'License Deprovisioned - Manufacturer',
      ]);
      const [created, updated, ended, deprovisioned] = h.published.map((b) => JSON.parse(b));
      expect(created.detail.agreement).toMatchObject({
        id: successor.agreementId,
        intent,
        previousAgreementId: oldAgreement?.agreementId,
      });
      expect(toSyncCommand(JSON.stringify(updated), RECORD).scope).toMatchObject({
        by: 'license',
        customerAWSAccountId: accountId,
      });
      expect(ended.detail.agreement).toEqual({ id: oldAgreement?.agreementId, status: oldStatus });
      expect(deprovisioned.detail.license.arn).toContain(oldLicense.slice(-34));
      expect((await post('/licenses/upgrade', { licenseArn: oldLicense, credits: '1' })).status).toBe(409);
    },
  );

  it('sells a free trial with a freeTrialPricingTerm and no renewal when the offer is free-trial', async () => {
    const accountId = await createBuyer();
    const licenseArn = await buy(accountId, { offer: 'free-trial', credits: '20' });

    const agreement = h.console.agreementFor(licenseArn);

    expect(agreement?.terms.freeTrialPricingTerm?.grants).toEqual([
      { dimensionKey: 'Credits', maxQuantity: 20 },
    ]);
    expect(agreement?.estimatedCharges.agreementValue).toBe('0.00');
    expect(h.simulator.getLicense(licenseArn)?.entitlements[0]?.expirationDate).toEqual(
      new Date(h.clock.ms + 30 * 86_400_000),
    );
    expect((await post('/licenses/auto-renew', { licenseArn, enabled: 'true' })).status).toBe(409);
  });

  it('makes a manufacturer-only agreement with Manufacturer events when bought through a channel partner', async () => {
    const accountId = await createBuyer();
    const licenseArn = await buy(accountId, { offer: 'channel-partner' });

    const agreement = h.console.agreementFor(licenseArn);

    expect(agreement).toMatchObject({ manufacturerOnly: true, proposerAccountId: '210987654321' });
    expect(() => h.simulator.describeAgreement(agreement?.agreementId ?? '')).toThrow(/not a party/);
    expect(detailTypes(h.published)).toEqual([
      'Purchase Agreement Created - Manufacturer',
      'License Updated - Manufacturer',
    ]);
    expect(JSON.parse(h.published[0] ?? '').detail.resaleAuthorization.id).toMatch(/^resaleauthz-/);
  });

  it('changes the marketplace but publishes nothing when the buyer drops the notifications', async () => {
    const accountId = await createBuyer();
    const licenseArn = await buy(accountId, { drop: 'on' });
    expect(h.published).toEqual([]);

    const upgraded = done(await post('/licenses/upgrade', { licenseArn, credits: '5', drop: 'on' }));
    done(await post('/licenses/renew-new-license', { licenseArn, months: '1', drop: 'on' }));

    expect(upgraded).toContain('dropped 2 notifications');
    expect(h.published).toEqual([]);
    const licenses = (await state()).licenses;
    expect(licenses.map((l) => l.status)).toEqual(['ended', 'active']);
    expect(licenses[1]?.quantities).toEqual({ Credits: 105 });
  });

  it('gives each license of an old state file an agreement when the file has none', async () => {
    const accountId = await createBuyer('Grace');
    const licenseArn = await buy(accountId);
    const saved = JSON.parse(readFileSync(h.stateFile, 'utf8'));
    const oldIds = ['agmt-old0000000000000000000000'];
    delete saved.agreements;
    saved.licenses[0] = {
      ...saved.licenses[0],
      agreementId: 'agmt-cur0000000000000000000000',
      previousAgreementIds: oldIds,
      agreementStartTime: '2026-03-10T09:30:00.000Z',
      offerId: 'offer-old000000000000000000000',
      autoRenew: true,
    };
    writeFileSync(h.stateFile, JSON.stringify(saved));

    const second = await startHarness(h.stateFile);

    expect(second.console.agreementFor(licenseArn)).toMatchObject({
      agreementId: 'agmt-cur0000000000000000000000',
      initialAgreementId: oldIds[0],
      previousAgreementId: oldIds[0],
      offerId: 'offer-old000000000000000000000',
      status: 'ACTIVE',
      endTimeBehavior: { type: 'RENEW' },
    });
    done(await post('/licenses/upgrade', { licenseArn, credits: '7' }, {}, second));
    const third = await startHarness(h.stateFile);
    expect(third.console.agreementFor(licenseArn)).toEqual(second.console.agreementFor(licenseArn));
  });
});

/** Base64 tokens hold no character the page escapes, so the attribute value is the token. */
function tokenIn(page: string): string {
  const match = /name="x-amzn-marketplace-token" value="([^"]+)"/.exec(page);
  if (match?.[1] === undefined) throw new Error('no token on the page');
  return match[1];
}

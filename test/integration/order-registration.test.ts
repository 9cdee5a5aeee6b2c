import { Logger } from '@aws-lambda-powertools/logger';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { cryptoRandomBytes } from '../../lib/adapters/crypto/code-random.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createOrderStore } from '../../lib/adapters/dynamodb/order-store.js';
import { drawCode } from '../../lib/domain/codes/codes.js';
import { importOrder } from '../../lib/domain/orders/import-order.js';
import type { Order, OrderLineInput } from '../../lib/domain/orders/model.js';
import type { ProductCatalog, ProductConfig } from '../../lib/domain/product/catalog.js';
import type { Browser, Page } from '../support/browser.js';
import { FIXTURE } from '../support/events.js';
import { setupHarness } from '../support/setup-harness.js';

/**
 * Orders from other channels registered on the setup function's pages (R11, R12; seeds 001 and
 * 003), through the handler with DynamoDB Local and local SES: any key of an order previews
 * every line not yet registered, the setup's email, code and business steps run (R4, R7, R8),
 * lines in conflict with the account's services are marked and left for another account, one
 * transaction registers the rest (R3) and their credits count in the business's total (R2).
 */
const START = new Date('2026-05-01T10:00:00.000Z');
const MINUTE = 60_000;
const h = setupHarness(START, { registration: true });

const PRODUCT: ProductConfig = {
  productCode: FIXTURE.productCode,
  creditsPerUnit: { Credits: 1 },
  name: 'Example Platform',
  services: {
    'endpoint-security': { name: 'Endpoint Security', unit: 'endpoint', creditsPerUnit: 3 },
    'email-security': { name: 'Email Security', unit: 'mailbox', creditsPerUnit: 2 },
    'cloud-posture': { name: 'Cloud Posture', unit: 'cloud account', creditsPerUnit: 40 },
  },
};
const catalogWith = (orderConflict?: ProductConfig['orderConflict']): ProductCatalog => ({
  products: [{ ...PRODUCT, ...(orderConflict ? { orderConflict } : {}) }],
});

const BUSINESS = {
  name: 'Example Corp',
  country: 'Germany',
  dataCenterRegion: 'eu',
  timeZone: 'Europe/Berlin',
};
const YEAR_END = '2027-05-01T10:00:00.000Z';

beforeEach(() => {
  h.use({ catalog: catalogWith() });
});

const line = (service: string, extra: Partial<OrderLineInput> = {}): OrderLineInput => ({
  productCode: FIXTURE.productCode,
  service,
  expiresAt: YEAR_END,
  ...(extra.credits === undefined ? { units: 10 } : {}),
  ...extra,
});

/** Imports an order as the license API does, over this test's table and catalog, with the CSPRNG. */
async function importTestOrder(orderId: string, lines: readonly OrderLineInput[]): Promise<Order> {
  const { order } = await importOrder(
    { orderId, company: { name: 'Example Customer GmbH', country: 'DE' }, lines },
    {
      orders: createOrderStore({ client: h.state.table.client, tableName: h.state.table.tableName }),
      catalog: h.state.options.catalog,
      clock: h.state.options.clock,
      random: cryptoRandomBytes,
    },
  );
  return order;
}

const keyOf = (order: Order, lineNo: number) => order.lines[lineNo - 1]?.registrationKey ?? '';

async function storedOrder(orderId: string): Promise<Order | undefined> {
  return h.state.options.registration?.orders.get(orderId);
}

/** Opens the key form and enters a key; answers the POST's response. */
async function enterKey(b: Browser, key: string): Promise<Page> {
  await b.get('/register');
  return b.submit('/register', { key });
}

/** From the email step to review: a new account verifies and gives business details; a returning one goes straight on. */
async function signInToReview(b: Browser, email: string, business = BUSINESS): Promise<Page> {
  await b.get('/setup');
  expect((await b.submit('/setup/email', { email })).status).toBe(303);
  await b.get('/setup');
  expect((await b.submit('/setup/code', { code: await h.lastCodeFor(email) })).status).toBe(303);
  const next = await b.get('/setup');
  if (next.body.includes('name="dataCenterRegion"')) {
    expect((await b.submit('/setup/business', business)).status).toBe(303);
    return b.get('/setup');
  }
  return next;
}

/** A key, the account, the review: the review page. */
async function toReview(key: string, email: string, b = h.browser()): Promise<{ b: Browser; review: Page }> {
  const entered = await enterKey(b, key);
  expect(entered, entered.body).toMatchObject({ status: 303, location: '/setup' });
  return { b, review: await signInToReview(b, email) };
}

/** The page's text, tags dropped, whitespace folded. */
const text = (page: Page) =>
  page.body
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&#39;', "'")
    .replace(/\s+/g, ' ');

const activationCodesOn = (page: Page) => page.body.match(/PC-[0-9A-Z]{4}(?:-[0-9A-Z]{5}){5}/g) ?? [];

async function signInToAccount(b: Browser, email: string): Promise<void> {
  await b.get('/account');
  await b.submit('/account', { email });
  await b.get('/account');
  expect((await b.submit('/account/code', { code: await h.lastCodeFor(email) })).status).toBe(303);
}

describe('order preview (R12)', () => {
  it('previews every open line of the order when a key is entered in lower case without dashes', async () => {
    // Arrange
    const order = await importTestOrder('SO-preview-1', [
      line('endpoint-security', { units: 200 }),
      line('email-security', { credits: 500 }),
      line('cloud-posture', { units: 2, startsAt: '2026-04-01T00:00:00.000Z' }),
    ]);
    const b = h.browser();
    const typed = keyOf(order, 2).toLowerCase().replaceAll('-', '');

    // Act
    const entered = await enterKey(b, typed);
    const email = await b.get('/setup');

    // Assert
    expect(entered).toMatchObject({ status: 303, location: '/setup' });
    expect(entered.setCookies.find((c) => c.startsWith('__Host-setup='))).toMatch(
      /; Path=\/; Max-Age=14400; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(email.status).toBe(200);
    const shown = text(email);
    expect(shown).toContain('Sign in with the email of your account, or create one');
    expect(shown).toContain('SO-preview-1');
    expect(shown).toContain('Example Customer GmbH');
    expect(shown).toContain('3 products are left to register');
    expect(shown).toMatch(/1 Endpoint Security Example Platform 200 endpoints 600 /);
    expect(shown).toMatch(/2 Email Security Example Platform 500 /);
    expect(shown).toMatch(/3 Cloud Posture Example Platform 2 cloud accounts 80 /);
    expect(email.body).toContain('datetime="2026-04-01T00:00:00.000Z"');
    expect(email.body).toContain(`datetime="${YEAR_END}"`);
    expect(shown).not.toContain('Not registered here');
    expect(email.body).toContain('action="/setup/email"');
    // The key itself is never put on the page.
    expect(email.body).not.toContain(keyOf(order, 2));
  });

  it('links the key form from the landing page', async () => {
    const landing = await h.browser().get('/');
    expect(landing.status).toBe(200);
    expect(landing.body).toContain('href="/register"');
  });
});

describe('order registration (R12, R3, R2)', () => {
  it("registers a new account's order: code by mail, business, review, one Register; the codes on the page, in the mail and on the account's pages", async () => {
    // Arrange
    const order = await importTestOrder('SO-new-1', [
      line('endpoint-security', { units: 100 }),
      line('email-security', { units: 50 }),
    ]);

    // Act
    const { b, review } = await toReview(keyOf(order, 1), 'new@example.com');
    const registered = await b.submit('/setup/register');
    const again = await b.get('/setup');

    // Assert
    expect(review.status).toBe(200);
    const reviewed = text(review);
    expect(reviewed).toContain('Review and register');
    expect(reviewed).toContain('Example Corp');
    expect(reviewed).toContain('Europe (Frankfurt)');
    expect(reviewed).toContain('Registering adds 2 licenses with 400 credits in all to Example Corp');
    // 10:00 UTC is 12:00 in Berlin (summer time): the term is in the business's zone (R8).
    expect(review.body).toContain(`datetime="${YEAR_END}">May 1, 2027, 12:00 PM GMT+2</time>`);
    expect(review.body).toContain('action="/setup/register"');

    expect(registered.status).toBe(200);
    const codes = activationCodesOn(registered);
    expect(codes).toHaveLength(2);
    expect(text(registered)).toContain('Order SO-new-1 is registered to Example Corp');
    expect(text(registered)).toContain(
      'A confirmation with the Activation Codes was emailed to new@example.com',
    );
    expect(registered.body).toContain('href="https://console.example.com/welcome"');
    expect(activationCodesOn(again)).toEqual(codes);

    const stored = await storedOrder('SO-new-1');
    const businessId = stored?.lines[0]?.registeredBy ?? '';
    expect(businessId).toMatch(/^biz-/);
    expect(stored?.lines.every((l) => l.registeredBy === businessId)).toBe(true);

    const mail = (await h.mailsTo('new@example.com')).find((m) =>
      /order SO-new-1 is registered/.test(m.subject),
    );
    for (const code of codes) expect(mail?.body.text).toContain(code);

    const account = h.browser();
    await signInToAccount(account, 'new@example.com');
    const licenses = await account.get('/account/licenses');
    expect(licenses.status).toBe(200);
    expect(activationCodesOn(licenses).sort()).toEqual([...codes].sort());
    expect(licenses.body).toContain('SO-new-1, line 1');
    const usage = await account.get('/account/usage');
    expect(usage.body).toContain('<dt>Total credits</dt><dd>400</dd>');
  });

  it('marks a line whose service the returning business has for an overlapping term, leaves it out and registers the rest', async () => {
    // Arrange: the business holds Endpoint Security from an earlier order.
    const first = await importTestOrder('SO-first', [line('endpoint-security', { units: 100 })]);
    const { b: earlier } = await toReview(keyOf(first, 1), 'ann@example.com');
    expect((await earlier.submit('/setup/register')).status).toBe(200);
    const second = await importTestOrder('SO-second', [
      line('endpoint-security', { units: 20, startsAt: '2026-04-15T00:00:00.000Z' }),
      line('email-security', { units: 50 }),
    ]);

    // Act
    const { b, review } = await toReview(keyOf(second, 2), 'ann@example.com');
    const registered = await b.submit('/setup/register');

    // Assert
    expect(review.status).toBe(200);
    expect(text(review)).toMatch(
      /Not registered here: this account already has Endpoint Security until May 1, 2027, 12:00 PM GMT\+2 ?: register this line to another account/,
    );
    expect(text(review)).toContain('Registering adds 1 license with 100 credits in all');
    expect(text(review)).toContain('1 line is left out.');
    expect(registered.status).toBe(200);
    expect(activationCodesOn(registered)).toHaveLength(1);
    expect(text(registered)).toContain('1 line was not registered');
    const stored = await storedOrder('SO-second');
    expect(stored?.lines[0]?.registeredBy).toBeUndefined();
    expect(stored?.lines[1]?.registeredBy).toMatch(/^biz-/);
  });

  it("follows the product's conflict rule: none registers every line, same-service and overlapping-term mark it", async () => {
    // Arrange: Endpoint Security until YEAR_END, then orders for the same service that end
    // later. A line's term never starts after its import (a renewal is imported when its term
    // starts), so a live license and a line of the same service always overlap.
    const first = await importTestOrder('SO-rule-first', [line('endpoint-security')]);
    const { b: earlier } = await toReview(keyOf(first, 1), 'rule@example.com');
    expect((await earlier.submit('/setup/register')).status).toBe(200);
    const later = { expiresAt: '2028-05-01T00:00:00.000Z' };
    const overlapping = await importTestOrder('SO-rule-none', [line('endpoint-security')]);
    const afterwards = await importTestOrder('SO-rule-same', [line('endpoint-security', later)]);
    const afterwardsToo = await importTestOrder('SO-rule-term', [line('endpoint-security', later)]);

    // Act
    h.use({ catalog: catalogWith('none') });
    const none = await toReview(keyOf(overlapping, 1), 'rule@example.com');
    h.use({ catalog: catalogWith('same-service') });
    const same = await toReview(keyOf(afterwards, 1), 'rule@example.com');
    h.use({ catalog: catalogWith('overlapping-term') });
    const term = await toReview(keyOf(afterwardsToo, 1), 'rule@example.com');

    // Assert
    expect(none.review.status).toBe(200);
    expect(text(none.review)).not.toContain('Not registered here');
    expect(same.review.status).toBe(409);
    expect(text(same.review)).toContain('Register this order to another account');
    expect(text(same.review)).toContain('this account already has Endpoint Security');
    expect(same.review.body).not.toContain('action="/setup/register"');
    expect(term.review.status).toBe(409);
    expect(text(term.review)).toContain('this account already has Endpoint Security');
  });

  it('answers a second key of a registered order with "already registered", and shows another account only the line left', async () => {
    // Arrange: the business has Email Security; a 3-line order whose line 2 conflicts with it.
    const held = await importTestOrder('SO-held', [line('email-security')]);
    const { b: holder } = await toReview(keyOf(held, 1), 'holder@example.com');
    expect((await holder.submit('/setup/register')).status).toBe(200);
    const order = await importTestOrder('SO-three', [
      line('endpoint-security'),
      line('email-security'),
      line('cloud-posture', { units: 1 }),
    ]);
    const { b } = await toReview(keyOf(order, 1), 'holder@example.com');
    expect((await b.submit('/setup/register')).status).toBe(200);

    // Act
    const other = h.browser();
    await enterKey(other, keyOf(order, 3));
    const preview = await other.get('/setup');
    const review = await signInToReview(other, 'other@example.com', { ...BUSINESS, name: 'Other AG' });
    const registered = await other.submit('/setup/register');
    const late = await enterKey(h.browser(), keyOf(order, 2));
    const heldAgain = await enterKey(h.browser(), keyOf(held, 1));

    // Assert
    expect(text(preview)).toContain('1 product is left to register');
    expect(text(preview)).toMatch(/2 Email Security Example Platform/);
    expect(text(preview)).not.toMatch(/Endpoint Security|Cloud Posture/);
    expect(review.status).toBe(200);
    expect(registered.status).toBe(200);
    expect(activationCodesOn(registered)).toHaveLength(1);
    expect(late.status).toBe(409);
    expect(text(late)).toContain('This order is registered already');
    expect(heldAgain.status).toBe(409); // a fully registered order's key opens no session
    expect(heldAgain.setCookies.some((c) => c.startsWith('__Host-setup='))).toBe(false);
    const stored = await storedOrder('SO-three');
    expect(new Set(stored?.lines.map((l) => l.registeredBy)).size).toBe(2);
  });

  it('lets exactly one of two buyers registering one order at the same moment win; the other gets the already-registered page', async () => {
    // Arrange
    const order = await importTestOrder('SO-race', [line('endpoint-security'), line('email-security')]);
    const one = await toReview(keyOf(order, 1), 'one@example.com', h.browser());
    const two = await toReview(keyOf(order, 2), 'two@example.com', h.browser());

    // Act
    const [a, b] = await Promise.all([one.b.submit('/setup/register'), two.b.submit('/setup/register')]);

    // Assert
    const answers = [a, b].sort((x, y) => x.status - y.status);
    expect(answers.map((p) => p.status)).toEqual([200, 409]);
    expect(text(answers[1] as Page)).toContain('This order is registered already');
    const stored = await storedOrder('SO-race');
    const winner = stored?.lines[0]?.registeredBy ?? '';
    expect(stored?.lines.every((l) => l.registeredBy === winner)).toBe(true);
    const credits = h.credits();
    const winnerLedger = await credits.ledgers.get(winner);
    expect(winnerLedger?.total).toBe(50);
    const loserEmail = a.status === 200 ? 'two@example.com' : 'one@example.com';
    const loser = await credits.businesses.findByEmail(loserEmail);
    expect(loser).toBeDefined();
    expect((await credits.ledgers.get(loser?.businessId ?? ''))?.total ?? 0).toBe(0);
  });
});

describe('hostile input to the registration pages (R11)', () => {
  it('refuses an 81-character key and a key with a wrong check character without taking from the budget', async () => {
    // Arrange
    const order = await importTestOrder('SO-typo', [line('endpoint-security')]);
    const key = keyOf(order, 1);
    const last = Number(key.at(-1));
    const typo = `${key.slice(0, -1)}${(last + 1) % 10}`;
    const b = h.browser('192.0.2.20');
    await b.get('/register');

    // Act
    const long = await b.submit('/register', { key: `${key}${'-'.repeat(59)}` });
    const typos: Page[] = [];
    for (let i = 0; i < 12; i++) typos.push(await b.submit('/register', { key: typo }));
    const right = await b.submit('/register', { key });

    // Assert
    expect(long.status).toBe(400);
    expect(text(long)).toContain('A Registration Key is 22 characters');
    expect(typos.map((p) => p.status)).toEqual(Array(12).fill(400));
    expect(text(typos[0] as Page)).toContain('check it for a typo');
    expect(typos[0]?.body).toContain(`value="${typo}"`);
    expect(right).toMatchObject({ status: 303, location: '/setup' });
  });

  it('answers the eleventh unknown key from one source with 429 and Retry-After; another source is still served', async () => {
    // Arrange
    const b = h.browser('192.0.2.30');
    await b.get('/register');
    const unknown = () => drawCode('registration-key', cryptoRandomBytes);

    // Act
    const answers: Page[] = [];
    for (let i = 0; i < 11; i++) answers.push(await b.submit('/register', { key: unknown() }));
    const elsewhere = await enterKey(h.browser('192.0.2.31'), unknown());

    // Assert
    expect(answers.slice(0, 10).map((p) => p.status)).toEqual(Array(10).fill(400));
    expect(text(answers[0] as Page)).toContain('No order has this Registration Key');
    const limited = answers[10] as Page;
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(text(limited)).toContain('Too many keys that do not exist');
    expect(elsewhere.status).toBe(400);
  });

  it('lets at most ten of 30 parallel unknown keys reach the table', async () => {
    // Arrange: count the code lookups that reach the store.
    const registration = h.state.options.registration;
    if (!registration) throw new Error('no registration');
    let lookups = 0;
    h.use({
      registration: {
        ...registration,
        codes: {
          findCode: (code) => {
            lookups++;
            return registration.codes.findCode(code);
          },
        },
      },
    });
    const b = h.browser('192.0.2.40');
    await b.get('/register');
    const csrf = b.csrf();

    // Act
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        b.post('/register', { csrf, key: drawCode('registration-key', cryptoRandomBytes) }),
      ),
    );

    // Assert
    expect(lookups).toBeLessThanOrEqual(10);
    expect(answers.filter((p) => p.status === 400).length).toBe(lookups);
    expect(answers.filter((p) => p.status === 429).length).toBe(30 - lookups);
  });

  it('escapes what the order and the buyer typed: markup stays text on every page', async () => {
    // Arrange
    const { order } = await importOrder(
      {
        orderId: 'SO-markup',
        company: { name: '<script>alert(1)</script>' },
        lines: [line('endpoint-security')],
      },
      {
        orders: createOrderStore({ client: h.state.table.client, tableName: h.state.table.tableName }),
        catalog: h.state.options.catalog,
        clock: h.state.options.clock,
        random: cryptoRandomBytes,
      },
    );
    const b = h.browser();

    // Act
    const refused = await enterKey(b, '"><script>x</script>');
    await b.submit('/register', { key: keyOf(order, 1) });
    const preview = await b.get('/setup');

    // Assert
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(preview.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    for (const page of [refused, preview]) expect(page.body).not.toMatch(/<script/i);
  });

  it('says a replaced key was replaced (410)', async () => {
    // Arrange
    const order = await importTestOrder('SO-replaced', [line('endpoint-security')]);
    const key = keyOf(order, 1);
    await h.state.table.client.send(
      new UpdateCommand({
        TableName: h.state.table.tableName,
        Key: keys.code(key),
        UpdateExpression: 'SET #state = :replaced',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':replaced': 'replaced' },
      }),
    );

    // Act
    const answer = await enterKey(h.browser(), key);

    // Assert
    expect(answer.status).toBe(410);
    expect(text(answer)).toContain('This key was replaced');
    expect(answer.setCookies.some((c) => c.startsWith('__Host-setup='))).toBe(false);
  });

  it('refuses the key form without its CSRF token, from another browser, oversized or of another content type', async () => {
    // Arrange
    const order = await importTestOrder('SO-forms', [line('endpoint-security')]);
    const key = keyOf(order, 1);
    const b = h.browser();
    await b.get('/register');
    const token = b.csrf();

    // Act
    const noToken = await b.post('/register', { key });
    const forged = await b.post('/register', { key, csrf: 'x'.repeat(43) });
    const noCookie = await h.browser().post('/register', { key, csrf: token });
    const oversized = await b.post('/register', { csrf: token, key: 'x'.repeat(20_000) });
    const json = await b.post(
      '/register',
      {},
      { contentType: 'application/json', rawBody: JSON.stringify({ key }) },
    );

    // Assert
    expect([noToken.status, forged.status, noCookie.status]).toEqual([403, 403, 403]);
    expect(oversized.status).toBe(413);
    expect(json.status).toBe(415);
    expect(b.cookies.has('__Host-setup')).toBe(false);
  });

  it('keeps a marketplace setup and an order registration to their own buttons, never a 500', async () => {
    // Arrange: a marketplace setup at review, and an order registration at review.
    const { license, contractId } = h.buy(700);
    const marketplace = h.browser();
    await h.arrive(marketplace, { licenseArn: license.licenseArn });
    const atReview = await signInToReview(marketplace, 'mp@example.com');
    expect(atReview.body).toContain('action="/setup/activate"');
    const order = await importTestOrder('SO-buttons', [line('endpoint-security')]);
    const { b: registrant } = await toReview(keyOf(order, 1), 'order@example.com');

    // Act
    const wrongRegister = await marketplace.submit('/setup/register');
    const wrongActivate = await registrant.submit('/setup/activate');

    // Assert
    expect(wrongRegister).toMatchObject({ status: 303, location: '/setup' });
    expect(wrongActivate).toMatchObject({ status: 303, location: '/setup' });
    expect((await h.state.options.contracts.load(contractId))?.contract.activatedBy).toBeUndefined();
    expect((await storedOrder('SO-buttons'))?.lines[0]?.registeredBy).toBeUndefined();
  });

  it('ends an order registration after four hours with a page that says to enter the key again (R4)', async () => {
    // Arrange
    const order = await importTestOrder('SO-late', [line('endpoint-security')]);
    const b = h.browser();
    await enterKey(b, keyOf(order, 1));
    await b.get('/setup');

    // Act
    h.state.now = new Date(START.getTime() + 4 * 60 * MINUTE);
    const late = await b.get('/setup');

    // Assert
    expect(late.status).toBe(410);
    expect(text(late)).toContain('This registration has expired');
    expect(late.body).toContain('href="/register"');
    expect(late.body).not.toContain('AWS Marketplace, open Your software subscriptions');
  });
});

describe('codes and logs (R11)', () => {
  it('never writes a Registration Key or an Activation Code to the logs, whatever the step', async () => {
    // Arrange: the handler logs at DEBUG; what the Logger writes goes to process.stdout.
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    let key = '';
    let codes: string[] = [];
    try {
      h.use({ catalog: catalogWith(), logger: new Logger({ serviceName: 'setup', logLevel: 'DEBUG' }) });
      const order = await importTestOrder('SO-logs-1', [line('endpoint-security'), line('email-security')]);
      key = keyOf(order, 1);

      // Act: a typo, an unknown key, the whole registration, and the key again after it.
      const b = h.browser();
      await enterKey(b, `${key.slice(0, -1)}${(Number(key.slice(-1)) + 1) % 10}`);
      await enterKey(b, drawCode('registration-key', cryptoRandomBytes));
      const { b: buyer } = await toReview(key, 'logs@example.com');
      const registered = await buyer.submit('/setup/register');
      expect(registered.status).toBe(200);
      codes = activationCodesOn(registered);
      await enterKey(h.browser(), key);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }

    // Assert: the handler did log, and no code in any spelling is in what it wrote.
    const logs = written.join('');
    expect(logs).toMatch(/"level":"(DEBUG|INFO)"/);
    expect(codes).toHaveLength(2);
    for (const code of [key, ...codes]) {
      expect(logs).not.toContain(code);
      expect(logs).not.toContain(code.replace(/-/g, ''));
      expect(logs.toLowerCase()).not.toContain(code.toLowerCase());
    }
    expect(logs).not.toMatch(/PC-[0-9A-Z]{4}-/);
  });
});

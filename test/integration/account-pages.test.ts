import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { nodeSecrets } from '../../lib/adapters/crypto/node-secrets.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { TTL_ATTRIBUTE } from '../../lib/adapters/dynamodb/table.js';
import { addOtherChannelLicense, setServiceAllocation } from '../../lib/domain/credits/use-cases.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import type { Browser, Page } from '../support/browser.js';
import { registerBusiness } from '../support/credits.js';
import { FIXTURE } from '../support/events.js';
import { setupHarness } from '../support/setup-harness.js';

/**
 * Issue 13: the returning buyer's pages on the setup function. Sign-in with an email code
 * (R7, the setup's rules and budgets), the signed-in business's licenses (R2) and credit
 * usage (R9), and the public credit calculator (R14).
 */
const START = new Date('2026-05-01T10:00:00.000Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const h = setupHarness(START);

const CATALOG: ProductCatalog = {
  products: [
    {
      productCode: FIXTURE.productCode,
      creditsPerUnit: { Credits: 1 },
      name: 'Example Platform',
      services: {
        'endpoint-security': { name: 'Endpoint Security', unit: 'endpoint', creditsPerUnit: 3 },
        'email-security': { name: 'Email Security', unit: 'mailbox', creditsPerUnit: 2 },
        'cloud-posture': { name: 'Cloud Posture', unit: 'cloud account', creditsPerUnit: 40 },
        'network-sensor': { name: 'Network Sensor', unit: 'sensor', creditsPerUnit: 100 },
      },
    },
  ],
};

const BUSINESS = {
  name: 'Example Corp',
  country: 'Germany',
  dataCenterRegion: 'eu',
  timeZone: 'Europe/Berlin',
};

beforeEach(() => {
  h.use({ catalog: CATALOG });
});

/** Buys, arrives, verifies, gives business details and activates: the returning buyer of later. */
async function activate(email: string, credits = 1000) {
  const { license, contractId } = h.buy(credits);
  const b = h.browser();
  await h.askCode(b, license.licenseArn, email);
  await b.get('/setup');
  await b.submit('/setup/code', { code: await h.lastCodeFor(email) });
  if ((await b.get('/setup')).body.includes('name="name"')) {
    await b.submit('/setup/business', BUSINESS);
    await b.get('/setup');
  }
  const activated = await b.submit('/setup/activate');
  expect(activated.status).toBe(303);
  const stored = await h.state.options.contracts.load(contractId);
  return { contractId, businessId: stored?.contract.activatedBy ?? '' };
}

/** Opens the sign-in form and asks for a code; answers the POST's response. */
async function askSignInCode(b: Browser, email: string): Promise<Page> {
  await b.get('/account');
  return b.submit('/account', { email });
}

/** The whole sign-in: form, code from the mail, and the signed-in account page. */
async function signIn(b: Browser, email: string): Promise<Page> {
  await askSignInCode(b, email);
  await b.get('/account');
  const signedIn = await b.submit('/account/code', { code: await h.lastCodeFor(email) });
  expect(signedIn.status).toBe(303);
  return b.get('/account');
}

/** Codes mailed to an address (the activation's confirmation aside). */
const codesTo = async (email: string) =>
  (await h.mailsTo(email)).filter((m) => /verification code/.test(m.body.text ?? '')).length;

const wrongCodeFor = (right: string) => String((Number(right) + 1) % 1_000_000).padStart(6, '0');

async function storedAccountSession(cookie: string) {
  const out = await h.state.table.client.send(
    new GetCommand({
      TableName: h.state.table.tableName,
      Key: keys.accountSession(nodeSecrets.hash(cookie)),
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

describe('account sign-in', () => {
  it('signs a returning buyer in with an emailed code when the email has a business', async () => {
    // Arrange
    await activate('ann@example.com');
    const b = h.browser();

    // Act
    const asked = await askSignInCode(b, 'Ann@Example.com');
    const codePage = await b.get('/account');
    const verified = await b.submit('/account/code', { code: await h.lastCodeFor('ann@example.com') });
    const home = await b.get('/account');

    // Assert
    expect(asked.status).toBe(303);
    expect(codePage.body).toContain('If an account exists for <strong>ann@example.com</strong>');
    expect(verified.location).toBe('/account');
    const cookie = verified.setCookies.find((c) => c.startsWith('__Secure-account=')) ?? '';
    expect(cookie).toMatch(/; Path=\/account; Max-Age=43200; HttpOnly; Secure; SameSite=Lax$/);
    expect(home.status).toBe(200);
    expect(home.body).toContain('You are signed in for <strong>Example Corp</strong>');
    expect(home.body).toContain('href="/account/licenses"');
    const value = b.cookies.get('__Secure-account') ?? '';
    const stored = await storedAccountSession(value);
    expect(stored?.step).toBe('signed-in');
    expect(JSON.stringify(stored)).not.toContain(value);
    expect(stored?.[TTL_ATTRIBUTE]).toBe(Math.ceil((START.getTime() + 12 * 60 * MINUTE) / 1000));
  });

  it('compares at most five of 20 parallel wrong guesses, then refuses even the right code', async () => {
    // Arrange
    await activate('guess@example.com');
    const b = h.browser();
    await askSignInCode(b, 'guess@example.com');
    await b.get('/account');
    const right = await h.lastCodeFor('guess@example.com');
    const csrf = b.csrf();

    // Act
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => b.post('/account/code', { csrf, code: wrongCodeFor(right) })),
    );
    const late = await b.post('/account/code', { csrf, code: right });

    // Assert
    const compared = answers.filter((a) => a.status === 400);
    const locked = answers.filter((a) => a.status === 429);
    expect(compared.length).toBeLessThanOrEqual(5);
    expect(compared.length + locked.length).toBe(20);
    expect(locked[0]?.body).toContain('Too many wrong codes');
    expect(late.status).toBe(429);
    expect(b.cookies.get('__Secure-account')).toBeDefined();
    await expect(b.get('/account/licenses')).resolves.toMatchObject({ status: 303, location: '/account' });
  });

  it('refuses the code once its three minutes are over, on the injected clock', async () => {
    // Arrange
    await activate('late@example.com');
    const b = h.browser();
    await askSignInCode(b, 'late@example.com');
    await b.get('/account');
    const code = await h.lastCodeFor('late@example.com');
    h.state.now = new Date(h.state.now.getTime() + 3 * MINUTE);

    // Act
    const answer = await b.submit('/account/code', { code });

    // Assert
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('That code has expired');
    await expect(b.get('/account/licenses')).resolves.toMatchObject({ status: 303 });
  });

  it('accepts the code a second before its three minutes are over', async () => {
    // Arrange
    await activate('intime@example.com');
    const b = h.browser();
    await askSignInCode(b, 'intime@example.com');
    await b.get('/account');
    const code = await h.lastCodeFor('intime@example.com');
    h.state.now = new Date(h.state.now.getTime() + 3 * MINUTE - 1000);

    // Act
    const answer = await b.submit('/account/code', { code });

    // Assert
    expect(answer.status).toBe(303);
    await expect(b.get('/account/licenses')).resolves.toMatchObject({ status: 200 });
  });

  it('answers an unknown email and a user without a business exactly like a known email, mailing nothing', async () => {
    // Arrange
    await activate('known@example.com');
    await h.state.options.setups.ensureUser({ email: 'nobiz@example.com', createdAt: START.toISOString() });
    const shape = async (email: string) => {
      const b = h.browser();
      const posted = await askSignInCode(b, email);
      const shown = await b.get('/account');
      const wrong = await b.submit('/account/code', { code: '000000' });
      return {
        posted: [posted.status, posted.location, posted.setCookies.map((c) => c.replace(/=[^;]+/, '=…'))],
        shown: [shown.status, shown.body.replaceAll(email, 'EMAIL').replace(/value="[^"]+"/g, 'value="…"')],
        wrong: [wrong.status, wrong.body.replaceAll(email, 'EMAIL').replace(/value="[^"]+"/g, 'value="…"')],
      };
    };
    const mailsBefore = (await h.mailsTo('known@example.com')).length;

    // Act
    const known = await shape('known@example.com');
    const unknown = await shape('stranger@example.com');
    const noBusiness = await shape('nobiz@example.com');

    // Assert
    // The known email's guess might be right by chance (one in a million): compare the rest.
    expect(unknown.posted).toEqual(known.posted);
    expect(unknown.shown).toEqual(known.shown);
    expect(noBusiness).toEqual(unknown);
    expect(unknown.wrong[0]).toBe(400);
    expect((await h.mailsTo('known@example.com')).length).toBe(mailsBefore + 1);
    expect(await h.mailsTo('stranger@example.com')).toHaveLength(0);
    expect(await h.mailsTo('nobiz@example.com')).toHaveLength(0);
  });

  it('makes an unknown email take as long as known ones did: a known sign-in is timed, an unknown one padded to it', async () => {
    // Arrange: the pages over a timing that records instead of sleeping.
    const recorded: number[] = [];
    const padded: number[] = [];
    let clock = 0;
    const timing = {
      now: () => clock,
      record: (ms: number) => void recorded.push(ms),
      padFrom: async (since: number) => {
        padded.push(since);
        return 0;
      },
    };
    const { account } = h.state.options;
    if (!account) throw new Error('no account pages');
    h.use({ account: { ...account, timing } });
    await activate('timed@example.com');

    // Act
    clock = 100;
    await askSignInCode(h.browser(), 'timed@example.com');
    clock = 500;
    await askSignInCode(h.browser(), 'untimed@example.com');

    // Assert: the known one's time fed the average; the unknown one waited from its own start.
    expect(recorded).toHaveLength(1);
    expect(padded).toEqual([500]);
  });

  it('spends the source budget for unknown emails too', async () => {
    // Arrange
    h.use({ limits: { sourceSignIns: { limit: 2, windowMs: 10 * MINUTE } } });
    const sameSource = () => h.browser('192.0.2.50');

    // Act
    const first = await askSignInCode(sameSource(), 'nobody1@example.com');
    const second = await askSignInCode(sameSource(), 'nobody2@example.com');
    const third = await askSignInCode(sameSource(), 'nobody3@example.com');
    const elsewhere = await askSignInCode(h.browser('192.0.2.51'), 'nobody4@example.com');

    // Assert
    expect([first.status, second.status, third.status, elsewhere.status]).toEqual([303, 303, 429, 303]);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.body).toContain('Too many sign-in codes were asked for from your network');
  });

  it('resends a code only after the cooldown, and the new code replaces the old one', async () => {
    // Arrange
    await activate('resend@example.com');
    const b = h.browser();
    await askSignInCode(b, 'resend@example.com');
    await b.get('/account');
    const first = await h.lastCodeFor('resend@example.com');
    const mails = (await h.mailsTo('resend@example.com')).length;

    // Act
    const early = await b.submit('/account/resend');
    const waitPage = await b.get('/account');
    h.state.now = new Date(h.state.now.getTime() + 31_000);
    await b.submit('/account/resend');
    await b.get('/account');
    const second = await h.lastCodeFor('resend@example.com');
    const old = first === second ? undefined : await b.submit('/account/code', { code: first });
    const fresh = await b.submit('/account/code', { code: second });

    // Assert
    expect(early.status).toBe(303);
    expect(waitPage.body).toMatch(/Resend in \d+ s/);
    expect((await h.mailsTo('resend@example.com')).length).toBe(mails + 1);
    if (old) expect(old.status).toBe(400);
    expect(fresh.status).toBe(303);
  });

  it('refuses forms without the CSRF token', async () => {
    // Arrange
    await activate('csrf@example.com');
    const b = h.browser();
    await b.get('/account');
    const token = b.csrf();

    // Act
    const noToken = await b.post('/account', { email: 'csrf@example.com' });
    const forged = await b.post('/account', { email: 'csrf@example.com', csrf: 'x'.repeat(43) });
    const noCookie = await h.browser().post('/account', { email: 'csrf@example.com', csrf: token });
    await signIn(b, 'csrf@example.com');
    const signOutForged = await b.post('/account/sign-out', { csrf: 'y'.repeat(43) });

    // Assert
    expect([noToken.status, forged.status, noCookie.status, signOutForged.status]).toEqual([
      403, 403, 403, 403,
    ]);
    expect(await codesTo('csrf@example.com')).toBe(2); // the setup's code and the sign-in's
    await expect(b.get('/account/licenses')).resolves.toMatchObject({ status: 200 });
  });
});

describe('account session', () => {
  it("never shows another business's data, whatever the URL or a tampered cookie says", async () => {
    // Arrange
    const a = await activate('a@example.com');
    const other = await activate('b@example.com', 777);
    const b = h.browser();
    await signIn(b, 'a@example.com');
    const cookie = b.cookies.get('__Secure-account') ?? '';

    // Act
    const own = await b.get(`/account/licenses?business=${other.businessId}&businessId=${other.businessId}`);
    b.cookies.set('__Secure-account', `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`);
    const tampered = await b.get('/account/licenses');
    b.cookies.set('__Secure-account', nodeSecrets.hash(cookie)); // the stored key is not a cookie
    const storedKey = await b.get('/account/usage');
    const pending = h.browser();
    await askSignInCode(pending, 'b@example.com');
    const beforeCode = await pending.get('/account/licenses');
    const setupOnly = h.browser();
    setupOnly.cookies.set('__Host-setup', cookie);
    const wrongCookie = await setupOnly.get('/account/usage');

    // Assert
    expect(own.status).toBe(200);
    expect(own.body).toContain(a.contractId);
    expect(own.body).not.toContain(other.contractId);
    expect(own.body).toContain('<dt>Credits now</dt><dd>1,000</dd>');
    for (const page of [tampered, storedKey, beforeCode, wrongCookie]) {
      expect(page).toMatchObject({ status: 303, location: '/account' });
    }
  });

  it('signs out: the cookie is cleared and the old cookie opens nothing any more', async () => {
    // Arrange
    await activate('out@example.com');
    const b = h.browser();
    await signIn(b, 'out@example.com');
    const cookie = b.cookies.get('__Secure-account') ?? '';

    // Act
    const out = await b.submit('/account/sign-out');
    const replay = h.browser();
    replay.cookies.set('__Secure-account', cookie);
    const afterwards = await replay.get('/account/licenses');
    const form = await replay.get('/account');

    // Assert
    expect(out).toMatchObject({ status: 303, location: '/account' });
    expect(out.setCookies[0]).toMatch(/^__Secure-account=; Path=\/account; Max-Age=0;/);
    expect(b.cookies.has('__Secure-account')).toBe(false);
    expect(afterwards).toMatchObject({ status: 303, location: '/account' });
    expect(form.body).toContain('Sign in to your account');
    expect((await storedAccountSession(cookie))?.step).toBe('ended');
  });

  it('ends the signed-in session after twelve hours', async () => {
    // Arrange
    await activate('twelve@example.com');
    const b = h.browser();
    await signIn(b, 'twelve@example.com');

    // Act
    h.state.now = new Date(h.state.now.getTime() + 12 * 60 * MINUTE - 1000);
    const before = await b.get('/account/licenses');
    h.state.now = new Date(h.state.now.getTime() + 1000);
    const after = await b.get('/account/licenses');

    // Assert
    expect(before.status).toBe(200);
    expect(after).toMatchObject({ status: 303, location: '/account' });
  });
});

describe('license information and credit usage', () => {
  it("shows every license and item with origin, credits, created, expiry and state in the business's time zone", async () => {
    // Arrange
    const { contractId, businessId } = await activate('lic@example.com', 1000);
    await addOtherChannelLicense(h.credits(), businessId, {
      reference: 'DEAL-42',
      productCode: FIXTURE.productCode,
      credits: 500,
      expiresAt: '2026-06-15T10:00:00.000Z',
      description: 'Partner deal',
    });
    const b = h.browser();
    await signIn(b, 'lic@example.com');

    // Act
    const page = await b.get('/account/licenses');

    // Assert
    expect(page.status).toBe(200);
    expect(page.body).toContain('Example Platform: AWS Marketplace contract');
    expect(page.body).toContain('Example Platform: License from another channel');
    expect(page.body).toContain(contractId);
    expect(page.body).toContain('DEAL-42');
    expect(page.body).toContain('Partner deal');
    expect(page.body).toMatch(/<td>1<\/td><td>Purchase<\/td><td class="num">1,000<\/td>/);
    expect(page.body).toMatch(/<td>1<\/td><td>Direct<\/td><td class="num">500<\/td>/);
    // 10:00 UTC is 12:00 in Berlin (summer time): dates are in the business's zone.
    expect(page.body).toContain('datetime="2026-06-15T10:00:00.000Z">Jun 15, 2026, 12:00 PM GMT+2</time>');
    expect(page.body).toContain('datetime="2026-05-01T10:00:00.000Z">May 1, 2026, 12:00 PM GMT+2</time>');
    expect(page.body).toContain('Europe/Berlin');
    expect(page.body.match(/<td>Active<\/td><\/tr>/g)).toHaveLength(2);
  });

  it('shows total, allocated, balance, the distribution as a chart and what expires within 60 days', async () => {
    // Arrange
    const { businessId } = await activate('use@example.com', 1000);
    await addOtherChannelLicense(h.credits(), businessId, {
      reference: 'DEAL-7',
      productCode: FIXTURE.productCode,
      credits: 500,
      expiresAt: new Date(START.getTime() + 45 * DAY).toISOString(),
    });
    await setServiceAllocation(h.credits(), businessId, 'endpoint-security', 100); // 300 credits
    await setServiceAllocation(h.credits(), businessId, 'email-security', 50); // 100 credits
    const b = h.browser();
    await signIn(b, 'use@example.com');

    // Act
    const page = await b.get('/account/usage');

    // Assert
    expect(page.status).toBe(200);
    expect(page.body).toContain('<dt>Total credits</dt><dd>1,500</dd>');
    expect(page.body).toContain('<dt>Allocated</dt><dd>400</dd>');
    expect(page.body).toContain('<dt>Balance</dt><dd>1,100</dd>');
    expect(page.body).not.toContain('Over-allocated by');
    expect(page.body).toMatch(
      /<th scope="row">Endpoint Security<\/th><td class="num">100 endpoints<\/td><td class="num">300<\/td><td class="num">75 %<\/td>/,
    );
    expect(page.body).toMatch(
      /<th scope="row">Email Security<\/th><td class="num">50 mailboxes<\/td><td class="num">100<\/td><td class="num">25 %<\/td>/,
    );
    expect(page.body).toContain('<rect class="used" x="0" width="75" height="10"/>');
    expect(page.body).toContain('<rect class="used" x="0" width="25" height="10"/>');
    expect(page.body).toContain('500 credits stop counting within the next 60 days.');
    expect(page.body).toContain('Direct license DEAL-7');
    expect(page.body).not.toMatch(/\sstyle=/);
    expect(page.body).not.toMatch(/<script/i);
    expect(page.headers['content-security-policy']).toContain("style-src 'self'");
  });

  it('shows an over-allocation clearly once a license the allocations relied on has lapsed', async () => {
    // Arrange
    const { businessId } = await activate('over@example.com', 1000);
    await addOtherChannelLicense(h.credits(), businessId, {
      reference: 'DEAL-9',
      productCode: FIXTURE.productCode,
      credits: 500,
      expiresAt: new Date(START.getTime() + 10 * DAY).toISOString(),
    });
    await setServiceAllocation(h.credits(), businessId, 'endpoint-security', 400); // 1,200 credits
    h.state.now = new Date(START.getTime() + 11 * DAY);
    const b = h.browser();
    await signIn(b, 'over@example.com');

    // Act
    const page = await b.get('/account/usage');

    // Assert
    expect(page.body).toContain('<dt>Total credits</dt><dd>1,000</dd>');
    expect(page.body).toContain('<dt>Balance</dt><dd>-200</dd>');
    expect(page.body).toContain('<div class="notice warning" role="alert">');
    expect(page.body).toContain('<strong>Over-allocated by 200 credits.</strong>');
    expect(page.body).toContain('<dt>Over-allocated by</dt><dd class="over">200</dd>');
    expect(page.body).toMatch(/<rect class="over" x="83\.3" width="16\.7" height="10"\/>/);
  });

  it('links the already-active page to the licenses', async () => {
    // Arrange
    const { license } = h.buy();
    const b = h.browser();
    await h.askCode(b, license.licenseArn, 'link@example.com');
    await b.get('/setup');
    await b.submit('/setup/code', { code: await h.lastCodeFor('link@example.com') });
    await b.get('/setup');
    await b.submit('/setup/business', BUSINESS);
    await b.get('/setup');
    await b.submit('/setup/activate');

    // Act
    const page = await b.get('/setup');

    // Assert
    expect(page.body).toContain('Your license is already active');
    expect(page.body).toContain('<a href="/account/licenses">');
  });
});

describe('credit calculator', () => {
  it('lists each service with its rate and adds up an estimate that is a link', async () => {
    // Arrange
    const b = h.browser();

    // Act
    const form = await b.get('/calculator');
    const estimate = await b.get(
      '/calculator?endpoint-security=100&email-security=50&cloud-posture=&network-sensor=2',
    );

    // Assert
    expect(form.status).toBe(200);
    expect(form.body).toContain('<form method="get" action="/calculator"');
    for (const rate of [
      '3 credits per endpoint',
      '2 credits per mailbox',
      '40 credits per cloud account',
      '100 credits per sensor',
    ]) {
      expect(form.body).toContain(rate);
    }
    expect(estimate.status).toBe(200);
    expect(estimate.body).toMatch(
      /Endpoint Security<\/th><td class="num">100<\/td><td class="num">3 credits per endpoint<\/td><td class="num">300<\/td>/,
    );
    expect(estimate.body).toMatch(
      /Network Sensor<\/th><td class="num">2<\/td><td class="num">100 credits per sensor<\/td><td class="num">200<\/td>/,
    );
    expect(estimate.body).not.toContain('Cloud Posture</th>');
    expect(estimate.body).toContain('<td class="num"><strong>600</strong></td>');
    expect(estimate.body).toContain('value="100"');
    expect(estimate.setCookies).toHaveLength(0);
  });

  it.each([
    ['a negative number', 'endpoint-security=-1', 'Enter a whole number of units'],
    ['a fraction', 'endpoint-security=1.5', 'Enter a whole number of units'],
    ['an exponent', 'endpoint-security=1e3', 'Enter a whole number of units'],
    ['text', 'endpoint-security=lots', 'Enter a whole number of units'],
    ['more than a million', 'endpoint-security=1000001', 'At most 1,000,000 units per service.'],
    ['a huge number', `endpoint-security=${'9'.repeat(400)}`, 'At most 1,000,000 units per service.'],
    ['an unknown service', 'quantum-shield=5', 'There is no service “quantum-shield”.'],
    ['markup as a name', '%3Cscript%3E=1', 'There is no service “&lt;script&gt;”.'],
    ['a service twice', 'endpoint-security=1&endpoint-security=2', 'give its units once.'],
    [
      'too many parameters',
      Array.from({ length: 60 }, (_, i) => `p${i}=1`).join('&'),
      'Give at most 4 quantities',
    ],
    ['a very long address', `endpoint-security=1&x=${'a'.repeat(5000)}`, 'This address is too long.'],
    ['nothing entered', 'endpoint-security=&email-security=', 'Enter the units of at least one service.'],
    ['a broken escape', 'endpoint-security=%ZZ', 'Enter a whole number of units'],
  ])('answers 400 with a clear message when the query has %s', async (_case, query, message) => {
    // Arrange
    const b = h.browser();

    // Act
    const page = await b.get(`/calculator?${query}`);

    // Assert
    expect(page.status).toBe(400);
    expect(page.body).toContain('There is a problem');
    expect(page.body).toContain(message);
    expect(page.body).not.toContain('<script>');
    expect(page.body.length).toBeLessThan(20_000);
  });
});

describe('sign-in budgets under parallel requests', () => {
  it('lets at most the source budget through when 20 sign-ins from one address arrive at once', async () => {
    // Arrange
    h.use({ limits: { sourceSignIns: { limit: 5, windowMs: 10 * MINUTE } } });
    await registerBusiness(h.state.table, 'biz-par', 'par@example.com');
    const browsers = Array.from({ length: 20 }, () => h.browser('192.0.2.80'));
    await Promise.all(browsers.map((b) => b.get('/account')));

    // Act
    const answers = await Promise.all(
      browsers.map((b) => b.submit('/account', { email: 'par@example.com' })),
    );

    // Assert
    expect(answers.filter((a) => a.status === 303)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(15);
    expect(await h.mailsTo('par@example.com')).toHaveLength(5);
  });

  it("mails a mailbox at most its day's sign-in budget when sign-ins from many addresses race, and leaves the setup's budget alone", async () => {
    // Arrange
    h.use({ limits: { mailboxCodes: { limit: 4, windowMs: DAY } } });
    await activate('race@example.com'); // the setup's code: one of the setup's four
    const browsers = Array.from({ length: 12 }, (_, i) => h.browser(`198.18.0.${i + 1}`));
    await Promise.all(browsers.map((b) => b.get('/account')));

    // Act
    const answers = await Promise.all(
      browsers.map((b) => b.submit('/account', { email: 'Race@Example.com' })),
    );
    const signInCodes = (await codesTo('race@example.com')) - 1;
    // A stranger's sign-ins must not stop the owner verifying the address in a setup (R7).
    const { license } = h.buy(10);
    const setupCode = await h.askCode(h.browser(), license.licenseArn, 'race@example.com');
    const nextDay = h.browser();
    h.state.now = new Date(START.getTime() + DAY);
    const tomorrow = await askSignInCode(nextDay, 'race@example.com');

    // Assert
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBe(8);
    expect(limited[0]?.body).toContain('No more codes for now');
    expect(signInCodes).toBe(4);
    expect(signInCodes).toBe(answers.filter((a) => a.status === 303).length);
    expect(setupCode.status).toBe(303);
    expect(tomorrow.status).toBe(303);
  });

  it('refuses an unknown email as many sign-in codes as a known one, without touching the setup budget', async () => {
    // Arrange: ten sign-ins typed with a stranger's address, from ten addresses.
    h.use({ limits: { mailboxCodes: { limit: 3, windowMs: DAY } } });
    const browsers = Array.from({ length: 5 }, (_, i) => h.browser(`198.18.1.${i + 1}`));
    await Promise.all(browsers.map((b) => b.get('/account')));

    // Act
    const answers = [];
    for (const b of browsers) answers.push(await b.submit('/account', { email: 'stranger@example.com' }));
    const { license } = h.buy(10);
    const setupCode = await h.askCode(h.browser(), license.licenseArn, 'stranger@example.com');

    // Assert: the sign-in budget is spent the same way as for a known address, the setup's is not.
    expect(answers.map((a) => a.status)).toEqual([303, 303, 303, 429, 429]);
    expect(setupCode.status).toBe(303);
    expect(await h.mailsTo('stranger@example.com')).toHaveLength(1); // only the setup's code
  });
});

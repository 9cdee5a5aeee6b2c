import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { createSetupHandler } from '../../functions/setup/create-handler.js';
import { nodeSecrets } from '../../lib/adapters/crypto/node-secrets.js';
import { invocationClock } from '../../lib/adapters/lambda/remaining-time.js';
import { createMeteringClient } from '../../lib/adapters/marketplace/clients.js';
import { BUYER_RETRY, createCustomerResolver } from '../../lib/adapters/marketplace/customer-resolver.js';
import type { Browser } from '../support/browser.js';
import { Browser as TestBrowser } from '../support/browser.js';
import { lambdaContext } from '../support/lambda-context.js';
import { recordSpans } from '../support/round-trips.js';
import { setupHarness } from '../support/setup-harness.js';

/**
 * Issue 12, items 1–4 and 9–10: the limits of the public setup URL hold under parallel
 * requests, across sessions and across replays of one token (R4, R7).
 */
const h = setupHarness();
const HOUR = 3600_000;

async function storedSession(b: Browser) {
  const cookie = b.cookies.get('__Host-setup') ?? '';
  const out = await h.state.table.client.send(
    new GetCommand({
      TableName: h.state.table.tableName,
      Key: { pk: `SETUP#${nodeSecrets.hash(cookie)}`, sk: 'SETUP' },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

describe('email codes: guesses in parallel (item 1)', () => {
  it('compares at most five of 60 parallel guesses; the right one verifies only if it was compared', async () => {
    for (const rightAt of [0, 30, 59]) {
      const { license } = h.buy();
      const b = h.browser();
      const email = `guess${rightAt}@example.com`;
      await h.askCode(b, license.licenseArn, email);
      await b.get('/setup');
      const right = await h.lastCodeFor(email);
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
      const guesses = Array.from({ length: 60 }, (_, i) => (i === rightAt ? right : wrong));
      const csrf = b.csrf();

      const answers = await Promise.all(guesses.map((code) => b.post('/setup/code', { csrf, code })));

      const locked = answers.filter((a) => a.status === 429 && /Too many wrong codes/.test(a.body));
      const compared = answers.filter((a) => !locked.includes(a));
      expect(compared.length).toBeLessThanOrEqual(5);
      expect(locked.length).toBeGreaterThanOrEqual(55);
      for (const a of compared) expect([303, 400]).toContain(a.status);
      const rightAnswer = answers[rightAt];
      const verified = (await storedSession(b))?.step === 'business';
      expect(verified).toBe(rightAnswer?.status === 303);
      if (!verified) expect((await storedSession(b))?.code?.attempts).toBe(5);
    }
  });

  it('counts a guess before comparing it, so a wrong guess writes nothing more than its count', async () => {
    const { license } = h.buy();
    const b = h.browser();
    await h.askCode(b, license.licenseArn, 'count@example.com');
    await b.get('/setup');
    const before = await storedSession(b);
    const wrong = await b.submit('/setup/code', {
      code: '000000' === (await h.lastCodeFor('count@example.com')) ? '111111' : '000000',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('4 attempt(s) left');
    const after = await storedSession(b);
    expect(after?.code?.attempts).toBe(1);
    expect(after?.version).toBe(before?.version); // the count does not move the session's version
  });
});

describe('email codes: budgets across sessions (item 2)', () => {
  it('mails one mailbox at most ten codes a day, whatever the sessions, contracts or +tags', async () => {
    const sent = [];
    for (let n = 0; n < 12; n++) {
      const { license } = h.buy();
      sent.push(await h.askCode(h.browser(), license.licenseArn, `Victim+${n}@Example.com`));
    }
    expect(sent.slice(0, 10).every((p) => p.status === 303)).toBe(true);
    for (const refused of sent.slice(10)) {
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('No more codes for now');
      expect(refused.body).not.toContain('Too many wrong codes');
    }
    const mails = (await h.state.ses.emails()).filter((m) =>
      /^victim\+\d+@example\.com$/.test(m.destination.to[0] ?? ''),
    );
    expect(mails).toHaveLength(10);

    // The next day the mailbox has a fresh budget.
    h.state.now = new Date(h.state.now.getTime() + 24 * HOUR);
    const { license } = h.buy();
    expect((await h.askCode(h.browser(), license.licenseArn, 'victim@example.com')).status).toBe(303);
  });

  it('holds the mailbox budget when 20 sessions ask at once', async () => {
    const browsers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const b = h.browser();
        await h.arrive(b, { licenseArn: h.buy().license.licenseArn });
        await b.get('/setup');
        return b;
      }),
    );
    const answers = await Promise.all(
      browsers.map((b, n) => b.submit('/setup/email', { email: `parallel+${n}@example.com` })),
    );
    expect(answers.filter((a) => a.status === 303)).toHaveLength(10);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(10);
    const mails = (await h.state.ses.emails()).filter((m) => m.destination.to[0]?.startsWith('parallel+'));
    expect(mails).toHaveLength(10);
  });

  it('mails at most thirty codes for one contract across its sessions', async () => {
    const { license } = h.buy();
    const answers = [];
    for (let n = 0; n < 31; n++)
      answers.push(await h.askCode(h.browser(), license.licenseArn, `team${n}@example.com`));
    expect(answers.slice(0, 30).every((a) => a.status === 303)).toBe(true);
    expect(answers[30]?.status).toBe(429);
    expect(answers[30]?.body).toContain('or for this license');
    expect(await h.mailsTo('team30@example.com')).toHaveLength(0);
  });

  it('waits out the cooldown for another +tag of the same mailbox in one session', async () => {
    const { license } = h.buy();
    const b = h.browser();
    await h.askCode(b, license.licenseArn, 'ann@example.com');
    await b.get('/setup');
    await b.submit('/setup/email', { email: 'ann+again@example.com' });
    const mails = (await h.state.ses.emails()).filter((m) => m.destination.to[0]?.startsWith('ann'));
    expect(mails).toHaveLength(1);
  });

  it('gives the budgets back when the code mail fails, so a failure costs the buyer nothing (item 9)', async () => {
    let failing = true;
    const real = h.state.options.mailer;
    h.use({
      mailer: {
        send: async (message) => {
          if (failing) throw new Error('SES is down');
          return real.send(message);
        },
      },
    });
    const { license } = h.buy();
    const b = h.browser();
    const failed = await h.askCode(b, license.licenseArn, 'unlucky@example.com');
    expect(failed.status).toBe(500);
    const session = await storedSession(b);
    expect(session?.step).toBe('email');
    expect(session?.codesSent ?? 0).toBe(0);
    const budgets = await h.state.table.client.send(
      new QueryCommand({
        TableName: h.state.table.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `BUDGET#contract:${session?.contractId}` },
        ConsistentRead: true,
      }),
    );
    expect(budgets.Items?.map((i) => i.taken)).toEqual([0]);

    failing = false;
    await b.get('/setup');
    expect((await b.submit('/setup/email', { email: 'unlucky@example.com' })).status).toBe(303);
    expect(await h.mailsTo('unlucky@example.com')).toHaveLength(1);
  });
});

describe('mail that hangs', () => {
  it('keeps a code mail that timed out counted, and its code valid (it may have gone out)', async () => {
    const real = h.state.options.mailer;
    h.use({
      mailer: {
        send: async (message) => {
          await real.send(message);
          throw Object.assign(new Error('no answer'), { name: 'TimeoutError' });
        },
      },
    });
    const { license } = h.buy();
    const b = h.browser();
    expect((await h.askCode(b, license.licenseArn, 'slow@example.com')).status).toBe(500);
    const session = await storedSession(b);
    expect(session?.codesSent).toBe(1);
    h.use({ mailer: real });
    await b.get('/setup');
    expect((await b.submit('/setup/code', { code: await h.lastCodeFor('slow@example.com') })).status).toBe(
      303,
    );
  });

  it('sends the buyer to the console when the confirmation mail hangs after the activation (item 9)', async () => {
    const { license } = h.buy();
    const b = h.browser();
    await h.askCode(b, license.licenseArn, 'hang@example.com');
    await b.get('/setup');
    await b.submit('/setup/code', { code: await h.lastCodeFor('hang@example.com') });
    await b.get('/setup');
    await b.submit('/setup/business', {
      name: 'Hang Corp',
      country: 'Germany',
      dataCenterRegion: 'eu',
      timeZone: 'UTC',
    });
    await b.get('/setup');
    h.use({ mailer: { send: () => new Promise(() => {}) }, confirmationBudgetMs: 300 });
    const logged = vi.spyOn(h.state.options.logger, 'error');
    const started = Date.now();
    const activated = await b.submit('/setup/activate');
    expect(activated.status).toBe(303);
    expect(activated.location).toBe(h.state.options.consoleUrl);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(JSON.stringify(logged.mock.calls)).toContain('resend it');
  });
});

describe('a code mail that SES rejects', () => {
  it('shows the error page and logs the error without the address', async () => {
    h.use({
      mailer: {
        send: async (message) => {
          const error = new Error(`Email address is not verified: ${message.to}`);
          error.name = 'MessageRejected';
          throw Object.assign(error, { $metadata: { httpStatusCode: 400 } });
        },
      },
    });
    const logged = vi.spyOn(h.state.options.logger, 'error');
    const { license } = h.buy();
    const page = await h.askCode(h.browser(), license.licenseArn, 'secret.buyer+x@example.com');
    expect(page.status).toBe(500);
    expect(logged).toHaveBeenCalledTimes(1);
    const line = JSON.stringify(logged.mock.calls);
    expect(line).toContain('MessageRejected');
    expect(line).toContain('<email>');
    expect(line).not.toMatch(/secret\.buyer/);
  });
});

describe('the four hours of a token (item 3, R4)', () => {
  it('counts from the first POST of a token: a replay keeps the first deadline, and after it is refused', async () => {
    const { license } = h.buy();
    const token = h.simulator.mintToken(license.licenseArn);
    const first = h.browser();
    expect((await h.arrive(first, { token })).status).toBe(303);
    const deadline = (await storedSession(first))?.expiresAt;

    h.state.now = new Date(h.state.now.getTime() + 3 * HOUR);
    const replay = h.browser();
    const again = await h.arrive(replay, { token });
    expect(again.status).toBe(303);
    expect(again.setCookies[0]).toMatch(/Max-Age=3600;/);
    expect((await storedSession(replay))?.expiresAt).toBe(deadline);
    // Only a hash of the token is kept, never the token.
    const scan = JSON.stringify(
      await h.state.table.client.send(
        new QueryCommand({
          TableName: h.state.table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `TOKEN#${nodeSecrets.hash(`registration-token:${token}`)}` },
        }),
      ),
    );
    expect(scan).toContain(deadline);
    expect(scan).not.toContain(token);

    h.state.now = new Date(Date.parse(deadline) + 1000);
    const late = await h.arrive(h.browser(), { token });
    expect(late.status).not.toBe(303);
    expect([400, 410]).toContain(late.status); // expired token (marketplace) or expired setup (ours)
  });

  it('opens a session for each of parallel POSTs of one token, with one deadline', async () => {
    const { license } = h.buy();
    const token = h.simulator.mintToken(license.licenseArn);
    const browsers = Array.from({ length: 8 }, () => h.browser());
    const answers = await Promise.all(browsers.map((b) => h.arrive(b, { token })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(303));
    const deadlines = new Set(
      await Promise.all(browsers.map(async (b) => (await storedSession(b))?.expiresAt)),
    );
    expect(deadlines.size).toBe(1);
  });
});

describe('marketplace POSTs per source address (item 4)', () => {
  it('lets 20 POSTs in 10 minutes from one address reach ResolveCustomer, refuses the rest with 429 before any call', async () => {
    const metering = createMeteringClient({ endpoint: h.state.running.endpoint });
    const spans = recordSpans(metering);
    h.use({
      resolver: createCustomerResolver({
        client: metering,
        retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      }),
    });
    const { license } = h.buy();
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => h.arrive(h.browser('192.0.2.10'), { licenseArn: license.licenseArn })),
    );
    expect(answers.filter((a) => a.status === 303)).toHaveLength(20);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(10);
    expect(refused[0]?.body).toContain('Too many requests');
    expect(Number(refused[0]?.headers['retry-after'])).toBeGreaterThan(0);
    expect(spans.filter((s) => s.command === 'ResolveCustomerCommand')).toHaveLength(20);

    // Another address, or another /64, is not held back; the same /64 is.
    expect((await h.arrive(h.browser('192.0.2.11'), { licenseArn: license.licenseArn })).status).toBe(303);
    for (let n = 0; n < 20; n++)
      await h.arrive(h.browser(`2001:db8:5:6::${n + 1}`), { licenseArn: license.licenseArn });
    expect(
      (await h.arrive(h.browser('2001:db8:5:6:ffff::9'), { licenseArn: license.licenseArn })).status,
    ).toBe(429);

    // Ten minutes later the address may try again.
    h.state.now = new Date(h.state.now.getTime() + 10 * 60_000);
    expect((await h.arrive(h.browser('192.0.2.10'), { licenseArn: license.licenseArn })).status).toBe(303);
  });
});

describe('the marketplace calls of the POST and the time left in the invocation', () => {
  it('starts no retry of ResolveCustomer that would not finish before the function times out', async () => {
    const attemptsWith = async (remainingMs: number) => {
      const metering = createMeteringClient({ endpoint: h.state.running.endpoint });
      const spans = recordSpans(metering);
      const invocation = invocationClock();
      const handler = createSetupHandler({
        ...h.state.options,
        invocation,
        resolver: createCustomerResolver({
          client: metering,
          retry: { ...BUYER_RETRY, baseDelayMs: 1, maxDelayMs: 2, remainingMs: invocation.remainingMs },
        }),
      });
      h.simulator.failNext(2, 'server-error', 'ResolveCustomer');
      const b = new TestBrowser(
        handler,
        lambdaContext(() => remainingMs),
        `192.0.2.${remainingMs % 200}`,
      );
      const page = await h.arrive(b, { licenseArn: h.buy().license.licenseArn });
      h.simulator.clearFaults();
      return {
        status: page.status,
        attempts: spans.filter((s) => s.command === 'ResolveCustomerCommand').length,
      };
    };
    expect(await attemptsWith(60_000)).toEqual({ status: 303, attempts: 3 });
    expect(await attemptsWith(1_500)).toEqual({ status: 502, attempts: 1 });
  });
});

describe('business details submitted twice at once (item 10)', () => {
  it('answers every parallel submit with the current step, never a 500, and creates one business', async () => {
    const { license } = h.buy();
    const b = h.browser();
    await h.askCode(b, license.licenseArn, 'twice@example.com');
    await b.get('/setup');
    await b.submit('/setup/code', { code: await h.lastCodeFor('twice@example.com') });
    await b.get('/setup');
    const csrf = b.csrf();
    const business = {
      csrf,
      name: 'Twice Corp',
      country: 'Germany',
      dataCenterRegion: 'eu',
      timeZone: 'UTC',
    };
    const answers = await Promise.all(Array.from({ length: 10 }, () => b.post('/setup/business', business)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(303));
    const businesses = await h.state.table.client.send(
      new GetCommand({
        TableName: h.state.table.tableName,
        Key: { pk: 'USER#twice@example.com', sk: 'USER' },
        ConsistentRead: true,
      }),
    );
    expect(businesses.Item?.businessId).toMatch(/^biz-/);
    expect((await storedSession(b))?.step).toBe('review');
  });
});

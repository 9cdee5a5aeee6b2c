/**
 * Issue 12, items 6, 9 (activation) and 13: a contract past its expiration instant that no
 * notification has ended yet, a confirmation mail that fails after the activation committed,
 * and invisible or text-direction characters in the business form. Real parts throughout:
 * DynamoDB Local, the marketplace simulator and the local SES stand-in.
 */
import { createServer } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { contractIdOf, licenseIdFromArn } from '../../lib/domain/contract/identity.js';
import type { EmailMessage, Mailer } from '../../lib/domain/setup/ports.js';
import { addUtcMonths } from '../../local/marketplace-simulator/license.js';
import type { Browser, Page } from '../support/browser.js';
import { FIXTURE } from '../support/events.js';
import { setupHarness } from '../support/setup-harness.js';

const CONSOLE_URL = 'https://console.example.com/welcome';
const START = new Date('2026-05-01T10:00:00.000Z');
const MINUTE = 60_000;
const h = setupHarness(START);

const BUSINESS = {
  name: 'Example Corp',
  country: 'Germany',
  dataCenterRegion: 'eu',
  timeZone: 'Europe/Berlin',
};

/** A purchase whose twelve months end at `expiresAt` (bought a year earlier on the shared clock). */
function buy({ expiresAt = addUtcMonths(START, 12) } = {}) {
  const today = h.state.now;
  h.state.now = addUtcMonths(expiresAt, -12);
  const license = h.simulator.purchase({
    productCode: FIXTURE.productCode,
    quantities: { Credits: 1000 },
    months: 12,
  });
  h.state.now = today;
  const licenseId = licenseIdFromArn(license.licenseArn) ?? '';
  return {
    license,
    contractId: contractIdOf({ kind: 'license', productCode: FIXTURE.productCode, licenseId }),
  };
}

/** Marketplace POST, email and code: the buyer is at the business form. */
async function reachBusinessForm(b: Browser, licenseArn: string, email: string): Promise<Page> {
  await b.post('/', { 'x-amzn-marketplace-token': h.simulator.mintToken(licenseArn) });
  await b.get('/setup');
  await b.submit('/setup/email', { email });
  await b.get('/setup');
  await b.submit('/setup/code', { code: await h.lastCodeFor(email) });
  return b.get('/setup');
}

async function reachReview(b: Browser, licenseArn: string, email: string): Promise<Page> {
  await reachBusinessForm(b, licenseArn, email);
  await b.submit('/setup/business', BUSINESS);
  return b.get('/setup');
}

/** The JSON log lines printed (stdout or stderr) while `run` ran, and what it returned. */
async function withLogs<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const printed: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    printed.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const result = await run();
    return {
      result,
      lines: printed
        .flatMap((p) => p.split('\n'))
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  } finally {
    vi.restoreAllMocks();
  }
}

/**
 * The real SES mailer, with faults: the next `failNext(n)` sends are refused the way SES refuses
 * (quoting the address), and `routeTo` sends through another mailer (an unreachable SES).
 */
function faultyMailer() {
  let through: Mailer = createSesMailer({
    client: createSesClient({ endpoint: h.state.ses.endpoint }),
    from: 'no-reply@vendor.example',
  });
  let failures = 0;
  let sends = 0;
  return {
    get sends() {
      return sends;
    },
    failNext(count: number) {
      failures = count;
    },
    routeTo(mailer: Mailer) {
      through = mailer;
    },
    async send(message: EmailMessage) {
      sends++;
      if (failures > 0) {
        failures--;
        throw Object.assign(new Error(`Email address is not verified: ${message.to}`), {
          name: 'MessageRejected',
          $metadata: { httpStatusCode: 400 },
        });
      }
      await through.send(message);
    },
  };
}

/** An SES endpoint nobody listens on: every send is refused by the network. */
async function unreachableEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('No port');
  return `http://127.0.0.1:${address.port}`;
}

let mailer: ReturnType<typeof faultyMailer>;
const browser = () => h.browser();

beforeEach(() => {
  mailer = faultyMailer();
  h.use({
    mailer,
    // Refusals log at info; only errors print (and are read by `withLogs`).
    logger: new Logger({ serviceName: 'setup', logLevel: 'ERROR' }),
    consoleUrl: CONSOLE_URL,
    dataCenterRegions: [
      { id: 'eu', label: 'Europe (Frankfurt)' },
      { id: 'us', label: 'United States (Virginia)' },
    ],
    timeZones: ['UTC', 'Europe/Berlin', 'America/Los_Angeles'],
    confirmationRetry: { attempts: 3, delayMs: 1 },
  });
});

describe('activation past the expiration instant (issue 12 item 6, R1)', () => {
  const expiresAt = new Date(START.getTime() + 60 * MINUTE);

  it('refuses to activate when the contract expired while the review page was open and no notification came', async () => {
    // Arrange: the review page is shown while the contract still runs.
    const { license, contractId } = buy({ expiresAt });
    const b = browser();
    const review = await reachReview(b, license.licenseArn, 'late@example.com');
    expect(review.body).toContain('/setup/activate');

    // Act: Activate at the expiration instant; the stored term still says `current`.
    h.state.now = new Date(expiresAt);
    expect((await h.state.options.contracts.load(contractId))?.contract.term).toBe('current');
    const activated = await b.submit('/setup/activate');

    // Assert
    expect(activated.status).toBe(410);
    expect(activated.body).toContain('This subscription has ended');
    const stored = await h.state.options.contracts.load(contractId);
    expect(stored?.contract.setupState).toBe('pending-setup');
    expect(stored?.contract.activatedBy).toBeUndefined();
    expect((await h.state.ses.emails()).some((m) => /license is active/.test(m.subject))).toBe(false);
  });

  it('shows the review page as ended, with the expiry date, once the expiration instant has passed', async () => {
    // Arrange
    const { license } = buy({ expiresAt });
    const b = browser();
    await reachReview(b, license.licenseArn, 'reload@example.com');

    // Act: the buyer reloads the review page a minute after the contract ran out.
    h.state.now = new Date(expiresAt.getTime() + MINUTE);
    const page = await b.get('/setup');

    // Assert: in the business's time zone (Europe/Berlin), not the Activate form.
    expect(page.status).toBe(410);
    expect(page.body).toContain('This subscription expired on');
    expect(page.body).toContain(
      `<time datetime="${expiresAt.toISOString()}">May 1, 2026, 1:00 PM GMT+2</time>`,
    );
    expect(page.body).not.toContain('/setup/activate');
  });

  it('still activates a minute before the expiration instant', async () => {
    const { license, contractId } = buy({ expiresAt });
    const b = browser();
    await reachReview(b, license.licenseArn, 'intime@example.com');
    h.state.now = new Date(expiresAt.getTime() - MINUTE);
    expect((await b.get('/setup')).body).toContain('/setup/activate');
    const activated = await b.submit('/setup/activate');
    expect(activated.location).toBe(CONSOLE_URL);
    expect((await h.state.options.contracts.load(contractId))?.contract.setupState).toBe('active');
  });
});

describe('confirmation mail failing after the activation committed (issue 12 item 9)', () => {
  it('sends the buyer to the console and delivers the mail when SES refuses the first two sends', async () => {
    // Arrange
    const { license, contractId } = buy();
    const b = browser();
    await reachReview(b, license.licenseArn, 'flaky@example.com');
    mailer.failNext(2);

    // Act
    const activated = await b.submit('/setup/activate');

    // Assert
    expect(activated.status).toBe(303);
    expect(activated.location).toBe(CONSOLE_URL);
    expect((await h.state.options.contracts.load(contractId))?.contract.setupState).toBe('active');
    const confirmations = (await h.state.ses.emails()).filter((m) => /license is active/.test(m.subject));
    expect(confirmations.map((m) => m.destination.to)).toEqual([['flaky@example.com']]);
  });

  it('sends the buyer to the console and logs what support needs to resend, without the address, when SES is unreachable', async () => {
    // Arrange: the code mails went out; then SES becomes unreachable.
    const { license, contractId } = buy();
    const b = browser();
    await reachReview(b, license.licenseArn, 'nomail@example.com');
    mailer.routeTo(
      createSesMailer({
        client: createSesClient({ endpoint: await unreachableEndpoint() }),
        from: 'no-reply@vendor.example',
      }),
    );

    // Act
    const { result: activated, lines } = await withLogs(() => b.submit('/setup/activate'));

    // Assert: the success, not the error page; the license is active.
    expect(activated.status).toBe(303);
    expect(activated.location).toBe(CONSOLE_URL);
    const stored = await h.state.options.contracts.load(contractId);
    expect(stored?.contract.setupState).toBe('active');
    const errors = lines.filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'Activation confirmation mail not sent: resend it',
      contractId,
      businessId: stored?.contract.activatedBy,
      attempts: 3,
    });
    expect(JSON.stringify(lines)).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
  });

  it('keeps the address out of the log when SES quotes it in every refusal', async () => {
    // Arrange
    const { license } = buy();
    const b = browser();
    await reachReview(b, license.licenseArn, 'quoted@example.com');
    mailer.failNext(Number.POSITIVE_INFINITY);
    const before = mailer.sends;

    // Act
    const { result, lines } = await withLogs(() => b.submit('/setup/activate'));

    // Assert
    expect(result.location).toBe(CONSOLE_URL);
    expect(mailer.sends - before).toBe(3);
    expect(lines.find((l) => l.level === 'ERROR')).toMatchObject({ reason: 'MessageRejected', status: 400 });
    expect(JSON.stringify(lines)).not.toContain('quoted@example.com');
  });
});

describe('invisible and text-direction characters in the business form (issue 12 item 13, R8)', () => {
  const MESSAGE = 'This contains invisible or text-direction characters';

  it.each([
    ['a right-to-left override', 'name', 'Example \u202Eproc'],
    ['a zero width space', 'country', 'Ger\u200Bmany'],
    ['a line separator', 'name', 'Example\u2028Corp'],
    ['a byte order mark inside', 'country', 'Germ\uFEFFany'],
    ['a Unicode tag (hidden ASCII)', 'name', 'Example Corp\u{E0069}\u{E0067}'],
  ])('puts the form back with a message next to the field when it holds %s', async (_, field, value) => {
    // Arrange
    const { license } = buy();
    const b = browser();
    await reachBusinessForm(b, license.licenseArn, 'hidden@example.com');

    // Act
    const page = await b.submit('/setup/business', { ...BUSINESS, [field]: value });

    // Assert
    expect(page.status).toBe(400);
    expect(page.body).toMatch(new RegExp(`<p class="field-error" id="${field}-error">${MESSAGE}`));
    expect(page.body).toMatch(new RegExp(`id="${field}"[^>]*aria-invalid="true"`));
    expect(page.body).toContain('There is a problem');
    const stillAtBusiness = await b.get('/setup');
    expect(stillAtBusiness.body).toContain('name="dataCenterRegion"');
    expect((await h.state.options.setups.getUser('hidden@example.com'))?.businessId).toBeUndefined();
  });

  it('accepts names in other scripts, with combining marks, joiners where a script needs them and emoji', async () => {
    // Arrange
    const { license } = buy();
    const b = browser();
    await reachBusinessForm(b, license.licenseArn, 'scripts@example.com');
    const name = 'نوآوران\u200Cپارس — Co\u0302te & Fils 👩🏽\u200D💻';
    const country = 'ශ්\u200Dරී ලංකාව';

    // Act
    const saved = await b.submit('/setup/business', { ...BUSINESS, name, country });
    const review = await b.get('/setup');

    // Assert
    expect(saved.status).toBe(303);
    expect(review.body).toContain('/setup/activate');
    expect(review.body).toContain(`<dd>${name.replace('&', '&amp;')}</dd>`);
    expect(review.body).toContain(`<dd>${country}</dd>`);
  });
});

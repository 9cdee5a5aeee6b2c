import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaughtEmail } from '../../local/ses-local.js';
import { JourneySteps } from './support/journey-steps.js';
import { eventually, removeDataDir, type SpawnedStack, spawnLocalStack } from './support/local-stack.js';

/**
 * A buyer in headless Chromium (Debian's `chromium`, driven by playwright-core; never a
 * downloaded browser): from the marketplace page's button to the activated page, then the
 * product stand-in (credits, services, over-allocation) and the returning buyer's account pages.
 * Screenshots of every step go to test/e2e/screenshots/ (ignored by git) for a person to look at.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
let stack: SpawnedStack;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  mkdirSync(SHOTS, { recursive: true });
  [stack, browser] = await Promise.all([
    spawnLocalStack(),
    chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
      ],
    }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stack) removeDataDir(stack.dataDir);
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

async function codeMailedTo(email: string): Promise<string> {
  return eventually(`a code mailed to ${email}`, async () => {
    const store = (await (await fetch(`${stack.urls.ses}/store`)).json()) as { emails: CaughtEmail[] };
    const mail = store.emails.filter((m) => m.destination.to.includes(email)).at(-1);
    return /code is (\d{6})/.exec(mail?.body.text ?? '')?.[1];
  });
}

describe('buyer in Chromium', () => {
  it('walks from the marketplace button to the activated account, at phone width', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(stack.urls.marketplace);
    await page.getByLabel('Name').fill('Chromium Buyer Ltd');
    await page.getByRole('button', { name: 'Create buyer' }).click();
    await page.getByLabel('Credits', { exact: true }).fill('2500');
    await page.getByRole('button', { name: 'Buy', exact: true }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/sent 2 EventBridge events/);
    await shot(page, '01-marketplace-bought');

    // The marketplace's own button: a cross-origin form POST with the registration token.
    await page.getByRole('button', { name: 'Set up your account' }).click();
    await page.waitForURL(`${stack.urls.setup}/setup`);
    await shot(page, '02-setup-email');
    await page.getByLabel(/email/i).first().fill('owner@chromium.example');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.locator('input[name=code]').waitFor();
    await shot(page, '03-setup-code');
    await page.locator('input[name=code]').fill(await codeMailedTo('owner@chromium.example'));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await page.locator('input[name=name]').waitFor();
    await page.locator('input[name=name]').fill('Chromium Buyer Ltd');
    await page.locator('input[name=country]').fill('Ireland');
    await page.locator('select[name=dataCenterRegion]').selectOption('eu');
    await page.locator('select[name=timeZone]').selectOption('Europe/Dublin');
    await shot(page, '04-setup-business');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await page.getByRole('button', { name: 'Activate', exact: true }).waitFor();
    expect(await page.textContent('body')).toContain('2,500');
    await shot(page, '05-setup-review');
    await page.getByRole('button', { name: 'Activate', exact: true }).click();
    // Activation lands in the vendor's product (the local stand-in), at its sign-in.
    await page.waitForURL(`${stack.urls.product}/`);
    expect(await page.textContent('body')).toMatch(/no\s+password and no code/);
    await shot(page, '06-activated');

    // Sales sees it in its browser view (HTML, unsigned locally).
    const sales = await context.newPage();
    await sales.goto(`${stack.urls.sales}/contracts`);
    await expect
      .poll(async () => {
        await sales.reload();
        return sales.textContent('body');
      })
      .toContain('Chromium Buyer Ltd');
    await shot(sales, '07-sales-view');
    await context.close();
  });

  it('uses the product stand-in after an activation: services, a refusal, over-allocation, at desktop and phone width', async () => {
    const steps = new JourneySteps(stack);
    const email = 'owner@product-walk.example';
    const license = await steps.buy('Product Walk AG', 1000, 12);
    await steps.setUpAndActivate(license.licenseArn, email, {
      name: 'Product Walk AG',
      country: 'Switzerland',
      dataCenterRegion: 'eu',
      timeZone: 'Europe/Zurich',
    });

    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await desktop.newPage();
    await page.goto(`${stack.urls.product}/`);
    await shot(page, '10-product-sign-in-desktop');
    await page.getByLabel("Email of the business's primary user").fill(email);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toBe('Signed in to Product Walk AG');
    await shot(page, '11-product-signed-in-desktop');

    const service = (name: string) => page.getByRole('row', { name: new RegExp(name) });
    await page.getByLabel('Endpoint Security units').fill('100');
    await service('Endpoint Security').getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/balance 700 credits/);
    await page.getByLabel('Email Security units').fill('250');
    await service('Email Security').getByRole('button', { name: 'Enable' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/balance 200 credits/);
    await page.getByLabel('Cloud Posture units').fill('10');
    await service('Cloud Posture').getByRole('button', { name: 'Enable' }).click();
    await expect
      .poll(() => page.locator('p.error[role=alert]').textContent())
      .toMatch(
        /^Not enough credits for that\. The license API said: This needs 400 more credits; 200 are available/,
      );
    await shot(page, '12-product-refused-desktop');

    // Cancelled on the marketplace: the services keep their credits, the page says so.
    await steps.act('/licenses/cancel', { licenseArn: license.licenseArn });
    const businessId = (
      await steps.api<{ business: { businessId: string } }>('GET', `/businesses?email=${email}`)
    ).body.business.businessId;
    await steps.usageWhen(businessId, 'the cancellation in the ledger', (u) => u.overAllocatedBy === 800);
    await page.goto(`${stack.urls.product}/`);
    await expect.poll(() => page.locator('p.warn').textContent()).toContain('Over-allocated by 800 credits');
    await shot(page, '13-product-over-allocated-desktop');

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const small = await phone.newPage();
    await small.goto(`${stack.urls.product}/`);
    await small.getByLabel("Email of the business's primary user").fill(email);
    await small.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => small.locator('p.warn').textContent()).toContain('Over-allocated by 800 credits');
    await shot(small, '14-product-over-allocated-phone');
    await small
      .getByRole('row', { name: /Endpoint Security/ })
      .getByRole('button', { name: 'Disable' })
      .click();
    await expect
      .poll(() => small.locator('[role=status]').textContent())
      .toMatch(/disabled; balance -500 credits/);
    await small
      .getByRole('row', { name: /Email Security/ })
      .getByRole('button', { name: 'Disable' })
      .click();
    await expect
      .poll(() => small.locator('[role=status]').textContent())
      .toMatch(/disabled; balance 0 credits/);
    expect(await small.locator('p.warn').count()).toBe(0);
    await shot(small, '15-product-recovered-phone');
    await phone.close();
    await desktop.close();
  });

  it("walks a returning buyer's account: sign-in with the emailed code, licenses, credit usage and the public calculator", async () => {
    const steps = new JourneySteps(stack);
    const email = 'owner@account-walk.example';
    const license = await steps.buy('Account Walk BV', 1200, 12);
    await steps.setUpAndActivate(license.licenseArn, email, {
      name: 'Account Walk BV',
      country: 'Netherlands',
      dataCenterRegion: 'eu',
      timeZone: 'Europe/Amsterdam',
    });
    const businessId = (
      await steps.api<{ business: { businessId: string } }>('GET', `/businesses?email=${email}`)
    ).body.business.businessId;
    expect(
      (await steps.api('PUT', `/businesses/${businessId}/allocations/endpoint-security`, { units: 100 }))
        .status,
    ).toBe(200);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${stack.urls.setup}/account`);
    await shot(page, '20-account-sign-in');
    const mailsBefore = (await steps.mailsTo(email)).length;
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('6-digit code').waitFor();
    const code = await eventually('the sign-in code', async () => {
      const mails = await steps.mailsTo(email);
      return mails.length > mailsBefore
        ? /code is (\d{6})/.exec(mails.at(-1)?.body.text ?? '')?.[1]
        : undefined;
    });
    await page.getByLabel('6-digit code').fill(code);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await shot(page, '21-account-home');

    await page
      .getByRole('navigation', { name: 'Your account' })
      .getByRole('link', { name: 'Licenses' })
      .click();
    await page.getByRole('heading', { name: 'Your licenses' }).waitFor();
    expect(await page.textContent('body')).toContain('1,200');
    await shot(page, '22-account-licenses');

    await page
      .getByRole('navigation', { name: 'Your account' })
      .getByRole('link', { name: 'Credit usage' })
      .click();
    await page.getByRole('heading', { name: 'Credit usage', level: 1 }).waitFor();
    const usage = (await page.textContent('body')) ?? '';
    expect(usage).toContain('1,200');
    expect(usage).toContain('Endpoint Security');
    await shot(page, '23-account-credit-usage');

    // The calculator is public: a fresh context, not signed in, at phone width.
    const anonymous = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const calculator = await anonymous.newPage();
    await calculator.goto(`${stack.urls.setup}/calculator`);
    await calculator.getByLabel('Endpoint Security').fill('100');
    await calculator.getByLabel('Email Security').fill('50');
    await calculator.getByRole('button', { name: 'Calculate' }).click();
    await calculator.getByRole('heading', { name: 'Your estimate' }).waitFor();
    expect(await calculator.locator('tfoot').textContent()).toContain('400');
    await shot(calculator, '24-calculator-phone');
    await anonymous.close();
    await context.close();
  });

  it('shows the events of a purchase on the event console, fails and recovers a webhook, and runs the daily notices from its button', async () => {
    const steps = new JourneySteps(stack);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${stack.urls.events}/`);
    await page.getByRole('heading', { name: 'Events sent' }).waitFor();
    // The next webhook answers 503: the delivery is retried with backoff, then verified.
    await page.getByLabel(/Answer the next/).fill('1');
    await page.getByRole('button', { name: 'Fail them' }).click();
    await page.getByRole('status').waitFor();
    const license = await steps.buy('Browser Events SA', 400, 1);
    const licenseId = /l-[0-9a-f]+/.exec(license.licenseArn)?.[0] ?? 'none';
    await eventually('contract.created on the page, delivered after a failed attempt', async () => {
      await page.reload();
      const text = (await page.locator('body').textContent()) ?? '';
      return text.includes(licenseId) && text.includes('contract.created') && /503/.test(text)
        ? true
        : undefined;
    });
    await eventually('the retried webhook accepted', async () => {
      const all = (await (await fetch(`${stack.urls.events}/events.json`)).json()) as {
        via: string;
        status?: number;
        body: string;
      }[];
      const created = (r: { body: string }) =>
        r.body.includes(licenseId) && r.body.includes('"type":"contract.created"');
      return all.some((r) => r.via === 'webhook' && r.status === 204 && created(r)) ? true : undefined;
    });
    await page.reload();
    await shot(page, '30-event-console');
    await page.getByRole('button', { name: 'Run the daily notices now' }).click();
    expect(await page.getByRole('status').textContent()).toContain('Started the daily notices run');
    await context.close();
  });
});

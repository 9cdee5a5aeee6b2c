import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LicenseView } from '../../lib/domain/credits/licenses.js';
import type { Business } from '../../lib/domain/setup/model.js';
import { HttpBuyer } from './support/http-buyer.js';
import { JourneySteps, text } from './support/journey-steps.js';
import { removeDataDir, type SpawnedStack, spawnLocalStack } from './support/local-stack.js';

/**
 * An order from another channel over the whole local stack (R11, R12): the marketplace page's
 * orders form imports it through the license API (signed, as the product signs), the page shows
 * each line's Registration Key, and a buyer in headless Chromium registers the whole order with
 * one key on the setup function: new account, email code from local SES, business details, the
 * preview, Register, the Activation Codes. The licenses then show in the product stand-in.
 * Screenshots go to test/e2e/screenshots/ (ignored by git).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
const EMAIL = 'owner@orders.example';
let stack: SpawnedStack;
let browser: Browser;
let steps: JourneySteps;

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
  steps = new JourneySteps(stack);
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stack) removeDataDir(stack.dataDir);
});

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** The orders form of the marketplace page, posted as a browser posts it; the order page's keys. */
async function importOnMarketplacePage(): Promise<{ orderId: string; keys: string[]; page: string }> {
  const seller = new HttpBuyer();
  const form = await seller.get(`${stack.urls.marketplace}/orders`);
  expect(form.status).toBe(200);
  const orderId = seller.field('orderId');
  expect(orderId).toMatch(/^SO-[0-9A-F]{8}$/);
  const posted = await seller.post(`${stack.urls.marketplace}/orders`, {
    orderId,
    company: 'Orders Journey GmbH',
    country: 'de',
    service1: 'endpoint-security',
    amount1: '100',
    by1: 'units',
    months1: '12',
    service2: 'email-security',
    amount2: '500',
    by2: 'credits',
    months2: '12',
    service3: '',
    amount3: '',
    by3: 'units',
    months3: '12',
  });
  expect(posted.status, seller.lastBody.slice(0, 1000)).toBe(303);
  const location = posted.headers.get('location') ?? '';
  expect(location).toMatch(new RegExp(`^/orders\\?order=${orderId}&done=`));
  const shown = await seller.get(`${stack.urls.marketplace}${location}`);
  expect(shown.status).toBe(200);
  const keys = [...seller.lastBody.matchAll(/<code class="key">(PC-\d{4}-\d{4}-\d{4}-\d{4})<\/code>/g)].map(
    (m) => m[1] ?? '',
  );
  return { orderId, keys, page: seller.lastBody };
}

describe('an order from another channel, registered in Chromium', () => {
  it('imports an order on the marketplace page and registers it with one of its keys', async () => {
    // The seller's side: the order and its two keys, and where the buyer registers.
    const { orderId, keys, page: orderPage } = await importOnMarketplacePage();
    expect(keys).toHaveLength(2);
    expect(text(orderPage)).toContain(`Imported order ${orderId} with 2 line(s)`);
    expect(orderPage).toContain(`href="${stack.urls.setup}/register"`);

    // The buyer: any key, typed in lower case without dashes.
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${stack.urls.marketplace}/orders?order=${orderId}`);
    expect(await page.locator('code.key').allTextContents()).toEqual(keys);
    await shot(page, '39-marketplace-order');
    await page.goto(`${stack.urls.setup}/`);
    await page.getByRole('link', { name: /Register your order/ }).click();
    await page.waitForURL(`${stack.urls.setup}/register`);
    await page.getByLabel('Registration Key').fill((keys[1] ?? '').toLowerCase().replaceAll('-', ''));
    await shot(page, '40-register-key');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.waitForURL(`${stack.urls.setup}/setup`);
    const preview = (await page.textContent('body')) ?? '';
    expect(preview).toContain('Sign in with the email of your account, or create one');
    expect(preview).toContain(orderId);
    expect(preview).toMatch(/Endpoint Security\s*Example Platform\s*100 endpoints\s*300/);
    expect(preview).toMatch(/Email Security\s*Example Platform\s*500/);
    await shot(page, '41-register-preview');

    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.locator('input[name=code]').waitFor();
    await page.locator('input[name=code]').fill(await steps.codeMailedTo(EMAIL));
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.locator('input[name=name]').waitFor();
    await page.locator('input[name=name]').fill('Orders Journey GmbH');
    await page.locator('input[name=country]').fill('Germany');
    await page.locator('select[name=dataCenterRegion]').selectOption('eu');
    await page.locator('select[name=timeZone]').selectOption('Europe/Berlin');
    await page.getByRole('button', { name: 'Continue', exact: true }).click();

    await page.getByRole('button', { name: 'Register', exact: true }).waitFor();
    expect(await page.textContent('body')).toMatch(/Registering adds 2 licenses with 800 credits in all/);
    await shot(page, '42-register-review');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('heading', { name: 'Your order is registered' }).waitFor();
    const registered = (await page.textContent('body')) ?? '';
    const codes = registered.match(/PC-[0-9A-Z]{4}(?:-[0-9A-Z]{5}){5}/g) ?? [];
    expect(codes).toHaveLength(2);
    expect(registered).toContain(`A confirmation with the Activation Codes was emailed to ${EMAIL}`);
    await shot(page, '43-register-done');

    // The confirmation mail carries the codes (seed 001).
    const mail = await steps.mailWhen(EMAIL, new RegExp(`order ${orderId} is registered`));
    for (const code of codes) expect(mail.body.text).toContain(code);

    // The product stand-in (the console link) shows the licenses and counts their credits (R2).
    await page.getByRole('link', { name: /Continue to/ }).click();
    await page.waitForURL(`${stack.urls.product}/`);
    await page.getByLabel("Email of the business's primary user").fill(EMAIL);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.locator('[role=status]').textContent())
      .toBe('Signed in to Orders Journey GmbH');
    const product = (await page.textContent('body')) ?? '';
    expect(product).toContain(`order~${orderId}~1`);
    expect(product).toContain(`order~${orderId}~2`);
    await shot(page, '44-register-product');
    await context.close();

    const found = await steps.api<{ business: Business }>('GET', `/businesses?email=${EMAIL}`);
    const licenses = await steps.api<{ licenses: LicenseView[] }>(
      'GET',
      `/businesses/${found.body.business.businessId}/licenses`,
    );
    const fromOrder = licenses.body.licenses.filter((l) => l.orderId === orderId);
    expect(fromOrder.map((l) => l.items[0]?.activationCode).sort()).toEqual([...codes].sort());
    expect((await steps.usage(found.body.business.businessId)).total).toBe(800);

    // The order page on the marketplace now says who registered each line.
    const again = new HttpBuyer();
    await again.get(`${stack.urls.marketplace}/orders?order=${orderId}`);
    expect(text(again.lastBody)).toContain(`${orderId} Orders Journey GmbH, registered`);
  });
});

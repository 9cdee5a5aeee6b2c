import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaughtEmail } from '../../local/ses-local.js';
import { eventually, removeDataDir, type SpawnedStack, spawnLocalStack } from './support/local-stack.js';

/**
 * A buyer in headless Chromium (Debian's `chromium`, driven by playwright-core; never a
 * downloaded browser): from the marketplace page's button to the activated page. Screenshots
 * of every step go to test/e2e/screenshots/ (ignored by git) for a person to look at.
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
    await page.waitForURL(`${stack.urls.marketplace}/console`);
    expect(await page.textContent('body')).toContain("You are in the vendor's console");
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
});

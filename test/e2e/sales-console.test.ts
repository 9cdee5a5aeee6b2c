import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesHandler } from '../../functions/sales/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import type { AgreementTerms } from '../../lib/domain/contract/agreement.js';
import {
  type Contract,
  type ContractFacts,
  contractStatus,
  type StoredContract,
} from '../../lib/domain/contract/model.js';
import type { ContractChangeSet } from '../../lib/domain/contract/ports.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { type RunningFunctionUrl, startFunctionUrlServer } from '../../local/stack/function-url-server.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * A sales person in headless Chromium (Debian's `chromium`, driven by playwright-core) in front
 * of the sales handler over DynamoDB Local: filters → list → contract → its predecessor →
 * summary → the CSV link, at desktop (1280 px) and phone (390 px) width. Screenshots go to
 * test/e2e/screenshots/ (ignored by git) for a person to look at.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = new URL('./screenshots/', import.meta.url).pathname;
const NOW = new Date('2026-04-10T10:00:00.000Z');
const DAY = 86_400_000;
const PRODUCTS = ['prodalpha0000000000000001', 'prodbeta00000000000000002'];

let dynamo: DynamoDbLocal;
let table: TestTable;
let server: RunningFunctionUrl;
let browser: Browser;

const NAMES = [
  'Acme Widgets GmbH',
  'Beta Bakery Ltd',
  'Contoso Pharmaceuticals International Holdings AG',
  'Acme Logistics',
  'Northwind Traders',
  'Fabrikam Research',
];

const contractIdOf = (n: number) => `${PRODUCTS[n % 2]}~L~l-${String(n).padStart(4, '0')}${'0'.repeat(28)}`;

function termsOf(n: number): Partial<ContractFacts> {
  if (n % 6 === 5)
    return {
      termsUnavailable: {
        value: { agreementId: `agmt-${n}`, reason: 'access-denied', message: 'Channel partner offer' },
        asOf: NOW.toISOString(),
      },
    };
  const value: AgreementTerms = {
    agreementId: `agmt-${n}`,
    initialAgreementId: 'agmt-0',
    status: 'ACTIVE',
    contractValue: { amount: `${(n + 1) * 1200}.00`, currency: n % 4 === 3 ? 'EUR' : 'USD' },
    startTime: new Date(NOW.getTime() - 300 * DAY).toISOString(),
    endTime: new Date(NOW.getTime() + (n * 29 + 10) * DAY).toISOString(),
    endBehavior:
      n % 3 === 0
        ? { type: 'RENEW', reasonCode: 'AUTO_RENEW_ENABLED' }
        : { type: 'EXPIRE', reasonCode: 'ACCEPTOR_RENEW_OPTED_OUT' },
    renewal: { autoRenew: n % 3 === 0, lockoutPeriod: 'P30D', maxRenewals: 2, priceIncrease: '3%–7%' },
    ...(n % 5 === 4 ? { freeTrial: { duration: 'P30D', grants: { Credits: 100 } } } : {}),
    duration: 'P12M',
    units: { Credits: 100 * (n + 1) },
  };
  return {
    agreementId: { value: `agmt-${n}`, asOf: NOW.toISOString() },
    terms: { value, asOf: NOW.toISOString() },
  };
}

/** Twelve contracts of two products; contract 0 renewed into contract 1. */
function contractOf(n: number): StoredContract {
  const productCode = PRODUCTS[n % 2] ?? '';
  const contractId = contractIdOf(n);
  const renewed = n === 0;
  const active = n % 3 !== 2;
  const expiresAt = new Date(NOW.getTime() + (renewed ? -5 : n * 29 + 10) * DAY).toISOString();
  const at = new Date(NOW.getTime() - 300 * DAY).toISOString();
  const name = NAMES[n % NAMES.length] ?? '';
  const contract: Contract = {
    contractId,
    key: { kind: 'license', productCode, licenseId: contractId.split('~L~')[1] ?? '' },
    productCode,
    licenseArn: `arn:aws:license-manager::123456789012:license:l-${n}`,
    customerAWSAccountId: `${String(n + 1).padStart(2, '0')}${'1'.repeat(10)}`,
    setupState: active ? 'active' : 'pending-setup',
    term: renewed ? 'renewed' : 'current',
    expiresAt,
    ...(renewed ? { endedAt: expiresAt, nextContractId: contractIdOf(1) } : {}),
    ...(n === 1 ? { previousContractId: contractIdOf(0) } : {}),
    activeCredits: renewed ? 0 : 100 * (n + 1),
    dimensions: { Credits: 100 * (n + 1) },
    itemCount: 1,
    facts: termsOf(n),
    ...(active
      ? { activatedBy: `biz-${String(n).padStart(20, 'x')}`, activatedAt: at, businessName: name }
      : {}),
    createdAt: at,
    updatedAt: at,
    syncedAt: at,
    version: 1,
  };
  return {
    contract,
    items: [
      {
        contractId,
        itemNo: 1,
        origin: 'purchase',
        credits: 100 * (n + 1),
        createdAt: at,
        expiresAt,
        ...(renewed
          ? { state: 'ended' as const, endedAt: expiresAt, endReason: 'renewed' as const }
          : { state: 'active' as const }),
      },
    ],
  };
}

function creation(stored: StoredContract): ContractChangeSet {
  const c = stored.contract;
  return {
    next: stored,
    touchedItems: stored.items,
    expectedVersion: undefined,
    audit: {
      contractId: c.contractId,
      version: 1,
      at: c.createdAt,
      changes: [
        { type: 'created', credits: stored.items[0]?.credits ?? 0, expiresAt: c.expiresAt },
        ...(c.activatedBy
          ? [{ type: 'activated' as const, businessId: c.activatedBy, email: 'owner@example.com' }]
          : []),
      ],
      trigger: { source: 'sns', type: 'entitlement-updated', id: `m-${c.contractId}`, at: c.createdAt },
      after: { status: contractStatus(c), activeCredits: c.activeCredits, expiresAt: c.expiresAt },
    },
  };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  mkdirSync(SHOTS, { recursive: true });
  [dynamo, browser] = await Promise.all([
    startDynamoDbLocal({ inMemory: true, sharedDb: true }),
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
  table = await createTestTable(dynamo.endpoint);
  const store = createContractStore({ client: table.client, tableName: table.tableName });
  for (let n = 0; n < 12; n++) await store.save(creation(contractOf(n)));
  const setups = createSetupStore({ client: table.client, tableName: table.tableName });
  for (const [i, hours] of [0.2, 0.7, 1.5, 3.2, 6].entries()) {
    const createdAt = new Date(NOW.getTime() - hours * 3_600_000);
    await setups.createSession({
      sessionKey: `s${i}`,
      contractId: contractIdOf(2),
      productCode: PRODUCTS[0] ?? '',
      freeTrialOffer: false,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + 4 * 3_600_000).toISOString(),
      step: 'code',
      csrfToken: 'c'.repeat(43),
      version: 1,
    });
  }
  const handler = createSalesHandler({
    reader: createSalesReader({ client: table.client, tableName: table.tableName }),
    catalog: { products: PRODUCTS.map((productCode) => ({ productCode })) },
    clock: { now: () => NOW },
    logger: new Logger({ serviceName: 'sales', logLevel: 'SILENT' }),
  });
  server = await startFunctionUrlServer({
    host: '127.0.0.1',
    port: 0,
    handler: () => handler,
    context: () => lambdaContext(),
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
  await table?.drop();
  await dynamo?.stop();
});

/** A full-page screenshot, checked to be a PNG of the viewport's width with something in it. */
async function shot(page: Page, name: string): Promise<void> {
  const path = `${SHOTS}sales-console-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  const png = readFileSync(path);
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.readUInt32BE(16)).toBe(page.viewportSize()?.width); // IHDR width
  expect(png.length).toBeGreaterThan(8_000);
}

/** Elements that stick out of the viewport's width, other than inside a table's scrolling wrapper. */
function overflowing(page: Page): Promise<string[]> {
  // A string, run in the page: the project's types have no DOM.
  return page.evaluate<string[]>(`(() => {
    const width = document.documentElement.clientWidth;
    const out = [];
    if (document.documentElement.scrollWidth > width + 1)
      out.push('page scrolls: ' + document.documentElement.scrollWidth + ' > ' + width);
    for (const el of document.body.querySelectorAll('*')) {
      if (el.closest('.scroll') && !el.classList.contains('scroll')) continue;
      const rect = el.getBoundingClientRect();
      if (rect.width > 0 && (rect.right > width + 1 || rect.left < -1))
        out.push(el.tagName.toLowerCase() + '.' + el.className + ': ' + Math.round(rect.left) + '–' + Math.round(rect.right));
    }
    return out;
  })()`);
}

async function walk(context: BrowserContext, width: 'desktop' | 'phone'): Promise<void> {
  const page = await context.newPage();
  const base = server.url;

  // The list, unfiltered.
  await page.goto(`${base}/contracts`);
  expect(await page.locator('tbody tr').count()).toBe(12);
  expect(await page.getByRole('columnheader', { name: 'Contract value' }).count()).toBe(1);
  await shot(page, `01-list-${width}`);
  expect(await overflowing(page)).toEqual([]);

  // Filters: a name and a status, through the form's labels.
  await page.getByLabel(/Search: AWS account id/).fill('acme');
  await page.getByLabel('Status').selectOption('active');
  await page.getByLabel('Auto-renew').selectOption('');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/q=acme/);
  const url = new URL(page.url());
  expect(url.searchParams.get('status')).toBe('active');
  const ids = await page.locator('tbody tr td:first-child a').allTextContents();
  expect(ids.length).toBeGreaterThan(0);
  for (const row of await page.locator('tbody tr').allTextContents()) expect(row).toMatch(/Acme/);
  await shot(page, `02-filtered-${width}`);

  // The CSV link holds exactly that list.
  const href = await page.getByRole('link', { name: 'Download CSV of this list' }).getAttribute('href');
  expect(href).toContain('/contracts.csv?q=acme&status=active');
  const csv = await page.request.get(`${base}${href}`);
  expect(csv.headers()['content-type']).toContain('text/csv');
  const csvIds = (await csv.text())
    .trimEnd()
    .split('\r\n')
    .slice(1)
    .map((line) => line.split(',')[0]);
  expect(csvIds).toEqual(ids);

  // A contract that renewed another: its terms, chain and timeline; then the one before it.
  await page.goto(`${base}/contracts/${encodeURIComponent(contractIdOf(1))}`);
  for (const heading of ['Commercial terms', 'Renewal chain', 'License items', 'Timeline'])
    expect(await page.getByRole('heading', { name: heading }).count()).toBe(1);
  expect(await page.textContent('body')).toContain('USD 2,400.00');
  await shot(page, `03-contract-${width}`);
  expect(await overflowing(page)).toEqual([]);
  await page.getByRole('link', { name: contractIdOf(0) }).click();
  await page.waitForURL(/l-0000/);
  expect(await page.textContent('body')).toMatch(/renewed/);
  expect(await page.getByRole('link', { name: contractIdOf(1) }).count()).toBe(1);

  // A channel partner's contract: no terms, and why.
  await page.goto(`${base}/contracts/${encodeURIComponent(contractIdOf(5))}`);
  expect(await page.textContent('body')).toContain('Terms unavailable: access-denied');

  // The summary's charts, drawn on the server.
  await page.getByRole('link', { name: 'Summary' }).click();
  await page.waitForURL(/\/summary/);
  expect(await page.locator('svg.chart').count()).toBeGreaterThanOrEqual(4);
  expect(await page.getByRole('img', { name: 'Contracts by status' }).count()).toBe(1);
  await shot(page, `04-summary-${width}`);
  expect(await overflowing(page)).toEqual([]);
  await page.close();
}

describe('sales console in Chromium', () => {
  it('walks filters, list, contract, summary and CSV at desktop width', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await walk(context, 'desktop');
    await context.close();
  });

  it('walks the same at phone width, the page never scrolling sideways outside its tables', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    await walk(context, 'phone');
    await context.close();
  });

  it('answers a hostile query with a 400 message in the browser too', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${server.url}/contracts?expiringBefore=soon`);
    expect(response?.status()).toBe(400);
    expect(await page.textContent('body')).toMatch(/expiringBefore/);
    await context.close();
  });
});

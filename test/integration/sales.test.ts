import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSalesHandler, type SalesOptions } from '../../functions/sales/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { type ContractRow, createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import type { Contract } from '../../lib/domain/contract/model.js';
import { reconcile } from '../../lib/domain/contract/reconcile.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY = 24 * 3600 * 1000;
const PRODUCTS = ['prodalpha0000000000000001', 'prodbeta00000000000000002'];
const catalog: ProductCatalog = { products: PRODUCTS.map((productCode) => ({ productCode })) };

interface Seeded {
  contractId: string;
  productCode: string;
  status: string;
  expiresAt: string;
  freeTrial: boolean;
  business?: string;
}

let table: TestTable;
let handler: ReturnType<typeof createSalesHandler>;
let handlerOptions: SalesOptions;
const seeded: Seeded[] = [];

/** Writes a contract the way the sync does (reconcile + the store's transaction), then shapes it. */
async function seed(n: number): Promise<void> {
  const store = createContractStore({ client: table.client, tableName: table.tableName });
  const productCode = PRODUCTS[n % 2] ?? '';
  const licenseId = `l-${String(n).padStart(32, '0')}`;
  // Expiry dates interleave across products and statuses, with ties on the same day.
  const expiresAt = new Date(NOW.getTime() + (((n * 37) % 200) + 1) * DAY + (n % 3) * 1000).toISOString();
  const result = reconcile(
    undefined,
    {
      key: { kind: 'license', productCode, licenseId },
      entitlements: [
        {
          productCode,
          dimension: 'Credits',
          quantity: 100 + n,
          expiresAt,
          customerAWSAccountId: `1000000000${String(n).padStart(2, '0')}`,
        },
      ],
      facts: n % 5 === 0 ? { freeTrial: { value: true, asOf: NOW.toISOString() } } : {},
      observedAt: NOW.toISOString(),
    },
    { productCode },
    NOW,
  );
  if (!result.changed) throw new Error('seed failed');
  let contract: Contract = result.next.contract;
  if (n % 4 === 1)
    contract = {
      ...contract,
      setupState: 'active',
      activatedBy: n % 8 === 1 ? 'biz-one' : 'biz-two',
      activatedAt: NOW.toISOString(),
    };
  if (n % 7 === 3)
    contract = { ...contract, term: 'cancelled', activeCredits: 0, endedAt: NOW.toISOString() };
  const status = contract.term === 'current' ? contract.setupState : contract.term;
  await store.save({
    next: { contract, items: result.next.items },
    touchedItems: result.next.items,
    expectedVersion: undefined,
    audit: {
      contractId: contract.contractId,
      version: 1,
      at: NOW.toISOString(),
      changes: result.changes,
      trigger: { source: 'sns', type: 'entitlement-updated', id: `m-${n}`, at: NOW.toISOString() },
      after: { status, activeCredits: contract.activeCredits, expiresAt },
    },
  });
  seeded.push({
    contractId: contract.contractId,
    productCode,
    status,
    expiresAt,
    freeTrial: n % 5 === 0,
    ...(contract.activatedBy ? { business: contract.activatedBy } : {}),
  });
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
    type: String(result.headers?.['content-type'] ?? ''),
    nextCursor: result.headers?.['x-next-cursor'],
    body: result.body ?? '',
  };
}

async function allPages(query: Record<string, string>): Promise<{ rows: ContractRow[]; pages: number }> {
  const rows: ContractRow[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const response = await get('/contracts', { ...query, ...(cursor ? { cursor } : {}) });
    expect(response.status).toBe(200);
    const page = JSON.parse(response.body) as { contracts: ContractRow[]; nextCursor?: string };
    expect(page.contracts.length).toBeLessThanOrEqual(Number(query.limit ?? 50));
    rows.push(...page.contracts);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < 200);
  return { rows, pages };
}

const byExpiry = (
  a: { expiresAt: string; contractId: string },
  b: { expiresAt: string; contractId: string },
) => (`${a.expiresAt}#${a.contractId}` < `${b.expiresAt}#${b.contractId}` ? -1 : 1);

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  handlerOptions = {
    reader: createSalesReader({ client: table.client, tableName: table.tableName }),
    catalog,
    clock: { now: () => NOW },
    logger: new Logger({ serviceName: 'sales', logLevel: 'SILENT' }),
  };
  handler = createSalesHandler(handlerOptions);
  for (let n = 0; n < 60; n++) await seed(n);
});
afterAll(async () => {
  await table.drop();
});

describe('sales view', () => {
  it.each([
    ['no filter', {}, () => true],
    ['status active', { status: 'active' }, (s: Seeded) => s.status === 'active'],
    ['one product', { product: PRODUCTS[1] ?? '' }, (s: Seeded) => s.productCode === PRODUCTS[1]],
    [
      'expiring before',
      { expiringBefore: '2026-09-01' },
      (s: Seeded) => s.expiresAt < '2026-09-01T00:00:00.000Z',
    ],
    ['free trials', { freeTrial: 'true' }, (s: Seeded) => s.freeTrial],
    [
      'not free trials, pending',
      { freeTrial: 'false', status: 'pending-setup' },
      (s: Seeded) => !s.freeTrial && s.status === 'pending-setup',
    ],
    ['one business', { business: 'biz-one' }, (s: Seeded) => s.business === 'biz-one'],
  ] as const)('lists every contract once, in expiry order, across pages with %s', async (_, filter, keep) => {
    const expected = seeded.filter((s) => keep(s as Seeded)).sort(byExpiry);
    expect(expected.length).toBeGreaterThan(0);
    const { rows } = await allPages({ ...filter, limit: '7' });
    expect(rows.map((r) => r.contractId)).toEqual(expected.map((s) => s.contractId));
  });

  it('returns the first page in one request when it fits', async () => {
    const { pages, rows } = await allPages({ limit: '100' });
    expect(rows).toHaveLength(60);
    expect(pages).toBe(1);
  });

  it('shows an empty list, not an error, when nothing matches', async () => {
    const empty = await get('/contracts', { expiringBefore: '2020-01-01' });
    expect(JSON.parse(empty.body)).toEqual({ contracts: [] });
    const html = await get('/contracts', { expiringBefore: '2020-01-01' }, 'text/html');
    expect(html.body).toContain('No contracts match.');
  });

  it('refuses bad filters and foreign cursors with 400 and a message', async () => {
    const bad: Record<string, string>[] = [
      { status: 'weird' },
      { limit: '0' },
      { limit: '101' },
      { expiringBefore: 'soon' },
      { cursor: 'not*base64' },
      { product: 'unknown' },
    ];
    for (const query of bad) {
      const response = await get('/contracts', query);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body).message).toMatch(/Invalid|Unknown/);
    }
    const cursor = Buffer.from(JSON.stringify({ 'STATUS#other#active': 'x' })).toString('base64url');
    expect((await get('/contracts', { cursor })).status).toBe(400);
  });

  it('writes CSV with one header row and escapes commas, quotes and formulas', async () => {
    const response = await get('/contracts', { format: 'csv', limit: '5' });
    expect(response.type).toContain('text/csv');
    const lines = response.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'contractId,productCode,status,activeCredits,expiresAt,customerAWSAccountId,activatedBy,businessName,freeTrial,autoRenew,createdAt,updatedAt,contractValue,currency,endBehavior,endBehaviorReason,termsUnavailable,overAllocatedBy,previousContractId,nextContractId',
    );
    expect(lines).toHaveLength(6);
    expect(response.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/); // the next page's cursor rides in a header
    expect((await get('/contracts', { format: 'csv', limit: '100' })).nextCursor).toBe('');
    const { toCsv } = await import('../../lib/adapters/http/csv.js');
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          ['=HYPERLINK("x")', 'line\nbreak'],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n"\'=HYPERLINK(""x"")","line\nbreak"\r\n');
  });

  it('renders HTML for browsers with every value escaped', async () => {
    const response = await get('/contracts', { limit: '3' }, 'text/html,application/xhtml+xml');
    expect(response.type).toContain('text/html');
    expect(response.body).toContain('<table>');
    const { contractsHtml } = await import('../../functions/sales/views.js');
    const hostile = contractsHtml({
      contracts: [
        {
          contractId: '<script>x</script>',
          productCode: 'p',
          status: 'active',
          activeCredits: 1,
          expiresAt: '',
          activatedBy: '"><img onerror=1>',
          createdAt: '',
          updatedAt: '',
        },
      ],
      nextCursor: undefined,
      query: new URLSearchParams({ q: '"><script>q</script>' }),
    });
    expect(hostile).not.toContain('<script>q');
    expect(hostile).not.toContain('<script>x');
    expect(hostile).not.toContain('<img onerror');
    expect(hostile).toContain('&lt;script&gt;');
  });

  it('shows one contract with its items and audit trail', async () => {
    const first = seeded[0];
    const response = await get(`/contracts/${encodeURIComponent(first?.contractId ?? '')}`);
    const detail = JSON.parse(response.body);
    expect(detail.contract.contractId).toBe(first?.contractId);
    expect(detail.items).toHaveLength(1);
    expect(detail.audit).toEqual([
      expect.objectContaining({ version: 1, trigger: expect.objectContaining({ id: 'm-0' }) }),
    ]);
    expect((await get('/contracts/nope')).status).toBe(404);
    // A single contract and the summary are not lists: CSV is refused, not an empty 200.
    expect(
      (await get(`/contracts/${encodeURIComponent(first?.contractId ?? '')}`, { format: 'csv' })).status,
    ).toBe(400);
    expect((await get('/summary', { format: 'csv' })).status).toBe(400);
    expect((await get('/summary', { format: 'xml' })).status).toBe(400);
  });

  it('refuses a contract id with a malformed %-escape with 400, not 500', async () => {
    const response = await get('/contracts/%E0%A4%A');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(/contract id/);
  });

  it('answers an unknown path with 404 and any method but GET with 405, in JSON', async () => {
    const missing = await get('/nowhere');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).message).toMatch(/try \/contracts/);
    for (const method of ['POST', 'DELETE']) {
      const request = event('/contracts');
      const result = await handler(
        {
          ...request,
          requestContext: { ...request.requestContext, http: { ...request.requestContext.http, method } },
        },
        lambdaContext(),
      );
      expect(result.statusCode).toBe(405);
      expect(result.headers?.['content-type']).toBe('application/json');
    }
    expect((await get('/contracts/')).status).toBe(200); // a trailing slash is the same list
  });

  it('sends the security headers and no caching on JSON, CSV and HTML alike', async () => {
    const queries: Record<string, string>[] = [{}, { format: 'csv' }, { format: 'html' }];
    for (const query of queries) {
      const result = await handler(event('/contracts', query), lambdaContext());
      expect(result.headers).toMatchObject({
        'cache-control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': expect.stringContaining("frame-ancestors 'none'"),
      });
    }
  });

  it('answers an unexpected failure with 500 and the request id, never the details', async () => {
    const failing = createSalesHandler({
      ...handlerOptions,
      reader: {
        ...handlerOptions.reader,
        summary: async () => {
          throw new Error('table gone');
        },
      },
    });
    const result = await failing(event('/summary'), { ...lambdaContext(), awsRequestId: 'req-500' });
    expect(result.statusCode).toBe(500);
    expect(result.body).toContain('req-500');
    expect(result.body).not.toContain('table gone');
  });

  it('adds up the summary from the running totals and counts contracts expiring soon', async () => {
    const summary = JSON.parse((await get('/summary')).body);
    const count = (status: string) => seeded.filter((s) => s.status === status).length;
    expect(summary.byStatus).toEqual({
      'pending-setup': count('pending-setup'),
      active: count('active'),
      expired: 0,
      cancelled: count('cancelled'),
      renewed: 0,
      replaced: 0,
    });
    const live = seeded.filter((s) => s.status === 'active' || s.status === 'pending-setup');
    const within = (days: number) =>
      live.filter((s) => Date.parse(s.expiresAt) <= NOW.getTime() + days * DAY).length;
    expect(summary.expiring).toEqual({ days30: within(30), days60: within(60), days90: within(90) });
  });

  it('lists open and expired setups for follow-up', async () => {
    const setups = createSetupStore({ client: table.client, tableName: table.tableName });
    const session = (key: string, createdAt: Date) => ({
      sessionKey: key,
      contractId: seeded[0]?.contractId ?? '',
      productCode: PRODUCTS[0] ?? '',
      freeTrialOffer: false,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + 4 * 3600 * 1000).toISOString(),
      step: 'code' as const,
      email: 'stuck@example.com',
      csrfToken: 'c'.repeat(43),
      version: 1,
    });
    await setups.createSession(session('open-1', new Date(NOW.getTime() - 3600 * 1000)));
    await setups.createSession(session('expired-1', new Date(NOW.getTime() - 5 * 3600 * 1000)));
    const open = JSON.parse((await get('/setups', { state: 'open' })).body);
    const expired = JSON.parse((await get('/setups', { state: 'expired' })).body);
    expect(open.setups).toEqual([expect.objectContaining({ email: 'stuck@example.com', step: 'code' })]);
    expect(expired.setups).toHaveLength(1);
    expect((await get('/setups', { state: 'expired', format: 'csv' })).body.split('\r\n')[0]).toBe(
      'createdAt,expiresAt,step,email,customerAWSAccountId,productCode,contractId',
    );
  });
});

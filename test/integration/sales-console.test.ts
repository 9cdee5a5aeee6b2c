import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSalesHandler } from '../../functions/sales/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import {
  type ContractDetail,
  type ContractRow,
  createSalesReader,
  type SalesReader,
} from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import type { AgreementTerms } from '../../lib/domain/contract/agreement.js';
import {
  type Contract,
  type ContractFacts,
  contractStatus,
  type LicenseItem,
  type StoredContract,
} from '../../lib/domain/contract/model.js';
import { setServiceAllocation } from '../../lib/domain/credits/use-cases.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import {
  CREDITS_PRODUCT,
  creation,
  creditsCatalog,
  creditsChange,
  registerBusiness,
} from '../support/credits.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = new Date('2026-04-10T10:00:00.000Z');
const BETA = 'prodbeta00000000000000002';
const catalog: ProductCatalog = { products: [...creditsCatalog.products, { productCode: BETA }] };
const BIZ_A = `biz-${'a'.repeat(20)}`;
const BIZ_B = `biz-${'b'.repeat(20)}`;
const BIZ_C = `biz-${'c'.repeat(20)}`;
const HOSTILE_NAME = '=HYPERLINK("http://x")<b>bold</b>';

let table: TestTable;
let reader: SalesReader;
let handler: ReturnType<typeof createSalesHandler>;
const stored = new Map<string, StoredContract>();

interface Spec {
  readonly name: string;
  readonly product?: string;
  readonly account: string;
  readonly credits: number;
  readonly days: number;
  readonly business?: { id: string; name: string };
  readonly term?: Contract['term'];
  readonly facts?: ContractFacts;
  readonly previous?: string;
  readonly next?: string;
}

const idOf = (spec: Pick<Spec, 'name' | 'product'>) =>
  `${spec.product ?? CREDITS_PRODUCT}~L~l-${spec.name.padEnd(32, '0')}`;

const terms = (over: Partial<AgreementTerms>, asOf = NOW.toISOString()) => ({
  value: { agreementId: 'agmt-x', status: 'ACTIVE', units: {}, ...over } as AgreementTerms,
  asOf,
});
const fact = <T>(value: T, asOf = new Date(NOW.getTime() - 30 * DAY).toISOString()) => ({ value, asOf });

/** The contracts the console shows, each built as the sync stores it (real store, counters and all). */
const SPECS: Spec[] = [
  {
    name: 'aaaa',
    account: '111111111111',
    credits: 1000,
    days: 30,
    business: { id: BIZ_A, name: 'Acme Widgets GmbH' },
    previous: idOf({ name: 'cccc' }),
    facts: {
      agreementId: fact('agmt-a'),
      previousAgreementId: fact('agmt-c'),
      autoRenew: fact(false),
      terms: terms({
        agreementId: 'agmt-a',
        initialAgreementId: 'agmt-first',
        contractValue: { amount: '12000.00', currency: 'USD' },
        startTime: '2025-05-10T10:00:00.000Z',
        endTime: '2026-05-10T10:00:00.000Z',
        endBehavior: { type: 'RENEW', reasonCode: 'AUTO_RENEW_ENABLED' },
        renewal: { autoRenew: true, lockoutPeriod: 'P30D', maxRenewals: 3, priceIncrease: '5%' },
        duration: 'P12M',
        units: { Credits: 1000 },
      }),
    },
  },
  {
    name: 'bbbb',
    account: '222222222222',
    credits: 500,
    days: 45,
    facts: { freeTrial: fact(true), autoRenew: fact(false) },
  },
  {
    name: 'cccc',
    account: '111111111111',
    credits: 0,
    days: -10,
    term: 'renewed',
    business: { id: BIZ_A, name: 'Acme Widgets GmbH' },
    next: idOf({ name: 'aaaa' }),
    facts: { agreementId: fact('agmt-c') },
  },
  {
    name: 'dddd',
    product: BETA,
    account: '333333333333',
    credits: 300,
    days: 200,
    business: { id: BIZ_B, name: 'Beta Bakery Ltd' },
    facts: {
      autoRenew: fact(true),
      termsUnavailable: fact({
        agreementId: 'agmt-d',
        reason: 'access-denied',
        message: 'The seller is not the proposer of this agreement',
      }),
    },
  },
  {
    name: 'eeee',
    product: BETA,
    account: '444444444444',
    credits: 50,
    days: 100,
    facts: {
      terms: terms({
        contractValue: { amount: '99.50', currency: 'EUR' },
        freeTrial: { duration: 'P30D', grants: { Credits: 50 } },
        renewal: { autoRenew: false },
        endBehavior: { type: 'EXPIRE', reasonCode: 'ACCEPTOR_RENEW_OPTED_OUT' },
      }),
    },
  },
  {
    name: 'ffff',
    account: '555555555555',
    credits: 5000,
    days: 400,
    business: { id: BIZ_A, name: 'Acme Widgets GmbH' },
    facts: {
      freeTrial: fact(true),
      terms: terms({ contractValue: { amount: '5000.00', currency: 'USD' }, renewal: { autoRenew: false } }),
    },
  },
  {
    name: 'gggg',
    account: '666666666666',
    credits: 100,
    days: 60,
    business: { id: BIZ_C, name: HOSTILE_NAME },
    facts: { terms: terms({ contractValue: { amount: '250.25', currency: 'USD' } }) },
  },
  {
    name: 'hhhh',
    account: '777777777777',
    credits: 40,
    days: 35,
    facts: { terms: terms({ contractValue: { amount: '0.75', currency: 'USD' } }) },
  },
];

function build(spec: Spec): StoredContract {
  const productCode = spec.product ?? CREDITS_PRODUCT;
  const contractId = idOf(spec);
  const expiresAt = new Date(NOW.getTime() + spec.days * DAY).toISOString();
  const term = spec.term ?? 'current';
  const at = new Date(NOW.getTime() - 60 * DAY).toISOString();
  const contract: Contract = {
    contractId,
    key: { kind: 'license', productCode, licenseId: `l-${spec.name.padEnd(32, '0')}` },
    productCode,
    licenseArn: `arn:aws:license-manager::123456789012:license:l-${spec.name}`,
    customerAWSAccountId: spec.account,
    setupState: spec.business ? 'active' : 'pending-setup',
    term,
    expiresAt,
    ...(term !== 'current' ? { endedAt: expiresAt } : {}),
    activeCredits: spec.credits,
    dimensions: { Credits: spec.credits },
    itemCount: 1,
    facts: spec.facts ?? {},
    ...(spec.business
      ? { activatedBy: spec.business.id, activatedAt: at, businessName: spec.business.name }
      : {}),
    ...(spec.previous ? { previousContractId: spec.previous } : {}),
    ...(spec.next ? { nextContractId: spec.next } : {}),
    createdAt: at,
    updatedAt: at,
    syncedAt: at,
    version: 1,
  };
  const item: LicenseItem = {
    contractId,
    itemNo: 1,
    origin: 'purchase',
    credits: spec.credits,
    createdAt: at,
    expiresAt,
    ...(term === 'current'
      ? { state: 'active' as const }
      : { state: 'ended' as const, endedAt: expiresAt, endReason: 'renewed' as const }),
  };
  return { contract, items: [item] };
}

function event(path: string, rawQueryString = '', accept = 'application/json'): APIGatewayProxyEventV2 {
  const params = new URLSearchParams(rawQueryString);
  const query = Object.fromEntries(params);
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

async function get(path: string, query: Record<string, string> | string = {}, accept?: string) {
  const raw = typeof query === 'string' ? query : new URLSearchParams(query).toString();
  const result = await handler(event(path, raw, accept), lambdaContext());
  return {
    status: result.statusCode ?? 0,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
    body: result.body ?? '',
  };
}

/** Every page of the JSON list, small pages so the cursor is exercised. */
async function listAll(filters: Record<string, string>): Promise<ContractRow[]> {
  const rows: ContractRow[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const response = await get('/contracts', { ...filters, limit: '2', ...(cursor ? { cursor } : {}) });
    expect(response.status, response.body).toBe(200);
    const page = JSON.parse(response.body) as { contracts: ContractRow[]; nextCursor?: string };
    rows.push(...page.contracts);
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  return rows;
}

/** CSV cells of a simple line (the tests' values hold no quoted commas but the hostile name). */
function csvRows(body: string): string[][] {
  const lines = body.trimEnd().split('\r\n');
  return lines.map((line) => {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        cells.push(cell);
        cell = '';
      } else cell += ch;
    }
    cells.push(cell);
    return cells;
  });
}

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  reader = createSalesReader({ client: table.client, tableName: table.tableName });
  handler = createSalesHandler({
    reader,
    catalog,
    clock: { now: () => NOW },
    logger: new Logger({ serviceName: 'sales', logLevel: 'SILENT' }),
  });
  for (const id of [BIZ_A, BIZ_B, BIZ_C]) await registerBusiness(table, id);
  const store = createContractStore({ client: table.client, tableName: table.tableName });
  for (const spec of SPECS) {
    const s = build(spec);
    // The audit's status is what the counters count: renewed, not its setup state.
    const change = creation(s);
    await store.save({
      ...change,
      audit: { ...change.audit, after: { ...change.audit.after, status: contractStatus(s.contract) } },
    });
    stored.set(spec.name, s);
  }
  // Business C allocates 80 of its 100 credits, then the marketplace lowers them to 30: over by 50.
  const deps = {
    catalog,
    ledgers: createLedgerStore({ client: table.client, tableName: table.tableName }),
    businesses: createBusinessDirectory({ client: table.client, tableName: table.tableName }),
    notices: { overAllocated: async () => undefined },
    clock: { now: () => NOW },
  };
  await setServiceAllocation(deps, BIZ_C, 'svc-000', 80);
  const g = stored.get('gggg');
  if (!g) throw new Error('no gggg');
  await store.save(creditsChange(g, 30, new Date(NOW.getTime() - DAY)));
  // Setups started half an hour, 90 minutes, 3.5 hours, 5 hours and 2 days ago.
  const setups = createSetupStore({ client: table.client, tableName: table.tableName });
  for (const [key, ago] of [
    ['s1', 0.5],
    ['s2', 1.5],
    ['s3', 3.5],
    ['s4', 5],
    ['s5', 48],
  ] as const) {
    const createdAt = new Date(NOW.getTime() - ago * HOUR);
    await setups.createSession({
      sessionKey: key,
      contractId: idOf({ name: 'bbbb' }),
      productCode: CREDITS_PRODUCT,
      freeTrialOffer: false,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + 4 * HOUR).toISOString(),
      step: 'code',
      csrfToken: 'c'.repeat(43),
      version: 1,
    });
  }
}, 120_000);
afterAll(async () => {
  await table?.drop();
});

/** What each filter should leave, from the specs alone, in end order. */
const expiresAt = (s: Spec) => new Date(NOW.getTime() + s.days * DAY).toISOString();
const statusOf = (s: Spec) =>
  s.term && s.term !== 'current' ? s.term : s.business ? 'active' : 'pending-setup';
const ids = (keep: (s: Spec) => boolean) =>
  SPECS.filter(keep)
    .sort((a, b) => (`${expiresAt(a)}#${idOf(a)}` < `${expiresAt(b)}#${idOf(b)}` ? -1 : 1))
    .map(idOf);

describe('sales console: contract list', () => {
  it.each([
    ['every contract', {}, () => true],
    ['status active', { status: 'active' }, (s: Spec) => statusOf(s) === 'active'],
    ['status renewed', { status: 'renewed' }, (s: Spec) => s.term === 'renewed'],
    ['one product', { product: BETA }, (s: Spec) => s.product === BETA],
    ['ending before a day', { expiringBefore: '2026-05-20' }, (s: Spec) => s.days < 40],
    ['one business', { business: BIZ_A }, (s: Spec) => s.business?.id === BIZ_A],
    // Terms decide when present: ffff's notification said trial, its terms hold none; eeee's terms do.
    ['free trial yes', { freeTrial: 'yes' }, (s: Spec) => ['bbbb', 'eeee'].includes(s.name)],
    ['free trial no', { freeTrial: 'no' }, (s: Spec) => !['bbbb', 'eeee'].includes(s.name)],
    ['free trial any', { freeTrial: 'any' }, () => true],
    // aaaa: the terms (newer) say on over the older fact's off; dddd has the fact only.
    ['auto-renew yes', { autoRenew: 'yes' }, (s: Spec) => ['aaaa', 'dddd'].includes(s.name)],
    ['auto-renew no', { autoRenew: 'false' }, (s: Spec) => !['aaaa', 'dddd'].includes(s.name)],
    ['an AWS account', { q: '111111111111' }, (s: Spec) => s.account === '111111111111'],
    ['an account and a status', { q: '111111111111', status: 'active' }, (s: Spec) => s.name === 'aaaa'],
    ['a name, any case', { q: 'acme WIDGETS' }, (s: Spec) => s.business?.name === 'Acme Widgets GmbH'],
    ['a piece of a name', { q: 'bakery' }, (s: Spec) => s.name === 'dddd'],
    [
      'a name and a product and auto-renew',
      { q: 'acme', autoRenew: 'no', product: CREDITS_PRODUCT },
      (s: Spec) => ['cccc', 'ffff'].includes(s.name),
    ],
    ['a business and a name', { business: BIZ_A, q: 'bakery' }, () => false],
    [
      'blank form fields',
      { status: '', product: '', q: '', freeTrial: '', autoRenew: '', expiringBefore: '' },
      () => true,
    ],
  ] as const)(
    'lists exactly the matching contracts, in end order across pages, for %s',
    async (_, filters, keep) => {
      // Act
      const rows = await listAll(filters);
      // Assert
      expect(rows.map((r) => r.contractId)).toEqual(ids(keep as (s: Spec) => boolean));
    },
  );

  it('gives each row its contract value, renewal behaviour and chain, and over-allocation in the views a person reads', async () => {
    const json = (await listAll({})).find((r) => r.contractId === idOf({ name: 'aaaa' }));
    expect(json).toMatchObject({
      contractValue: { amount: '12000.00', currency: 'USD' },
      autoRenew: true,
      endBehavior: { type: 'RENEW', reasonCode: 'AUTO_RENEW_ENABLED' },
      previousContractId: idOf({ name: 'cccc' }),
    });
    expect(json?.overAllocatedBy).toBeUndefined(); // the JSON API does not pay for ledgers

    const html = (await get('/contracts', {}, 'text/html')).body;
    expect(html).toContain('USD 12,000.00');
    expect(html).toContain('EUR 99.50');
    expect(html).toContain('at end: RENEW (AUTO_RENEW_ENABLED)');
    expect(html).toContain('terms unavailable: access-denied');
    expect(html).toContain('over by 50');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;b&gt;bold&lt;/b&gt;');
    // The filter form, labelled, and the CSV link of the same filters.
    expect(html).toMatch(/<label for="f-q">/);
    expect(html).toMatch(/<form class="filters card" method="get" action="\/contracts"/);
    const filtered = (await get('/contracts', { status: 'active', q: 'acme', limit: '25' }, 'text/html'))
      .body;
    expect(filtered).toContain('href="/contracts.csv?q=acme&amp;status=active"');
    expect(filtered).toMatch(/<option value="active" selected>/);
    expect(filtered).toContain('value="acme"');
  });

  it('keeps the filters on the next-page link, and the page after it continues the list', async () => {
    const first = await get('/contracts', { limit: '3', autoRenew: 'no' }, 'text/html');
    const next = /href="\/contracts\?([^"]+)" rel="next"/.exec(first.body)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toBeDefined();
    const params = new URLSearchParams(next);
    expect(params.get('autoRenew')).toBe('no');
    expect(params.get('limit')).toBe('3');
    const second = JSON.parse((await get('/contracts', next ?? '')).body) as { contracts: ContractRow[] };
    expect(second.contracts.map((c) => c.contractId)).toEqual(
      ids((s) => !['aaaa', 'dddd'].includes(s.name)).slice(3, 6),
    );
  });
});

describe('sales console: CSV download', () => {
  it.each([
    [{}],
    [{ status: 'active' }],
    [{ q: 'acme' }],
    [{ q: '111111111111' }],
    [{ freeTrial: 'no', autoRenew: 'no', expiringBefore: '2027-01-01' }],
    [{ business: BIZ_A, product: CREDITS_PRODUCT }],
  ])('holds exactly the filtered list %o, every page of it, header once', async (filters) => {
    // Arrange
    const expected = (await listAll(filters)).map((r) => r.contractId);
    // Act
    const response = await get('/contracts.csv', filters);
    // Assert
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('text/csv');
    expect(response.headers['content-disposition']).toBe('attachment; filename="contracts-2026-04-10.csv"');
    expect(response.headers['x-truncated']).toBe('false');
    const [header, ...rows] = csvRows(response.body);
    expect(header?.[0]).toBe('contractId');
    expect(rows.map((r) => r[0])).toEqual(expected);
  });

  it('writes terms and over-allocation, and defuses a business name that starts like a formula', async () => {
    const [header = [], ...rows] = csvRows((await get('/contracts.csv')).body);
    const col = (name: string) => header.indexOf(name);
    const g = rows.find((r) => r[0] === idOf({ name: 'gggg' })) ?? [];
    expect(g[col('businessName')]).toBe(`'${HOSTILE_NAME}`);
    expect(g[col('overAllocatedBy')]).toBe('50');
    const a = rows.find((r) => r[0] === idOf({ name: 'aaaa' })) ?? [];
    expect([a[col('contractValue')], a[col('currency')], a[col('autoRenew')], a[col('endBehavior')]]).toEqual(
      ['12000.00', 'USD', 'true', 'RENEW'],
    );
    const d = rows.find((r) => r[0] === idOf({ name: 'dddd', product: BETA })) ?? [];
    expect(d[col('termsUnavailable')]).toBe('access-denied');
  });

  it('goes on from a page cursor: the download of the rest of a list', async () => {
    const first = JSON.parse((await get('/contracts', { limit: '3' })).body) as {
      contracts: ContractRow[];
      nextCursor: string;
    };
    const rest = csvRows((await get('/contracts.csv', { cursor: first.nextCursor })).body).slice(1);
    expect(rest.map((r) => r[0])).toEqual(ids(() => true).slice(3));
  });
});

describe('sales console: contract page', () => {
  const page = async (name: string, product?: string) =>
    (
      await get(
        `/contracts/${encodeURIComponent(idOf({ name, ...(product ? { product } : {}) }))}`,
        {},
        'text/html',
      )
    ).body;

  it('shows the commercial terms and the renewal chain with its agreement ids', async () => {
    const html = await page('aaaa');
    for (const text of [
      'Total contract value</dt><dd>USD 12,000.00',
      'Duration</dt><dd>12 months',
      'Auto-renew</dt><dd>on',
      'Lockout period</dt><dd>30 days',
      'Max renewals</dt><dd>3',
      'Price increase at renewal</dt><dd>5%',
      'At the end</dt><dd>RENEW, because AUTO_RENEW_ENABLED',
      'Free trial</dt><dd>no',
      'Units</dt><dd>Credits: 1,000',
      'Start</dt><dd>2025-05-10 10:00 UTC',
    ])
      expect(html).toContain(text);
    expect(html).toContain(`href="/contracts/${encodeURIComponent(idOf({ name: 'cccc' }))}"`);
    expect(html).toMatch(/Next contract<\/dt><dd><span class="muted">none yet/);
    expect(html).toContain('Agreement</dt><dd><span class="id">agmt-a');
    expect(html).toContain('Previous agreement</dt><dd><span class="id">agmt-c');
    expect(html).toContain('Initial agreement</dt><dd><span class="id">agmt-first');
    const previous = await page('cccc');
    expect(previous).toContain(`href="/contracts/${encodeURIComponent(idOf({ name: 'aaaa' }))}"`);
    expect(previous).toContain('b-renewed');

    const json = JSON.parse(
      (await get(`/contracts/${encodeURIComponent(idOf({ name: 'aaaa' }))}`)).body,
    ) as ContractDetail;
    expect(json.agreement).toMatchObject({ agreementId: 'agmt-a', previousAgreementId: 'agmt-c' });
    expect(json.agreement.terms?.value.initialAgreementId).toBe('agmt-first');
  });

  it('says the terms are unavailable, and why, for a channel partner offer', async () => {
    const html = await page('dddd', BETA);
    expect(html).toContain('Terms unavailable: access-denied');
    expect(html).toContain('The seller is not the proposer of this agreement');
    expect(html).toContain('agmt-d');
  });

  it('shows a free trial of the terms with its duration and grants', async () => {
    expect(await page('eeee', BETA)).toContain('Free trial</dt><dd>yes, 30 days (Credits 50)');
  });

  it('shows the license items and the audit trail as a timeline, newest first, in words', async () => {
    const html = await page('gggg');
    const reduced = html.indexOf('Credits reduced from 100 to 30');
    const created = html.indexOf('Created with 100 credits, ending 2026-06-09');
    expect(reduced).toBeGreaterThan(0);
    expect(created).toBeGreaterThan(reduced);
    expect(html).toMatch(/<ol class="timeline">/);
    expect(html).toContain('<th scope="col">Origin</th>');
    expect(html).toContain('superseded');
    expect(html).not.toContain('<b>bold');
  });
});

describe('sales console: summary charts', () => {
  it('draws contracts by status, credits and value ending per month, and setups by age, with the right numbers', async () => {
    // Act
    const { summary, charts } = await reader.summaryWithCharts({
      productCodes: catalog.products.map((p) => p.productCode),
      now: NOW,
    });

    // Assert: live contracts within twelve months, by the month they end.
    expect(summary.byStatus).toEqual({
      'pending-setup': 3,
      active: 4,
      expired: 0,
      cancelled: 0,
      renewed: 1,
      replaced: 0,
    });
    const months = Object.fromEntries(charts.months.map((m) => [m.month, m]));
    expect(charts.months).toHaveLength(12);
    expect(charts.months[0]?.month).toBe('2026-04');
    expect(charts.months[11]?.month).toBe('2027-03');
    expect(months['2026-05']).toEqual({
      month: '2026-05',
      contracts: 3, // aaaa (+30 d), bbbb (+45 d → 05-25), hhhh (+35 d)
      credits: 1540,
      value: { USD: '12000.75' },
    });
    expect(months['2026-06']).toEqual({
      month: '2026-06',
      contracts: 1,
      credits: 30,
      value: { USD: '250.25' },
    });
    expect(months['2026-07']).toEqual({
      month: '2026-07',
      contracts: 1,
      credits: 50,
      value: { EUR: '99.50' },
    });
    expect(months['2026-10']).toMatchObject({ contracts: 1, credits: 300, value: {} }); // terms unavailable
    expect(charts.months.reduce((sum, m) => sum + m.contracts, 0)).toBe(6); // ffff ends after the window
    expect(charts.valueComplete).toBe(true);
    expect(charts.setupsByAge.map((b) => b.count)).toEqual([1, 1, 0, 1, 1]);

    const html = (await get('/summary', {}, 'text/html')).body;
    expect(html.match(/<svg class="chart"/g)).toHaveLength(5); // status, setups, credits, USD, EUR
    expect(html).toContain('<title id="status-t">Contracts by status</title>');
    expect(html).toContain('<th scope="row">May 2026</th><td class="n">1,540</td><td class="n">3</td>');
    expect(html).toContain('USD 12,000.75');
    expect(html).toContain('<th scope="row">3–4 h</th><td class="n">1</td>');
    expect(html).not.toContain('<script');
    // The JSON summary stays the counters-only one.
    expect(Object.keys(JSON.parse((await get('/summary')).body))).toEqual([
      'byStatus',
      'activeCredits',
      'expiring',
      'asOf',
    ]);
  });
});

describe('sales console: hostile input', () => {
  const forged = Buffer.from(JSON.stringify({ q: 'forged', p: {} })).toString('base64url');
  it.each([
    ['a date that is not one', '/contracts', { expiringBefore: 'soon' }, /expiringBefore/],
    ['an impossible date', '/contracts', { expiringBefore: '2026-13-45' }, /expiringBefore/],
    ['a bare number as a date', '/contracts', { expiringBefore: '1' }, /expiringBefore/],
    ['an unknown status', '/contracts', { status: 'lapsed' }, /status/],
    ['an unknown product', '/contracts', { product: 'nope' }, /Unknown product/],
    ['an overlong search', '/contracts', { q: 'x'.repeat(101) }, /at most 100 characters/],
    ['a search with a control character', '/contracts', { q: 'acme\u0000' }, /control characters/],
    ['a free-trial value', '/contracts', { freeTrial: 'maybe' }, /freeTrial/],
    ['an auto-renew value', '/contracts', { autoRenew: '1' }, /autoRenew/],
    ['a business id with spaces', '/contracts', { business: 'biz a' }, /business/],
    ['an overlong business id', '/contracts', { business: 'b'.repeat(101) }, /business/],
    ['a forged cursor', '/contracts', { cursor: forged }, /cursor/],
    ['a cursor that is not base64url', '/contracts', { cursor: 'a.b' }, /cursor/],
    ['a forged cursor on a search', '/contracts', { q: 'acme', cursor: forged }, /cursor/],
    ['a forged cursor on an account', '/contracts', { q: '111111111111', cursor: forged }, /cursor/],
    ['a forged cursor on the CSV', '/contracts.csv', { cursor: forged }, /cursor/],
    ['an unknown parameter', '/contracts', { statuss: 'active' }, /statuss/],
    ['a page size on the CSV', '/contracts.csv', { limit: '10' }, /limit/],
    ['a bad date on the CSV', '/contracts.csv', { expiringBefore: 'tomorrow' }, /expiringBefore/],
  ])('refuses %s with 400 and a clear message', async (_, path, query, message) => {
    const response = await get(path, query, 'text/html');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(message);
  });

  it('refuses the cursor of another filter', async () => {
    const page = JSON.parse((await get('/contracts', { limit: '2' })).body) as { nextCursor: string };
    const others: Record<string, string>[] = [
      { status: 'active' },
      { q: 'acme' },
      { autoRenew: 'yes' },
      { q: '111111111111' },
    ];
    for (const other of others) {
      const response = await get('/contracts', { ...other, cursor: page.nextCursor });
      expect(response.status, JSON.stringify(other)).toBe(400);
    }
  });

  it('treats markup in a search as text', async () => {
    const response = await get('/contracts', { q: '"><script>alert(1)</script>' }, 'text/html');
    expect(response.status).toBe(200);
    expect(response.body).not.toContain('<script>alert');
    expect(response.body).toContain('No contracts match.');
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSalesHandler } from '../../functions/sales/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { contractStatus } from '../../lib/domain/contract/model.js';
import { reconcile } from '../../lib/domain/contract/reconcile.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const PRODUCTS = ['prodalpha0000000000000001', 'prodbeta00000000000000002'];
const catalog: ProductCatalog = { products: PRODUCTS.map((productCode) => ({ productCode })) };

let table: TestTable;
let now = NOW;
let handler: ReturnType<typeof createSalesHandler>;

/** An API Gateway (payload 2.0) event for a raw path and query string, decoded as the function URL does. */
function event(rawPath: string, rawQueryString = ''): APIGatewayProxyEventV2 {
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString))
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: { accept: 'application/json', host: 'sales.example' },
    ...(rawQueryString ? { queryStringParameters: parameters } : {}),
    requestContext: {
      accountId: '123456512334',
      apiId: 'sales',
      domainName: 'sales.example',
      domainPrefix: 'sales',
      http: {
        method: 'GET',
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'test',
      },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    isBase64Encoded: false,
  };
}

async function get(path: string, query: Record<string, string> = {}) {
  const result = await handler(event(path, new URLSearchParams(query).toString()), lambdaContext());
  const body = JSON.parse(result.body ?? '{}') as { message?: string; nextCursor?: string };
  return { status: result.statusCode ?? 0, body };
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));

/** The nextCursor of the first page of a query, which must have one. */
async function firstCursor(path: string, query: Record<string, string>): Promise<string> {
  const page = await get(path, query);
  expect(page.status).toBe(200);
  const cursor = page.body.nextCursor;
  if (!cursor) throw new Error(`${path} ${JSON.stringify(query)} has a single page`);
  return cursor;
}

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  handler = createSalesHandler({
    reader: createSalesReader({ client: table.client, tableName: table.tableName }),
    catalog,
    clock: { now: () => now },
    logger: new Logger({ serviceName: 'sales', logLevel: 'SILENT' }),
  });
  const contracts = createContractStore({ client: table.client, tableName: table.tableName });
  for (let n = 0; n < 24; n++) {
    const productCode = PRODUCTS[n % 2] ?? '';
    const expiresAt = new Date(NOW.getTime() + (n + 1) * 7 * DAY).toISOString();
    const result = reconcile(
      undefined,
      {
        key: { kind: 'license', productCode, licenseId: `l-${String(n).padStart(32, '0')}` },
        entitlements: [{ productCode, dimension: 'Credits', quantity: 100, expiresAt }],
        facts: {},
        observedAt: NOW.toISOString(),
      },
      { productCode },
      NOW,
    );
    if (!result.changed) throw new Error('seed failed');
    const contract =
      n % 3 === 0
        ? { ...result.next.contract, setupState: 'active' as const, activatedBy: 'biz-one' }
        : result.next.contract;
    await contracts.save({
      next: { contract, items: result.next.items },
      touchedItems: result.next.items,
      expectedVersion: undefined,
      audit: {
        contractId: contract.contractId,
        version: 1,
        at: NOW.toISOString(),
        changes: result.changes,
        trigger: { source: 'sns', type: 'entitlement-updated', id: `m-${n}`, at: NOW.toISOString() },
        after: { status: contractStatus(contract), activeCredits: 100, expiresAt },
      },
    });
  }
  const setups = createSetupStore({ client: table.client, tableName: table.tableName });
  for (let n = 0; n < 6; n++) {
    // Open setups one to three hours old, expired ones five to seven.
    const createdAt = new Date(NOW.getTime() - ((n % 3) + 1 + (n >= 3 ? 4 : 0)) * HOUR - n * 1000);
    await setups.createSession({
      sessionKey: `session-${n}`,
      contractId: `${PRODUCTS[0]}~L~l-${String(n).padStart(32, '0')}`,
      productCode: PRODUCTS[0] ?? '',
      freeTrialOffer: false,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + 4 * HOUR).toISOString(),
      step: 'code',
      email: `buyer${n}@example.com`,
      csrfToken: 'c'.repeat(43),
      version: 1,
    });
  }
});
afterAll(async () => {
  await table.drop();
});

describe('sales cursors', () => {
  it('refuses a forged /setups cursor with 400, a key DynamoDB would reject included', async () => {
    const forged = [
      encode({ pk: 'SETUP#x', sk: 'SETUP', gsi1pk: 'SETUPS#open', gsi1sk: 'zzz' }),
      encode({
        pk: 'SETUP#x',
        sk: 'SETUP',
        gsi1pk: 'SETUPS#completed',
        gsi1sk: '2026-06-01T00:00:00.000Z#x',
      }),
      encode({ q: decode(await firstCursor('/setups', { limit: '1' })).q, at: 'not a position' }),
      encode({ q: decode(await firstCursor('/setups', { limit: '1' })).q, at: { S: 'x' } }),
      'bm90IGpzb24',
    ];
    for (const cursor of forged) {
      const response = await get('/setups', { cursor, limit: '1' });
      expect(response.status, cursor).toBe(400);
      expect(response.body.message).toMatch(/cursor/);
    }
  });

  it('refuses a /setups cursor of the other state', async () => {
    const open = await firstCursor('/setups', { state: 'open', limit: '1' });
    const response = await get('/setups', { state: 'expired', cursor: open });
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/another query/);
  });

  it('pages open setups to the end, and starts again where the four hours have moved past the cursor (R4)', async () => {
    const emails: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get('/setups', { limit: '1', ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      const body = page.body as { setups?: { email: string }[]; nextCursor?: string };
      emails.push(...(body.setups ?? []).map((s) => s.email));
      cursor = body.nextCursor;
    } while (cursor);
    expect(emails.sort()).toEqual(['buyer0@example.com', 'buyer1@example.com', 'buyer2@example.com']);

    const stale = await firstCursor('/setups', { limit: '1' }); // after the oldest open setup
    now = new Date(NOW.getTime() + 2.5 * HOUR); // it has left the window since
    try {
      const page = await get('/setups', { limit: '5', cursor: stale });
      expect(page.status).toBe(200);
      expect((page.body as { setups: { email: string }[] }).setups.map((s) => s.email)).toEqual([
        'buyer0@example.com',
      ]);
    } finally {
      now = NOW;
    }
  });

  it('refuses a /contracts cursor outside the expiringBefore range, or of another filter, with 400', async () => {
    const before = new Date(NOW.getTime() + 120 * DAY).toISOString();
    const later = await firstCursor('/contracts', { limit: '5', expiringBefore: before });
    // A cursor of a wider range, used with a narrower one.
    const wide = await firstCursor('/contracts', { limit: '10' });
    const cases: [string, Record<string, string>, RegExp][] = [
      [later, { expiringBefore: new Date(NOW.getTime() + 10 * DAY).toISOString() }, /another query/],
      [wide, { expiringBefore: before }, /another query/],
      [wide, { status: 'active' }, /another query/],
      [wide, { product: PRODUCTS[0] ?? '' }, /another query/],
      [wide, { business: 'biz-one' }, /another query/],
      [await firstCursor('/contracts', { limit: '1', business: 'biz-one' }), {}, /another query/],
    ];
    // The right fingerprint, with a position past the range: only a forger can make it.
    const { q, p } = decode(later) as { q: string; p: Record<string, string | null> };
    const beyond = Object.fromEntries(
      Object.keys(p).map((partition, i) => [
        partition,
        `2027-12-31T00:00:00.000Z#${PRODUCTS[i % 2]}~L~l-${'9'.repeat(32)}`,
      ]),
    );
    cases.push([encode({ q, p: beyond }), { expiringBefore: before }, /not valid/]);
    // A position that names another product's contract, or another partition.
    const [first, second] = Object.keys(p);
    const swapped = { ...p, [first ?? '']: `2026-07-01T00:00:00.000Z#${PRODUCTS[1]}~L~l-${'1'.repeat(32)}` };
    cases.push([encode({ q, p: swapped }), { expiringBefore: before }, /not valid/]);
    const renamed = { ...p, 'STATUS#other#active': null, [second ?? '']: undefined };
    cases.push([
      encode({ q, p: JSON.parse(JSON.stringify(renamed)) }),
      { expiringBefore: before },
      /another query/,
    ]);
    cases.push([encode({ q, p: { ...p, [first ?? '']: '' } }), { expiringBefore: before }, /not valid/]);
    cases.push([encode({ q, p: { ...p, [first ?? '']: 7 } }), { expiringBefore: before }, /not valid/]);
    for (const [cursor, query, message] of cases) {
      const response = await get('/contracts', { limit: '5', ...query, cursor });
      expect(response.status, `${JSON.stringify(query)} ${decode(cursor).q}`).toBe(400);
      expect(response.body.message).toMatch(message);
    }
    // The cursor with the query it came from goes on.
    expect((await get('/contracts', { limit: '5', expiringBefore: before, cursor: later })).status).toBe(200);
  });

  it('answers any query string on any sales path with 200, 400 or 404, never 500', async () => {
    const cursors = [
      await firstCursor('/contracts', { limit: '3' }),
      await firstCursor('/contracts', { limit: '3', status: 'active' }),
      await firstCursor('/contracts', {
        limit: '2',
        expiringBefore: new Date(NOW.getTime() + 60 * DAY).toISOString(),
      }),
      await firstCursor('/contracts', { limit: '1', business: 'biz-one' }),
      await firstCursor('/setups', { limit: '1' }),
      await firstCursor('/setups', { limit: '1', state: 'expired' }),
    ];
    const statuses = ['active', 'pending-setup', 'expired', 'cancelled'];
    const partitions = PRODUCTS.flatMap((p) => [`EXPIRY#${p}`, ...statuses.map((s) => `STATUS#${p}#${s}`)]);
    const json = fc.jsonValue({ maxDepth: 3 });
    const iso = fc
      .integer({ min: NOW.getTime() - 400 * DAY, max: NOW.getTime() + 400 * DAY })
      .map((ms) => new Date(ms).toISOString());
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant(''));
    // Sort keys as the lists hand them out, for either product, inside or outside any range.
    const position = fc.oneof(
      fc.constant(null),
      text,
      fc.tuple(iso, fc.constantFrom(...PRODUCTS), text).map(([at, p, id]) => `${at}#${p}~L~${id}`),
      fc.tuple(iso, text).map(([at, key]) => `${at}#${key}`),
      json,
    );
    const cursor = fc.oneof(
      fc.constantFrom(...cursors),
      text,
      json.map(encode),
      // DynamoDB keys as LastEvaluatedKey spells them.
      fc
        .record(
          {
            pk: text,
            sk: text,
            gsi1pk: fc.constantFrom('SETUPS#open', 'SETUPS#completed', ''),
            gsi1sk: position,
          },
          { requiredKeys: [] },
        )
        .map(encode),
      // Per-partition positions, bare or under a real cursor's fingerprint.
      fc
        .tuple(
          fc.constantFrom(...cursors),
          fc.dictionary(fc.constantFrom(...partitions), position),
          fc.boolean(),
        )
        .map(([real, positions, bare]) => encode(bare ? positions : { q: decode(real).q, p: positions })),
      fc
        .tuple(fc.constantFrom(...cursors), position, fc.nat(3))
        .map(([real, at, n]) => encode({ q: decode(real).q, at, offset: n === 0 ? at : n })),
      fc.tuple(fc.constantFrom(...cursors), fc.string({ maxLength: 8 })).map(([c, s]) => c + s),
    );
    const oneOf = (...values: string[]) => fc.oneof(fc.constantFrom(...values), text);
    const known = fc.record(
      {
        status: oneOf(...statuses),
        product: oneOf(...PRODUCTS),
        expiringBefore: fc.oneof(
          iso,
          oneOf('2026-07-01', '275760-09-13T00:00:00.000Z', '-000001-01-01', '1'),
        ),
        business: oneOf('biz-one', 'biz-two'),
        freeTrial: oneOf('true', 'false'),
        limit: fc.oneof(fc.integer({ min: -5, max: 120 }).map(String), oneOf('1e1', '0x10', '2.5', ' 3')),
        cursor,
        format: oneOf('json', 'csv', 'html'),
        state: oneOf('open', 'expired'),
      },
      { requiredKeys: [] },
    );
    const rawQuery = fc.oneof(
      fc
        .tuple(known, fc.array(fc.tuple(fc.string({ maxLength: 6 }), text), { maxLength: 2 }))
        .map(([params, extra]) =>
          [...Object.entries(params), ...extra]
            .map(([n, v]) => `${encodeURIComponent(n)}=${encodeURIComponent(v)}`)
            .join('&'),
        ),
      // Raw, not even well-formed %-escapes.
      fc.string({ unit: 'binary', maxLength: 40 }).map((s) => s.replace(/[#\s]/g, '')),
    );
    const path = fc.oneof(
      fc.constantFrom('/', '/contracts', '/contracts/', '/setups', '/summary'),
      fc.string({ maxLength: 20 }).map((s) => `/contracts/${s.replace(/[/?#]/g, '')}`),
      fc
        .constantFrom(...PRODUCTS)
        .map((p) => `/contracts/${encodeURIComponent(`${p}~L~l-${'0'.repeat(32)}`)}`),
      fc.constant('/contracts/%E0%A4%A'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom('/contracts', '/setups') },
          { weight: 1, arbitrary: path },
        ),
        rawQuery,
        async (rawPath, rawQueryString) => {
          const result = await handler(event(rawPath, rawQueryString), lambdaContext());
          const status = result.statusCode ?? 0;
          const single = /^\/contracts\/[^/]+/.test(rawPath);
          expect(single ? [200, 400, 404] : [200, 400], `${rawPath}?${rawQueryString}`).toContain(status);
          if (status === 400) expect(JSON.parse(result.body ?? '{}').message).toEqual(expect.any(String));
        },
      ),
      { numRuns: 500 },
    );
  }, 120_000);
});

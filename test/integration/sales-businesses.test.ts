import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSalesHandler } from '../../functions/sales/create-handler.js';
import { businessHtml, overAllocatedHtml } from '../../functions/sales/views.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import {
  type BusinessDetail,
  type ContractDetail,
  createSalesReader,
  type OverAllocatedList,
} from '../../lib/adapters/dynamodb/sales-reader.js';
import type { StoredContract } from '../../lib/domain/contract/model.js';
import {
  addOtherChannelLicense,
  type CreditsDeps,
  setServiceAllocation,
} from '../../lib/domain/credits/use-cases.js';
import {
  activatedContract,
  CREDITS_PRODUCT,
  creation,
  creditsCatalog,
  creditsChange,
  registerBusiness,
} from '../support/credits.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const DAY = 86_400_000;
const T0 = new Date('2026-04-01T10:00:00.000Z');
let now = T0;
let table: TestTable;
let handler: ReturnType<typeof createSalesHandler>;
let seq = 0;

/** A business id as the setup makes it: `biz-` and 20 base64url characters. */
const businessIdOf = (n: number) => `biz-${String(n).padStart(20, 'x')}`;

function deps(): CreditsDeps {
  return {
    catalog: creditsCatalog,
    ledgers: createLedgerStore({ client: table.client, tableName: table.tableName }),
    businesses: createBusinessDirectory({ client: table.client, tableName: table.tableName }),
    notices: { overAllocated: async () => undefined },
    clock: { now: () => now },
  };
}
const contracts = () => createContractStore({ client: table.client, tableName: table.tableName });

/** A registered business holding one activated contract of `credits` credits ending in `days` days. */
async function businessWith(
  credits: number,
  days = 365,
): Promise<{ businessId: string; stored: StoredContract }> {
  const businessId = businessIdOf(++seq);
  await registerBusiness(table, businessId);
  const stored = activatedContract(
    `l-${seq}sales`,
    credits,
    new Date(now.getTime() + days * DAY),
    now,
    businessId,
  );
  await contracts().save(creation(stored));
  return { businessId, stored };
}

function event(
  path: string,
  query: Record<string, string> = {},
  accept = 'application/json',
  method = 'GET',
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
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
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
    body: result.body ?? '',
  };
}

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  handler = createSalesHandler({
    reader: createSalesReader({ client: table.client, tableName: table.tableName }),
    catalog: creditsCatalog,
    clock: { now: () => now },
    logger: new Logger({ serviceName: 'sales', logLevel: 'SILENT' }),
  });
});
afterAll(async () => {
  await table.drop();
});

describe('sales view of businesses', () => {
  it('shows a business with its totals, licenses with their items and allocations', async () => {
    // Arrange: a contract of 100 credits, a direct license of 40, one service enabled.
    now = T0;
    const { businessId, stored } = await businessWith(100);
    await addOtherChannelLicense(deps(), businessId, {
      reference: `deal-${seq}`,
      productCode: CREDITS_PRODUCT,
      credits: 40,
      expiresAt: new Date(now.getTime() + 30 * DAY).toISOString(),
      description: 'Partner deal',
    });
    await setServiceAllocation(deps(), businessId, 'endpoint-security', 10);

    // Act
    table.resetCalls();
    const response = await get(`/businesses/${businessId}`);
    const calls = Object.fromEntries(table.calls);

    // Assert: the business, its ledger and one Query of its partition, all at once.
    expect(calls).toEqual({ GetItemCommand: 2, QueryCommand: 1 });
    expect(response.status).toBe(200);
    const detail = JSON.parse(response.body) as BusinessDetail;
    expect(detail.business).toMatchObject({
      businessId,
      name: `Business ${businessId}`,
      country: 'DE',
      dataCenterRegion: 'eu',
      timeZone: 'Europe/Berlin',
      primaryEmail: `${businessId}@example.com`,
    });
    expect(detail.usage).toMatchObject({
      total: 140,
      allocated: 30,
      balance: 110,
      overAllocatedBy: 0,
      expiringCredits: 40,
    });
    expect(detail.usage.distribution).toEqual([
      expect.objectContaining({ service: 'endpoint-security', units: 10, credits: 30, share: 1 }),
    ]);
    expect(detail.licenses.map((l) => [l.licenseId, l.origin, l.credits, l.items.length])).toEqual([
      [`direct~deal-${seq}`, 'other-channel', 40, 1],
      [stored.contract.contractId, 'marketplace', 100, 1],
    ]);
    const html = await get(`/businesses/${businessId}`, {}, 'text/html');
    expect(html.type).toContain('text/html');
    expect(html.body).toContain('Partner deal');
    expect(html.body).toContain('endpoint-security');
    // One business is not a list: CSV is refused, not an empty 200.
    expect((await get(`/businesses/${businessId}`, { format: 'csv' })).status).toBe(400);
  });

  it('shows a registered business without any license as zero credits, not an error', async () => {
    const businessId = businessIdOf(++seq);
    await registerBusiness(table, businessId);
    const detail = JSON.parse((await get(`/businesses/${businessId}`)).body) as BusinessDetail;
    expect(detail.usage).toMatchObject({ total: 0, allocated: 0, balance: 0, overAllocatedBy: 0 });
    expect(detail.licenses).toEqual([]);
  });

  it('answers 404 for an unknown business and 400 for a malformed id, in JSON and never 500', async () => {
    const missing = await get(`/businesses/${businessIdOf(999_999)}`);
    expect(missing.status).toBe(404);
    expect(missing.type).toBe('application/json');
    expect(JSON.parse(missing.body).message).toMatch(/No business/);
    for (const id of [
      'biz-short',
      `biz-${'a'.repeat(21)}`,
      `biz-${'a'.repeat(5000)}`,
      `BIZ-${'a'.repeat(20)}`,
      `biz-${'a'.repeat(19)}%2F`,
      '%E0%A4%A',
      'BUSINESS%23x',
      `biz-${'a'.repeat(19)}.`,
    ]) {
      const response = await get(`/businesses/${id}`);
      expect(response.status, id).toBe(400);
      expect(JSON.parse(response.body).message).toMatch(/Invalid business id/);
    }
  });

  it('lists the over-allocated businesses, flagged by a write or lapsed since, longest first', async () => {
    // Arrange: one over by a sync that lowered its contract, one whose contract lapsed, one fine.
    now = T0;
    const flagged = await businessWith(100);
    await setServiceAllocation(deps(), flagged.businessId, 'svc-000', 80);
    now = new Date(T0.getTime() + DAY);
    await contracts().save(creditsChange(flagged.stored, 30, now));
    const lapsing = await businessWith(10, 2);
    await setServiceAllocation(deps(), lapsing.businessId, 'email-security', 4);
    const fine = await businessWith(50);
    await setServiceAllocation(deps(), fine.businessId, 'svc-001', 50);
    now = new Date(T0.getTime() + 5 * DAY);

    // Act
    const response = await get('/businesses', { overAllocated: 'true' });

    // Assert
    expect(response.status).toBe(200);
    const list = JSON.parse(response.body) as OverAllocatedList;
    expect(list.more).toBe(false);
    expect(list.businesses.map((b) => b.businessId)).toEqual([flagged.businessId, lapsing.businessId]);
    expect(list.businesses[0]).toMatchObject({
      name: `Business ${flagged.businessId}`,
      total: 30,
      allocated: 80,
      balance: -50,
      overAllocatedBy: 50,
      overAllocatedSince: new Date(T0.getTime() + DAY).toISOString(),
    });
    expect(list.businesses[1]).toMatchObject({ total: 0, allocated: 8, overAllocatedBy: 8 });

    const detail = JSON.parse((await get(`/businesses/${flagged.businessId}`)).body) as BusinessDetail;
    expect(detail.usage).toMatchObject({ overAllocatedBy: 50 });

    const csv = await get('/businesses', { overAllocated: 'true', format: 'csv' });
    expect(csv.type).toContain('text/csv');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'businessId,name,primaryEmail,total,allocated,balance,overAllocatedBy,overAllocatedSince',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`${flagged.businessId},Business ${flagged.businessId},`);

    const html = await get('/businesses', { overAllocated: 'true' }, 'text/html');
    expect(html.body).toContain(`href="/businesses/${flagged.businessId}"`);

    const first = JSON.parse((await get('/businesses', { overAllocated: 'true', limit: '1' })).body);
    expect(first.businesses).toHaveLength(1);
    expect(first.more).toBe(true);
  });

  it('refuses a list of every business, unknown parameters and huge values with 400 and what is supported', async () => {
    const all = await get('/businesses');
    expect(all.status).toBe(400);
    expect(JSON.parse(all.body).message).toMatch(/overAllocated=true/);
    const bad: Record<string, string>[] = [
      { overAllocated: 'false' },
      { overAllocated: 'yes' },
      { overAllocated: 'true', limit: '101' },
      { overAllocated: 'true', limit: '1e9' },
      { overAllocated: 'true', limit: '-1' },
      { overAllocated: 'true', cursor: 'abc' },
      { overAllocated: 'true', name: 'x' },
      { overAllocated: 'true', format: 'xml' },
    ];
    for (const query of bad) {
      const response = await get('/businesses', query);
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(JSON.parse(response.body).message).toMatch(/Invalid/);
    }
    const businessId = businessIdOf(1);
    expect((await get(`/businesses/${businessId}`, { verbose: 'true' })).status).toBe(400);
    expect((await get('/contracts', { statuss: 'active' })).status).toBe(400);
    expect((await get('/summary', { x: '1' })).status).toBe(400);
  });

  it('answers any method but GET on the business routes with 405', async () => {
    for (const [method, path] of [
      ['POST', '/businesses'],
      ['PUT', `/businesses/${businessIdOf(1)}`],
      ['DELETE', `/businesses/${businessIdOf(1)}`],
    ] as const) {
      const result = await handler(event(path, {}, 'application/json', method), lambdaContext());
      expect(result.statusCode).toBe(405);
      expect(result.headers?.['content-type']).toBe('application/json');
    }
  });

  it("adds the activating business's credit total and balance to the contract detail", async () => {
    now = T0;
    const { businessId, stored } = await businessWith(200);
    await setServiceAllocation(deps(), businessId, 'email-security', 15);
    const pending = activatedContract(`l-${++seq}pending`, 5, new Date(now.getTime() + 90 * DAY), now);
    await contracts().save(creation(pending));

    const detail = JSON.parse(
      (await get(`/contracts/${encodeURIComponent(stored.contract.contractId)}`)).body,
    ) as ContractDetail;
    const notActivated = JSON.parse(
      (await get(`/contracts/${encodeURIComponent(pending.contract.contractId)}`)).body,
    ) as ContractDetail;
    const html = await get(`/contracts/${encodeURIComponent(stored.contract.contractId)}`, {}, 'text/html');

    expect(detail.business?.businessId).toBe(businessId);
    expect(detail.businessCredits).toEqual({ total: 200, allocated: 30, balance: 170, overAllocatedBy: 0 });
    expect(notActivated.businessCredits).toBeUndefined();
    expect(html.body).toContain('total 200 · allocated 30 · balance 170');
    expect(html.body).toContain(`href="/businesses/${businessId}"`);
  });

  it('escapes every value of the business and over-allocated pages', () => {
    const hostile = '<script>alert(1)</script>';
    const page = businessHtml({
      business: {
        businessId: '"><img src=x onerror=1>',
        name: hostile,
        country: hostile,
        dataCenterRegion: 'eu',
        timeZone: 'UTC',
        primaryEmail: hostile,
        createdAt: '',
      },
      usage: {
        total: 1,
        allocated: 2,
        balance: -1,
        overAllocatedBy: 1,
        overAllocatedSince: hostile,
        distribution: [{ service: hostile, productCode: 'p', units: 1, credits: 2, share: 1, updatedAt: '' }],
        expiringSoon: [],
        expiringCredits: 0,
        horizonDays: 60,
      },
      licenses: [
        {
          licenseId: hostile,
          origin: 'other-channel',
          productCode: 'p',
          status: 'active',
          credits: 1,
          expiresAt: '',
          description: hostile,
          items: [],
        },
      ],
    });
    const list = overAllocatedHtml({
      businesses: [
        {
          businessId: '"><img src=x onerror=1>',
          name: hostile,
          total: 0,
          allocated: 1,
          balance: -1,
          overAllocatedBy: 1,
        },
      ],
      more: false,
      asOf: '',
    });
    for (const out of [page, list]) {
      expect(out).not.toContain('<script>alert');
      expect(out).not.toContain('<img src=x');
      expect(out).toContain('&lt;script&gt;');
    }
  });
});

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLicensesHandler, type LicensesOptions } from '../../functions/licenses/create-handler.js';
import { parseDeploymentConfig } from '../../infra/config.js';
import { createBudgetCounter } from '../../lib/adapters/dynamodb/budgets.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createOrderStore } from '../../lib/adapters/dynamodb/order-store.js';
import { drawCode } from '../../lib/domain/codes/codes.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { activatedContract, CREDITS_PRODUCT, creation, registerBusiness } from '../support/credits.js';
import { lambdaContext } from '../support/lambda-context.js';
import { seededRandom } from '../support/random.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * The license API (functions/licenses) on DynamoDB Local: the documented examples in
 * events/license-api/ run in order against a fresh business and must answer exactly as
 * recorded, and every route refuses hostile input with a clear 4xx and writes nothing.
 */

const EXAMPLES = new URL('../../events/license-api/', import.meta.url);
const NOW = new Date('2026-04-01T10:00:00.000Z');
const BUSINESS = 'biz-example0000000000001';
const cdk = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
const catalog: ProductCatalog = { products: parseDeploymentConfig(cdk.context.stages.dev, 'dev').products };

interface Example {
  readonly title: string;
  readonly request: { method: string; path: string; query?: Record<string, string>; body?: unknown };
  readonly response: { status: number; body: unknown };
}

let table: TestTable;
/** Repeatable Activation Codes, so the recorded examples hold them. */
const codeSource = seededRandom('license-api-activation-codes');
const drawActivationCode = () => drawCode('activation-code', codeSource);
let handle: (event: APIGatewayProxyEventV2) => Promise<{ status: number; body: Record<string, unknown> }>;
let baseOptions: LicensesOptions;

function event(
  method: string,
  path: string,
  options: { query?: Record<string, string>; body?: string; contentType?: string; base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: {
      host: 'licenses.example',
      ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
    },
    ...(rawQueryString ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '123456512334',
      apiId: 'licenses',
      domainName: 'licenses.example',
      domainPrefix: 'licenses',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    ...(options.body !== undefined
      ? { body: options.base64 ? Buffer.from(options.body).toString('base64') : options.body }
      : {}),
    isBase64Encoded: options.base64 ?? false,
  };
}

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  const options: LicensesOptions = {
    catalog,
    ledgers: createLedgerStore({ client: table.client, tableName: table.tableName, drawActivationCode }),
    businesses: createBusinessDirectory({ client: table.client, tableName: table.tableName }),
    notices: { overAllocated: async () => undefined },
    clock: { now: () => NOW },
    logger: new Logger({ serviceName: 'licenses-test', logLevel: 'SILENT' }),
    orders: createOrderStore({ client: table.client, tableName: table.tableName }),
    budgets: createBudgetCounter({ client: table.client, tableName: table.tableName }),
    // Repeatable keys, so the recorded examples hold them.
    random: seededRandom('license-api-examples'),
  };
  baseOptions = options;
  const handler = createLicensesHandler(options);
  handle = async (e) => {
    const result = await handler(e, lambdaContext());
    return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? 'null') };
  };
  await registerBusiness(table, BUSINESS, 'buyer@example.com');
  const stored = activatedContract(
    'l-0example0000000000000000000001',
    1000,
    new Date('2027-04-01T00:00:00.000Z'),
    NOW,
    BUSINESS,
  );
  await createContractStore({ client: table.client, tableName: table.tableName, drawActivationCode }).save(
    creation(stored),
  );
});
afterAll(async () => {
  await table.drop();
});

describe('license API', () => {
  it('answers every documented example in events/license-api exactly as recorded, in order', async () => {
    const files = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      const example = JSON.parse(readFileSync(new URL(file, EXAMPLES), 'utf8')) as Example;
      const { method, path, query, body } = example.request;
      const answer = await handle(
        event(method, path, {
          ...(query ? { query } : {}),
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        }),
      );
      if (process.env.UPDATE_EXAMPLES === '1') {
        writeFileSync(
          new URL(file, EXAMPLES),
          `${JSON.stringify({ ...example, response: { status: answer.status, body: answer.body } }, null, 2)}\n`,
        );
        continue;
      }
      expect({ file, ...answer }).toEqual({ file, ...example.response });
    }
  });

  it('allocates, refuses beyond the balance with how much is available, and gives credits back', async () => {
    // Arrange: a business of its own, 100 credits.
    const id = 'biz-allocations000000001';
    await registerBusiness(table, id);
    await createContractStore({ client: table.client, tableName: table.tableName }).save(
      creation(
        activatedContract('l-0alloc000000000000000000000001', 100, new Date('2027-01-01T00:00:00Z'), NOW, id),
      ),
    );
    const put = (service: string, units: unknown) =>
      handle(event('PUT', `/businesses/${id}/allocations/${service}`, { body: JSON.stringify({ units }) }));

    // Act
    const first = await put('endpoint-security', 30); // 90 credits
    const again = await put('endpoint-security', 30);
    const refused = await put('email-security', 6); // 12 > 10
    const released = await handle(event('DELETE', `/businesses/${id}/allocations/endpoint-security`));

    // Assert
    expect(first).toMatchObject({
      status: 200,
      body: { changed: true, usage: { balance: 10, allocated: 90 } },
    });
    expect(again).toMatchObject({ status: 200, body: { changed: false } });
    expect(refused).toEqual({
      status: 409,
      body: {
        code: 'insufficient-credits',
        message: 'This needs 12 more credits; 10 are available',
        needed: 12,
        available: 10,
      },
    });
    expect(released).toMatchObject({
      status: 200,
      body: { changed: true, usage: { balance: 100, allocated: 0 } },
    });
  });

  it('refuses hostile input on every route with a clear 4xx and a stable code, and writes nothing', async () => {
    const put = (body: string, contentType?: string, base64?: boolean) =>
      event('PUT', `/businesses/${BUSINESS}/allocations/email-security`, {
        body,
        ...(contentType ? { contentType } : {}),
        ...(base64 ? { base64 } : {}),
      });
    const license = (body: Record<string, unknown>) =>
      event('POST', `/businesses/${BUSINESS}/licenses`, {
        body: JSON.stringify({
          reference: 'deal-hostile',
          productCode: CREDITS_PRODUCT,
          credits: 10,
          expiresAt: '2027-01-01T00:00:00Z',
          ...body,
        }),
      });
    const orderLine = {
      productCode: CREDITS_PRODUCT,
      service: 'endpoint-security',
      units: 1,
      expiresAt: '2027-01-01T00:00:00Z',
    };
    const order = (body: Record<string, unknown>) =>
      event('POST', '/orders', {
        body: JSON.stringify({
          orderId: 'SO-hostile',
          company: { name: 'Acme' },
          lines: [orderLine],
          ...body,
        }),
      });
    const lookup = (body: Record<string, unknown>) =>
      event('POST', '/codes/lookup', { body: JSON.stringify(body) });
    const cases: [string, APIGatewayProxyEventV2, number, string][] = [
      ['unknown business', event('GET', '/businesses/biz-doesnotexist00000000'), 404, 'unknown-business'],
      ['malformed business id', event('GET', '/businesses/not-a-business'), 400, 'bad-request'],
      ['business id with a bad escape', event('GET', '/businesses/biz-%E0%A4%A'), 400, 'bad-request'],
      [
        'unknown service',
        event('PUT', `/businesses/${BUSINESS}/allocations/no-such-service`, { body: '{"units":1}' }),
        404,
        'unknown-service',
      ],
      [
        'malformed service id',
        event('PUT', `/businesses/${BUSINESS}/allocations/Bad_Service`, { body: '{"units":1}' }),
        400,
        'bad-request',
      ],
      [
        'a service named like an Object property',
        event('DELETE', `/businesses/${BUSINESS}/allocations/constructor`),
        404,
        'unknown-service',
      ],
      [
        'an estimate with a query',
        event('POST', '/estimate', {
          query: { x: '1' },
          body: '{"lines":[{"service":"email-security","units":1}]}',
        }),
        400,
        'bad-request',
      ],
      ['negative units', put('{"units":-1}'), 400, 'bad-request'],
      ['fractional units', put('{"units":1.5}'), 400, 'bad-request'],
      ['huge units', put('{"units":1000001}'), 400, 'bad-request'],
      ['units as a string', put('{"units":"5"}'), 400, 'bad-request'],
      ['an unknown field', put('{"units":1,"credits":99999}'), 400, 'bad-request'],
      ['malformed JSON', put('{"units":'), 400, 'bad-request'],
      ['JSON nested deep', put(`${'['.repeat(50)}${']'.repeat(50)}`), 400, 'bad-request'],
      ['JSON nested 5,000 deep', put(`${'['.repeat(5000)}${']'.repeat(5000)}`), 400, 'bad-request'],
      [
        'a query on a write',
        event('DELETE', `/businesses/${BUSINESS}/allocations/email-security`, { query: { units: '5' } }),
        400,
        'bad-request',
      ],
      ['an empty path segment', event('GET', '/businesses//usage'), 404, 'not-found'],
      [
        'a form instead of JSON',
        put('units=1', 'application/x-www-form-urlencoded'),
        415,
        'unsupported-media-type',
      ],
      [
        'no body',
        event('PUT', `/businesses/${BUSINESS}/allocations/email-security`),
        415,
        'unsupported-media-type',
      ],
      [
        'an oversized body',
        put(JSON.stringify({ units: 1, pad: 'x'.repeat(20_000) })),
        413,
        'payload-too-large',
      ],
      [
        'an oversized base64 body',
        put(JSON.stringify({ units: 1, pad: 'x'.repeat(20_000) }), undefined, true),
        413,
        'payload-too-large',
      ],
      ['a license with negative credits', license({ credits: -5 }), 400, 'bad-request'],
      ['a license with huge credits', license({ credits: 1e12 }), 400, 'bad-request'],
      ['a license already ended', license({ expiresAt: '2020-01-01T00:00:00Z' }), 400, 'bad-request'],
      ['a license date without a zone', license({ expiresAt: '2027-01-01T00:00:00' }), 400, 'bad-request'],
      ['a license dated 30 February', license({ expiresAt: '2031-02-30T00:00:00Z' }), 400, 'bad-request'],
      ['a license dated at hour 24', license({ expiresAt: '2031-03-01T24:00:00Z' }), 400, 'bad-request'],
      ['a license of an unknown product', license({ productCode: 'someoneelse' }), 400, 'unknown-product'],
      ['a license reference with spaces', license({ reference: 'a b' }), 400, 'bad-request'],
      [
        'a license description with hidden characters',
        license({ description: 'ok\u202etxt' }),
        400,
        'bad-request',
      ],
      ['an estimate of nothing', event('POST', '/estimate', { body: '{"lines":[]}' }), 400, 'bad-request'],
      [
        'an estimate of an unknown service',
        event('POST', '/estimate', { body: '{"lines":[{"service":"nope","units":1}]}' }),
        404,
        'unknown-service',
      ],
      ['a lookup without an email', event('GET', '/businesses'), 400, 'bad-request'],
      [
        'a lookup with extra parameters',
        event('GET', '/businesses', { query: { email: 'a@b.c', x: '1' } }),
        400,
        'bad-request',
      ],
      [
        'a lookup of an unknown email',
        event('GET', '/businesses', { query: { email: 'nobody@example.com' } }),
        404,
        'unknown-business',
      ],
      [
        'a query on a route that takes none',
        event('GET', `/businesses/${BUSINESS}/usage`, { query: { x: '1' } }),
        400,
        'bad-request',
      ],
      // Orders and codes (R11, R12)
      ['an order of no lines', order({ lines: [] }), 400, 'bad-request'],
      [
        'an order of 41 lines',
        order({ lines: Array.from({ length: 41 }, () => orderLine) }),
        400,
        'bad-request',
      ],
      ['an order id with a key separator', order({ orderId: 'SO#1' }), 400, 'bad-request'],
      ['an order id with a tilde', order({ orderId: 'SO~1~2' }), 400, 'bad-request'],
      ['an order id of 65 characters', order({ orderId: 'S'.repeat(65) }), 400, 'bad-request'],
      ['a company with hidden characters', order({ company: { name: 'Acme\u202e' } }), 400, 'bad-request'],
      [
        'a company email with a terminal escape',
        order({ company: { name: 'Acme', email: 'ops\u001b[31m@acme.example' } }),
        400,
        'bad-request',
      ],
      [
        'a company email with a bidi override',
        order({ company: { name: 'Acme', email: 'ops@acme\u202e.example' } }),
        400,
        'bad-request',
      ],
      [
        'a line that starts after the import',
        order({ lines: [{ ...orderLine, startsAt: '2026-12-01T00:00:00Z' }] }),
        400,
        'invalid-order',
      ],
      [
        'a line with both credits and units',
        order({ lines: [{ ...orderLine, credits: 5 }] }),
        400,
        'invalid-order',
      ],
      [
        'a line of an unknown service',
        order({ lines: [{ ...orderLine, service: 'nope' }] }),
        400,
        'invalid-order',
      ],
      [
        'a line of an Object property',
        order({ lines: [{ ...orderLine, service: 'constructor' }] }),
        400,
        'invalid-order',
      ],
      [
        'a line already ended',
        order({ lines: [{ ...orderLine, expiresAt: '2020-01-01T00:00:00Z' }] }),
        400,
        'invalid-order',
      ],
      ['a line of an unknown field', order({ lines: [{ ...orderLine, price: 1 }] }), 400, 'bad-request'],
      ['an unknown order', event('GET', '/orders/SO-unknown'), 404, 'unknown-order'],
      ['an order id with a bad escape', event('GET', '/orders/SO-%E0%A4%A'), 400, 'bad-request'],
      ['an order id with a NUL', event('GET', '/orders/SO-%00'), 400, 'bad-request'],
      [
        'a forged orders cursor',
        event('GET', '/orders', { query: { cursor: 'eyJvIjoiQ09OVFJBQ1QjeCJ9' } }),
        400,
        'bad-request',
      ],
      [
        'an orders list with an unknown state',
        event('GET', '/orders', { query: { state: 'all' } }),
        400,
        'bad-request',
      ],
      ['an orders list of 101', event('GET', '/orders', { query: { limit: '101' } }), 400, 'bad-request'],
      ['a code of 81 characters', lookup({ code: 'P'.repeat(81) }), 400, 'bad-request'],
      ['a code with a wrong check character', lookup({ code: 'PC-1234-5678-9012-3451' }), 400, 'bad-code'],
      ['a code of lookalike characters', lookup({ code: 'РС-1234-5678-9012-3450' }), 400, 'bad-code'],
      [
        'a code lookup with an unknown field',
        lookup({ code: 'PC-1234-5678-9012-3450', business: BUSINESS }),
        400,
        'bad-request',
      ],
      [
        'a code lookup client with spaces',
        lookup({ code: 'PC-1234-5678-9012-3450', client: 'a b' }),
        400,
        'bad-request',
      ],
      ['an unknown route', event('GET', '/admin'), 404, 'not-found'],
      [
        'a wrong method',
        event('POST', `/businesses/${BUSINESS}/usage`, { body: '{}' }),
        405,
        'method-not-allowed',
      ],
    ];
    table.resetCalls();
    for (const [name, e, status, code] of cases) {
      const answer = await handle(e);
      expect({ name, status: answer.status, code: answer.body.code }).toEqual({ name, status, code });
      expect(typeof answer.body.message, name).toBe('string');
    }
    expect(table.writes()).toBe(0);
  });

  it("holds a signed caller to its role's wrong-code budget whatever client ids and session names it uses (R11)", async () => {
    const handler = createLicensesHandler({
      ...baseOptions,
      limits: {
        codeLookups: { limit: 50, windowMs: 600_000 },
        callerCodeLookups: { limit: 4, windowMs: 600_000 },
      },
    });
    const unknownKeys = seededRandom('license-api-unknown-keys');
    const as = (caller: string, client: string) => {
      const e = event('POST', '/codes/lookup', {
        body: JSON.stringify({ code: drawCode('registration-key', unknownKeys), client }),
      });
      const context = e.requestContext as unknown as Record<string, unknown>;
      context.authorizer = { iam: { userArn: caller } };
      return handler(e, lambdaContext());
    };
    // One role, a new session name and a new client id for every guess: still one budget.
    const prober = (i: number) => `arn:aws:sts::123456512334:assumed-role/prober/session-${i}`;

    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => as(prober(i), `client-${i}`)));

    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([404, 404, 404, 404, 429, 429, 429, 429, 429, 429]);
    const limited = answers.find((a) => a.statusCode === 429);
    expect(JSON.parse(limited?.body ?? '{}')).toMatchObject({ code: 'too-many-codes' });
    // Another caller's budget is its own.
    const other = await as('arn:aws:sts::123456512334:assumed-role/product/session', 'client-0');
    expect(other.statusCode).toBe(404);
  });

  it('answers 404 for a Registration Key whose order is gone, not "not registered"', async () => {
    const code = drawCode('registration-key', seededRandom('license-api-orphan-key'));
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...keys.code(code),
          entity: 'code',
          code,
          target: { kind: 'registration-key', orderId: 'SO-gone', lineNo: 1 },
          state: 'valid',
          createdAt: NOW.toISOString(),
        },
      }),
    );
    const answer = await handle(
      event('POST', '/codes/lookup', { body: JSON.stringify({ code, client: 'orphan' }) }),
    );
    expect(answer).toMatchObject({ status: 404, body: { code: 'unknown-order' } });
  });
});

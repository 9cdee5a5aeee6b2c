import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningProxy, startProxy } from '../../cli/sales/proxy.js';
import type { SignedFetch } from '../../cli/sales/signed-fetch.js';
import { createSalesHandler } from '../../functions/sales/create-handler.js';
import { createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');

let table: TestTable;
let proxy: RunningProxy;
/** Each response of the function, as it left the function URL, by path. */
const upstream = new Map<string, Headers>();

/** The function URL's request (payload 2.0) for a GET of `pathAndQuery`. */
function event(pathAndQuery: string, accept: string): APIGatewayProxyEventV2 {
  const url = new URL(pathAndQuery, 'https://sales.example');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: { accept, host: 'sales.example' },
    requestContext: {
      accountId: '123456512334',
      apiId: 'sales',
      domainName: 'sales.example',
      domainPrefix: 'sales',
      http: {
        method: 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
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

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  const handler = createSalesHandler({
    reader: createSalesReader({ client: table.client, tableName: table.tableName }),
    catalog: { products: [{ productCode: 'prodalpha0000000000000001' }] },
    clock: { now: () => NOW },
    logger: new Logger({ serviceName: 'sales', logLevel: 'SILENT' }),
  });
  // The real sales function behind the proxy, in place of the signed call to its URL.
  const signedFetch: SignedFetch = async (path, init) => {
    const result = await handler(event(path, init?.accept ?? '*/*'), lambdaContext());
    const headers = new Headers(
      Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)] as [string, string]),
    );
    upstream.set(path, headers);
    return new Response(result.body ?? '', { status: result.statusCode ?? 200, headers });
  };
  proxy = await startProxy({ signedFetch, port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await proxy?.close();
  await table?.drop();
});

describe('sales proxy', () => {
  it.each([
    ['the HTML view', '/contracts', 'text/html', 200],
    ['a JSON error', '/nowhere', 'application/json', 404],
  ])(
    'passes every security header the function sets through to the browser (%s)',
    async (_, path, accept, status) => {
      const res = await fetch(`${proxy.url}${path}`, { headers: { accept } });
      await res.text();

      expect(res.status).toBe(status);
      const sent = upstream.get(path);
      if (!sent) throw new Error(`the function was not called for ${path}`);
      expect(sent.get('content-security-policy')).toContain("default-src 'none'");
      expect(sent.get('x-content-type-options')).toBe('nosniff');
      for (const [name, value] of sent) {
        // HSTS speaks for the function URL's https host; on the proxy's http origin it is ignored.
        if (name === 'strict-transport-security') expect(res.headers.get(name), name).toBeNull();
        else expect(res.headers.get(name), name).toBe(value);
      }
    },
  );

  it('marks its own plain-text answers nosniff', async () => {
    const res = await fetch(`${proxy.url}/contracts`, { method: 'POST', body: 'x=1' });
    await res.text();

    expect(res.status).toBe(405);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../cli/licenses/main.js';
import {
  createSignedFetch,
  EMPTY_BODY_SHA256,
  SignedFetchConfigError,
} from '../../../cli/sales/signed-fetch.js';
import { sha256Hex } from '../sales-cli/sigv4-reference.js';
import {
  ADDED,
  ALLOCATED,
  type Answer,
  BUSINESS,
  BUSINESS_ID,
  CREDENTIALS,
  ESTIMATE,
  FUNCTION_URL,
  fakeApi,
  LICENSES,
  LOCAL_URL,
  SERVICES,
  type Sent,
  sink,
  USAGE,
} from './fake-api.js';

const NOW = new Date('2026-05-01T10:04:05.000Z');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

/** The API's answer to each route, as the license function gives it. */
function licenseApi(sent: Sent): Answer {
  const path = decodeURIComponent(sent.path);
  if (sent.method === 'GET' && path === '/services') return { body: SERVICES };
  if (sent.method === 'POST' && path === '/estimate') return { body: ESTIMATE };
  if (sent.method === 'GET' && path === '/businesses') return { body: { business: BUSINESS.business } };
  if (sent.method === 'GET' && path === `/businesses/${BUSINESS_ID}`) return { body: BUSINESS };
  if (sent.method === 'GET' && path.endsWith('/licenses')) return { body: LICENSES };
  if (sent.method === 'GET' && path.endsWith('/usage'))
    return { body: { businessId: BUSINESS_ID, usage: USAGE } };
  if (sent.method === 'PUT') return { body: ALLOCATED };
  if (sent.method === 'DELETE') return { body: { changed: true, usage: USAGE } };
  if (sent.method === 'POST') return { status: 201, body: ADDED };
  return { status: 404, body: { code: 'not-found', message: 'No route' } };
}

async function runCli(argv: string[], env: Record<string, string> = { LICENSES_URL: LOCAL_URL }) {
  const api = fakeApi(licenseApi);
  const stdout = sink();
  const stderr = sink();
  const code = await run(argv, {
    stdout,
    stderr,
    fetch: api.fetch,
    credentials: async () => CREDENTIALS,
    env,
  });
  return { code, stdout: stdout.text, stderr: stderr.text, sent: api.sent };
}

describe('licenses CLI requests', () => {
  it.each([
    ['services', ['services'], 'GET', '/services', undefined],
    [
      'estimate',
      ['estimate', 'endpoint-security=50', 'email-security=200'],
      'POST',
      '/estimate',
      {
        lines: [
          { service: 'endpoint-security', units: 50 },
          { service: 'email-security', units: 200 },
        ],
      },
    ],
    ['business', ['business', BUSINESS_ID], 'GET', `/businesses/${BUSINESS_ID}`, undefined],
    ['licenses', ['licenses', BUSINESS_ID], 'GET', `/businesses/${BUSINESS_ID}/licenses`, undefined],
    ['usage', ['usage', BUSINESS_ID], 'GET', `/businesses/${BUSINESS_ID}/usage`, undefined],
    [
      'allocate',
      ['allocate', BUSINESS_ID, 'endpoint-security', '50'],
      'PUT',
      `/businesses/${BUSINESS_ID}/allocations/endpoint-security`,
      { units: 50 },
    ],
    [
      'release',
      ['release', BUSINESS_ID, 'endpoint-security'],
      'DELETE',
      `/businesses/${BUSINESS_ID}/allocations/endpoint-security`,
      undefined,
    ],
    [
      'add-license',
      [
        'add-license',
        BUSINESS_ID,
        '--reference',
        'deal-8',
        '--product',
        'prod-credits',
        '--credits',
        '500',
        '--expires',
        '2027-03-31',
        '--description',
        'Renewal deal',
      ],
      'POST',
      `/businesses/${BUSINESS_ID}/licenses`,
      {
        reference: 'deal-8',
        productCode: 'prod-credits',
        credits: 500,
        expiresAt: '2027-03-31T23:59:59Z',
        description: 'Renewal deal',
      },
    ],
  ] as const)('%s sends a SigV4-signed %s with its body hash', async (_, argv, method, path, body) => {
    // Act
    const { code, stderr, sent } = await runCli([...argv]);

    // Assert
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request?.method).toBe(method);
    expect(request?.path).toBe(path);
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260501\/us-east-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-content-sha256[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request?.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(request?.headers['x-amz-date']).toBe('20260501T100405Z');
    expect(request?.verified).toEqual({ ok: true, accessKeyId: CREDENTIALS.accessKeyId });
    if (body === undefined) {
      expect(request?.body).toBe('');
      expect(request?.headers['x-amz-content-sha256']).toBe(EMPTY_BODY_SHA256);
      expect(request?.headers['content-type']).toBeUndefined();
    } else {
      expect(JSON.parse(request?.body ?? '')).toEqual(body);
      // Function URLs check a signed body by this header: it must be the hash of the bytes sent.
      expect(request?.headers['x-amz-content-sha256']).toBe(sha256Hex(request?.body ?? ''));
      expect(request?.headers['content-type']).toBe('application/json');
      expect(request?.headers.authorization).toContain('content-type');
    }
  });

  it('looks a business up by email, then reads its usage by id', async () => {
    const { code, sent, stdout } = await runCli(['business', '--email', 'Ops+Sales@acme.example']);

    expect(code).toBe(0);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /businesses',
      `GET /businesses/${BUSINESS_ID}`,
    ]);
    expect(sent[0]?.query.get('email')).toBe('Ops+Sales@acme.example');
    expect(sent[0]?.url).toContain('email=Ops%2BSales%40acme.example');
    expect(sent.every((r) => r.verified.ok)).toBe(true);
    expect(stdout).toContain('Acme GmbH');
    expect(stdout).toContain('Balance');
  });

  it('encodes ids and services into one path segment each, and the signature covers them', async () => {
    const { sent } = await runCli(['allocate', 'biz-a/b c', 'svc?x=1', '3']);
    expect(sent[0]?.path).toBe('/businesses/biz-a%2Fb%20c/allocations/svc%3Fx%3D1');
    expect(sent[0]?.query.size).toBe(0);
    expect(sent[0]?.verified.ok).toBe(true);
  });

  it('signs for the region of a function URL host and takes --url over LICENSES_URL', async () => {
    const api = fakeApi(licenseApi, 'eu-west-1');
    const code = await run(['services', '--url', FUNCTION_URL], {
      stdout: sink(),
      stderr: sink(),
      fetch: api.fetch,
      credentials: async () => CREDENTIALS,
      env: { LICENSES_URL: 'https://elsewhere.example' },
    });
    expect(code).toBe(0);
    expect(api.sent[0]?.url).toBe(`${FUNCTION_URL}services`);
    expect(api.sent[0]?.headers.authorization).toContain('/eu-west-1/lambda/aws4_request');
    expect(api.sent[0]?.verified.ok).toBe(true);
  });

  it('makes a signature the reference refuses once the body is changed on the way', async () => {
    const { sent } = await runCli(['allocate', BUSINESS_ID, 'endpoint-security', '50']);
    const [request] = sent;
    if (!request) throw new Error('no request');
    const { verifyRequest, rawTarget } = await import('../sales-cli/sigv4-reference.js');
    const tampered = verifyRequest(
      { method: 'PUT', ...rawTarget(request.url), headers: request.headers, body: '{"units":5000}' },
      () => CREDENTIALS.secretAccessKey,
      { region: 'us-east-1', service: 'lambda' },
    );
    expect(tampered).toEqual({ ok: false, reason: 'x-amz-content-sha256 does not match the body' });
    // Even with a matching hash header, the signature covers the hash.
    const rehashed = verifyRequest(
      {
        method: 'PUT',
        ...rawTarget(request.url),
        headers: { ...request.headers, 'x-amz-content-sha256': sha256Hex('{"units":5000}') },
        body: '{"units":5000}',
      },
      () => CREDENTIALS.secretAccessKey,
      { region: 'us-east-1', service: 'lambda' },
    );
    expect(rehashed.ok).toBe(false);
  });

  it('sends nothing when the arguments are wrong, and says so with exit code 2', async () => {
    const cases: string[][] = [
      ['estimate'],
      ['estimate', 'endpoint-security'],
      ['estimate', 'endpoint-security=-1'],
      ['estimate', 'endpoint-security=1.5'],
      ['business'],
      ['business', BUSINESS_ID, 'extra'],
      ['licenses'],
      ['allocate', BUSINESS_ID, 'endpoint-security'],
      ['allocate', BUSINESS_ID, 'endpoint-security', 'ten'],
      ['release', BUSINESS_ID],
      ['add-license', BUSINESS_ID, '--reference', 'r', '--product', 'p', '--credits', '5'],
      [
        'add-license',
        BUSINESS_ID,
        '--reference',
        'r',
        '--product',
        'p',
        '--credits',
        '0',
        '--expires',
        '2027-01-01',
      ],
      [
        'add-license',
        BUSINESS_ID,
        '--reference',
        'r',
        '--product',
        'p',
        '--credits',
        '5',
        '--expires',
        'next year',
      ],
      [
        'add-license',
        BUSINESS_ID,
        '--reference',
        'r',
        '--product',
        'p',
        '--credits',
        '5',
        '--expires',
        '2027-01-01T10:00',
      ],
      ['services', '--bogus'],
    ];
    for (const argv of cases) {
      const { code, stderr, sent } = await runCli(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toContain('npm run licenses -- help');
      expect(sent).toHaveLength(0);
    }
    const noUrl = await runCli(['services'], {});
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('LICENSES_URL');
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown command: frobnicate');
  });
});

describe('createSignedFetch with bodies', () => {
  it('refuses a body on GET and DELETE', async () => {
    const api = fakeApi(licenseApi);
    const signed = createSignedFetch({
      url: LOCAL_URL,
      credentials: async () => CREDENTIALS,
      fetch: api.fetch,
      env: {},
    });
    await expect(signed('/services', { body: '{}' })).rejects.toThrow(SignedFetchConfigError);
    await expect(signed('/x', { method: 'DELETE', body: '{}' })).rejects.toThrow(SignedFetchConfigError);
    expect(api.sent).toHaveLength(0);
  });

  it('hashes the UTF-8 bytes of the body, not its characters', async () => {
    const api = fakeApi(licenseApi);
    const signed = createSignedFetch({
      url: LOCAL_URL,
      credentials: async () => CREDENTIALS,
      fetch: api.fetch,
      env: {},
    });
    const body = JSON.stringify({ description: 'Müller & Söhne – Ω' });
    await signed('/businesses/x/licenses', { method: 'POST', body });
    expect(api.sent[0]?.headers['x-amz-content-sha256']).toBe(sha256Hex(body));
    expect(api.sent[0]?.verified.ok).toBe(true);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../../cli/sales/main.js';
import {
  type AwsCredentialIdentity,
  createSignedFetch,
  EMPTY_BODY_SHA256,
  regionFromFunctionUrl,
  resolveRegion,
  SignedFetchConfigError,
} from '../../../cli/sales/signed-fetch.js';
import {
  canonicalQuery,
  expectedSignature,
  parseAuthorization,
  type RawRequest,
  rawTarget,
  sha256Hex,
} from './sigv4-reference.js';

const CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const NOW = new Date('2026-05-01T10:04:05.000Z');
const LOCAL_URL = 'http://127.0.0.1:3999';
const FUNCTION_URL = 'https://abcdefghij0123456789klmnopqrstuv.lambda-url.eu-west-1.on.aws/';

const SUMMARY = {
  byStatus: { active: 3, expired: 1 },
  activeCredits: 1500,
  expiring: { days30: 1, days60: 2, days90: 3 },
  asOf: '2026-05-01T10:00:00.000Z',
};

interface Captured {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly method: string;
}

/** A fetch that records the request (with the Host header fetch itself would add) and answers `body`. */
function capturingFetch(body: unknown = SUMMARY) {
  const requests: Captured[] = [];
  const fake = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers: Record<string, string> = { host: new URL(url).host };
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    requests.push({ url, headers, method: init?.method ?? 'GET' });
    return Response.json(body);
  }) as typeof fetch;
  return { fetch: fake, requests };
}

function sink() {
  const out = {
    text: '',
    write(chunk: string) {
      out.text += chunk;
      return true;
    },
  };
  return out;
}

function rawRequest(captured: Captured): RawRequest {
  return { method: captured.method, ...rawTarget(captured.url), headers: captured.headers, body: '' };
}

async function runCaptured(argv: string[], credentials: AwsCredentialIdentity = CREDENTIALS, body?: unknown) {
  const capture = capturingFetch(body);
  const stdout = sink();
  const stderr = sink();
  const code = await run(argv, {
    stdout,
    stderr,
    fetch: capture.fetch,
    credentials: async () => credentials,
    env: {},
  });
  expect(stderr.text).toBe('');
  expect(code).toBe(0);
  expect(capture.requests).toHaveLength(1);
  const [request] = capture.requests;
  if (!request) throw new Error('no request');
  return { request, stdout: stdout.text };
}

function independentSignature(captured: Captured, region: string, secret = CREDENTIALS.secretAccessKey) {
  const auth = parseAuthorization(captured.headers.authorization);
  if (!auth) throw new Error(`unparseable authorization: ${captured.headers.authorization}`);
  return {
    auth,
    expected: expectedSignature(rawRequest(captured), auth.signedHeaders, {
      secretAccessKey: secret,
      region,
      service: 'lambda',
    }),
  };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the independent SigV4 reference', () => {
  // Vectors of the AWS SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case).
  const headers = { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' };
  const scope = { secretAccessKey: CREDENTIALS.secretAccessKey, region: 'us-east-1', service: 'service' };

  it('reproduces the published signatures', () => {
    expect(
      expectedSignature(
        { method: 'GET', rawPath: '/', rawQuery: '', headers },
        ['host', 'x-amz-date'],
        scope,
      ),
    ).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
    expect(
      expectedSignature(
        { method: 'GET', rawPath: '/', rawQuery: 'Param2=value2&Param1=value1', headers },
        ['host', 'x-amz-date'],
        scope,
      ),
    ).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
  });
});

describe('sales CLI request signing', () => {
  it('signs with SigV4 for lambda exactly as the AWS specification computes it', async () => {
    const { request, stdout } = await runCaptured(['summary', '--url', LOCAL_URL]);

    expect(stdout).toContain('Active credits');
    expect(request.method).toBe('GET');
    expect(request.url).toBe(`${LOCAL_URL}/summary`);
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260501\/us-east-1\/lambda\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers['x-amz-date']).toBe('20260501T100405Z');
    expect(request.headers['x-amz-content-sha256']).toBe(sha256Hex(''));
    expect(EMPTY_BODY_SHA256).toBe(sha256Hex(''));
    expect(request.headers['x-amz-security-token']).toBeUndefined();

    const { auth, expected } = independentSignature(request, 'us-east-1');
    expect(auth.signature).toBe(expected);
    // The reference really depends on the key: a different secret gives another signature.
    expect(independentSignature(request, 'us-east-1', 'another-secret').expected).not.toBe(auth.signature);
  });

  it('takes the region from the function URL host and signs that host', async () => {
    const { request } = await runCaptured(['summary', '--url', FUNCTION_URL]);

    expect(request.url).toBe(`${FUNCTION_URL}summary`);
    expect(request.headers.authorization).toContain(
      'Credential=AKIDEXAMPLE/20260501/eu-west-1/lambda/aws4_request',
    );
    const { auth, expected } = independentSignature(request, 'eu-west-1');
    expect(auth.signedHeaders).toContain('host');
    expect(request.headers.host).toBe(new URL(FUNCTION_URL).host);
    expect(auth.signature).toBe(expected);
  });

  it('canonicalises the query (sorted names, strict percent-encoding) in the signature', async () => {
    const { request } = await runCaptured(
      [
        'contracts',
        '--url',
        LOCAL_URL,
        '--status',
        'active',
        '--product',
        'prod*1',
        '--business',
        "Acme & Sons (UK) O'Neil",
        '--expiring-before',
        '2026-12-31',
        '--free-trial',
        '--limit',
        '5',
      ],
      CREDENTIALS,
      { contracts: [] },
    );

    const { rawQuery } = rawTarget(request.url);
    // Sent in the order the options were given, not sorted…
    expect(rawQuery.startsWith('status=active&product=')).toBe(true);
    // …but the canonical form the signature covers is sorted and strictly encoded.
    expect(canonicalQuery(rawQuery)).toBe(
      'business=Acme%20%26%20Sons%20%28UK%29%20O%27Neil&expiringBefore=2026-12-31&freeTrial=true&limit=5&product=prod%2A1&status=active',
    );
    const { auth, expected } = independentSignature(request, 'us-east-1');
    expect(auth.signature).toBe(expected);

    // A signature that ignored the query would not survive a change of one value.
    const tampered = { ...request, url: request.url.replace('limit=5', 'limit=6') };
    expect(independentSignature(tampered, 'us-east-1').expected).not.toBe(auth.signature);
  });

  it('sends a session token as x-amz-security-token and signs it', async () => {
    const { request } = await runCaptured(['summary', '--url', LOCAL_URL], {
      ...CREDENTIALS,
      sessionToken: 'FQoGZXIvYXdzEXAMPLETOKEN//+=',
    });

    expect(request.headers['x-amz-security-token']).toBe('FQoGZXIvYXdzEXAMPLETOKEN//+=');
    const { auth, expected } = independentSignature(request, 'us-east-1');
    expect(auth.signedHeaders).toContain('x-amz-security-token');
    expect(auth.signature).toBe(expected);
  });

  it('encodes a contract id into one path segment and signs the double-encoded canonical path', async () => {
    const { request } = await runCaptured(['contract', 'prod-1~L~l-a/b c', '--url', LOCAL_URL], CREDENTIALS, {
      contract: {
        contractId: 'prod-1~L~l-a/b c',
        productCode: 'prod-1',
        status: 'active',
        activeCredits: 1,
        expiresAt: '2027-01-01T00:00:00.000Z',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
      items: [],
      audit: [],
    });

    expect(rawTarget(request.url).rawPath).toBe('/contracts/prod-1~L~l-a%2Fb%20c');
    const { auth, expected } = independentSignature(request, 'us-east-1');
    expect(auth.signature).toBe(expected);
  });
});

describe('createSignedFetch', () => {
  it('only ever sends to the function URL origin, whatever the path says', async () => {
    const capture = capturingFetch();
    const signedFetch = createSignedFetch({
      url: LOCAL_URL,
      credentials: async () => CREDENTIALS,
      fetch: capture.fetch,
      env: {},
    });
    await signedFetch('//evil.example/contracts?x=1', { accept: 'text/html' });
    expect(capture.requests[0]?.url).toBe(`${LOCAL_URL}/contracts?x=1`);
    expect(capture.requests[0]?.headers.accept).toBe('text/html');
  });

  it('parses the region of a function URL host', () => {
    expect(regionFromFunctionUrl('abc123.lambda-url.ap-southeast-2.on.aws')).toBe('ap-southeast-2');
    expect(regionFromFunctionUrl('example.com')).toBeUndefined();
  });

  it('resolves the region: option, host, AWS_REGION, AWS_DEFAULT_REGION, loopback default, else error', () => {
    const fnUrl = new URL(FUNCTION_URL);
    const other = new URL('https://sales.example.com');
    expect(resolveRegion(fnUrl, 'us-west-2', { AWS_REGION: 'ca-central-1' })).toBe('us-west-2');
    expect(resolveRegion(fnUrl, undefined, { AWS_REGION: 'ca-central-1' })).toBe('eu-west-1');
    expect(resolveRegion(other, undefined, { AWS_REGION: 'ca-central-1' })).toBe('ca-central-1');
    expect(resolveRegion(other, undefined, { AWS_DEFAULT_REGION: 'sa-east-1' })).toBe('sa-east-1');
    expect(resolveRegion(new URL(LOCAL_URL), undefined, {})).toBe('us-east-1');
    expect(() => resolveRegion(other, undefined, {})).toThrow(SignedFetchConfigError);
  });

  it('refuses plain http to anything but loopback', () => {
    expect(() => createSignedFetch({ url: 'http://sales.example.com', region: 'us-east-1' })).toThrow(
      /plain http/,
    );
  });
});

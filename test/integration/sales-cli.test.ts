import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, type ContractRow, run } from '../../cli/sales/main.js';
import type { AwsCredentialIdentity } from '../../cli/sales/signed-fetch.js';
import { type RawRequest, rawTarget, verifyRequest } from '../unit/sales-cli/sigv4-reference.js';

// A fake sales function URL on loopback: it checks every SigV4 signature with the independent
// reference implementation (403 like AWS_IAM when it does not match) and serves canned pages.

const CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const SECRETS = new Map([[CREDENTIALS.accessKeyId, CREDENTIALS.secretAccessKey]]);

function contract(overrides: Partial<ContractRow> & Pick<ContractRow, 'contractId'>): ContractRow {
  return {
    productCode: 'prod-1',
    status: 'active',
    activeCredits: 1000,
    expiresAt: '2027-04-30T23:59:59.000Z',
    createdAt: '2026-01-10T09:00:00.000Z',
    updatedAt: '2026-04-01T09:00:00.000Z',
    ...overrides,
  };
}

const PAGE_1 = [
  contract({
    contractId: 'prod-1~L~l-aaa',
    businessName: 'Acme Ltd',
    customerAWSAccountId: '111122223333',
    freeTrial: false,
  }),
  contract({
    contractId: 'prod-1~L~l-bbb',
    customerAWSAccountId: '444455556666',
    freeTrial: true,
    activeCredits: 50,
  }),
];
const PAGE_2 = [
  contract({
    contractId: 'prod-2~C~cust-ccc',
    productCode: 'prod-2',
    status: 'expired',
    activeCredits: 0,
    businessName: 'Globex',
  }),
];
const CSV_HEADER = 'contractId,productCode,status,activeCredits,expiresAt,businessName\r\n';
const csvOf = (rows: readonly ContractRow[]) =>
  CSV_HEADER +
  rows
    .map((r) =>
      [r.contractId, r.productCode, r.status, r.activeCredits, r.expiresAt, r.businessName ?? ''].join(','),
    )
    .join('\r\n') +
  '\r\n';

const DETAIL = {
  contract: { ...PAGE_1[0], autoRenew: true, licenseArn: 'arn:aws:license-manager::1:license:l-aaa' },
  items: [
    {
      itemNo: 1,
      origin: 'purchase',
      credits: 1000,
      expiresAt: '2027-04-30T23:59:59.000Z',
      state: 'active',
    },
    {
      itemNo: 2,
      origin: 'free-trial',
      credits: 100,
      expiresAt: '2026-02-10T00:00:00.000Z',
      state: 'ended',
      endedAt: '2026-02-10T00:00:00.000Z',
      endReason: 'trial-expired',
    },
  ],
  audit: [
    {
      version: 2,
      at: '2026-04-01T09:00:00.000Z',
      changes: [{ type: 'credits-granted', itemNo: 1, credits: 1000 }],
      trigger: {
        source: 'marketplace',
        type: 'entitlement-updated',
        id: 'evt-2',
        at: '2026-04-01T08:59:00.000Z',
      },
    },
    {
      version: 1,
      at: '2026-01-10T09:00:00.000Z',
      changes: [{ type: 'created' }],
      trigger: { source: 'setup', type: 'activation', id: 'setup-1', at: '2026-01-10T09:00:00.000Z' },
    },
  ],
  business: {
    businessId: 'biz-1',
    name: 'Acme Ltd',
    country: 'GB',
    dataCenterRegion: 'eu-west-2',
    timeZone: 'Europe/London',
    primaryEmail: 'ops@acme.example',
  },
};

const SETUPS_1 = [
  {
    contractId: 'prod-1~L~l-ddd',
    productCode: 'prod-1',
    customerAWSAccountId: '777788889999',
    email: 'buyer@initech.example',
    step: 'email-code',
    createdAt: '2026-04-30T08:00:00.000Z',
    expiresAt: '2026-04-30T12:00:00.000Z',
  },
];
const SETUPS_2 = [
  { ...SETUPS_1[0], contractId: 'prod-1~L~l-eee', email: undefined, step: 'business-details' },
];

const SUMMARY = {
  byStatus: { active: 2, expired: 1 },
  activeCredits: 1050,
  expiring: { days30: 0, days60: 1, days90: 2 },
  asOf: '2026-05-01T10:00:00.000Z',
};

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...extra });
  res.end(JSON.stringify(body));
}

function fakeFunction(received: Received[]): Server {
  return createServer((req, res) => {
    const headers = flatHeaders(req);
    received.push({ method: req.method ?? '', url: req.url ?? '', headers });
    const raw: RawRequest = { method: req.method ?? '', ...rawTarget(req.url ?? '/'), headers, body: '' };
    const verdict = verifyRequest(raw, (key) => SECRETS.get(key), { region: 'us-east-1', service: 'lambda' });
    if (!verdict.ok) return json(res, 403, { message: verdict.reason });
    if (headers['x-amz-security-token'] !== CREDENTIALS.sessionToken) {
      return json(res, 403, { message: 'missing session token' });
    }

    const url = new URL(req.url ?? '/', 'http://fake');
    const format = url.searchParams.get('format');
    const cursor = url.searchParams.get('cursor');

    if (url.pathname === '/contracts') {
      const rows = cursor === 'cursor-2' ? PAGE_2 : PAGE_1;
      const nextCursor = cursor === 'cursor-2' ? undefined : 'cursor-2';
      if (format === 'csv') {
        // No cursor header: the CLI has to ask the JSON of the same page for it.
        res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
        return res.end(csvOf(rows));
      }
      if (headers.accept?.includes('text/html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        const status = url.searchParams.get('status') ?? 'any';
        return res.end(
          `<!doctype html><title>Contracts (${status})</title><table>${rows
            .map((r) => `<tr><td>${r.contractId}</td></tr>`)
            .join('')}</table>`,
        );
      }
      return json(res, 200, { contracts: rows, ...(nextCursor ? { nextCursor } : {}) });
    }
    if (url.pathname.startsWith('/contracts/')) {
      const id = decodeURIComponent(url.pathname.slice('/contracts/'.length));
      return id === DETAIL.contract.contractId
        ? json(res, 200, DETAIL)
        : json(res, 404, { message: `No contract ${id}` });
    }
    if (url.pathname === '/setups') {
      const rows = cursor === 'setup-2' ? SETUPS_2 : SETUPS_1;
      const nextCursor = cursor === 'setup-2' ? '' : 'setup-2';
      if (format === 'csv') {
        res.writeHead(200, { 'content-type': 'text/csv', 'x-next-cursor': nextCursor });
        return res.end(`contractId,step\n${rows.map((r) => `${r.contractId},${r.step}`).join('\n')}\n`);
      }
      return json(res, 200, { setups: rows, ...(nextCursor ? { nextCursor } : {}) });
    }
    if (url.pathname === '/summary') return json(res, 200, SUMMARY);
    return json(res, 404, { message: 'Not found' });
  });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    );
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function sink() {
  const out = {
    text: '',
    listeners: [] as (() => void)[],
    write(chunk: string) {
      out.text += chunk;
      for (const listener of out.listeners) listener();
      return true;
    },
    /** Resolves with the first match of `pattern` once it has been written. */
    waitFor(pattern: RegExp): Promise<RegExpExecArray> {
      return new Promise((resolve) => {
        const check = () => {
          const match = pattern.exec(out.text);
          if (match) resolve(match);
          return match;
        };
        if (!check()) out.listeners.push(() => void check());
      });
    },
  };
  return out;
}

let server: Server;
let functionUrl: string;
const received: Received[] = [];
const stops: (() => Promise<void> | void)[] = [];

async function cli(argv: string[], overrides: Partial<CliIo> = {}) {
  const stdout = sink();
  const stderr = sink();
  const code = await run([...argv, '--url', functionUrl], {
    stdout,
    stderr,
    credentials: async () => CREDENTIALS,
    env: {},
    ...overrides,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

beforeAll(async () => {
  server = fakeFunction(received);
  functionUrl = await listen(server);
});

afterEach(() => {
  received.length = 0;
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await close(server);
});

describe('sales CLI against a function URL', () => {
  it('contracts --all follows nextCursor and prints the rows of both pages', async () => {
    const { code, stdout, stderr } = await cli(['contracts', '--all']);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(
      /^CONTRACT\s+PRODUCT\s+STATUS\s+CREDITS\s+EXPIRES\s+BUSINESS \/ ACCOUNT\s+TRIAL$/,
    );
    expect(stdout).toMatch(
      /prod-1~L~l-aaa\s+prod-1\s+active\s+1,000\s+2027-04-30\s+Acme Ltd \(111122223333\)\s+no/,
    );
    expect(stdout).toMatch(/prod-1~L~l-bbb\s+prod-1\s+active\s+50\s+2027-04-30\s+444455556666\s+yes/);
    expect(stdout).toMatch(/prod-2~C~cust-ccc\s+prod-2\s+expired\s+0\s+2027-04-30\s+Globex/);
    expect(stdout).toContain('3 contracts (2 pages)');
    expect(stdout).not.toContain('--cursor');
    expect(received.map((r) => r.url)).toEqual(['/contracts', '/contracts?cursor=cursor-2']);
  });

  it('contracts without --all prints one page and how to get the next', async () => {
    const { code, stdout } = await cli(['contracts', '--status', 'active', '--limit', '2']);

    expect(code).toBe(0);
    expect(stdout).toContain('prod-1~L~l-bbb');
    expect(stdout).not.toContain('prod-2~C~cust-ccc');
    expect(stdout).toContain('--cursor cursor-2');
    expect(received.map((r) => r.url)).toEqual(['/contracts?status=active&limit=2']);
  });

  it('contracts --csv - writes the CSV of every page with the header once', async () => {
    const { code, stdout, stderr } = await cli(['contracts', '--csv', '-']);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(
      CSV_HEADER + csvOf(PAGE_1).slice(CSV_HEADER.length) + csvOf(PAGE_2).slice(CSV_HEADER.length),
    );
    expect(stdout.split(CSV_HEADER)).toHaveLength(2);
    expect(stdout).toContain('prod-1~L~l-aaa');
    expect(stdout).toContain('prod-2~C~cust-ccc');
    const csvRequests = received.filter((r) => r.url.includes('format=csv'));
    expect(csvRequests).toHaveLength(2);
    expect(csvRequests[0]?.headers.accept).toBe('text/csv');
  });

  it('contracts --csv FILE writes the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sales-cli-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'contracts.csv');

    const { code, stdout } = await cli(['contracts', '--csv', file]);

    expect(code).toBe(0);
    expect(stdout).toContain(`to ${file}`);
    const written = await readFile(file, 'utf8');
    expect(written.startsWith(CSV_HEADER)).toBe(true);
    expect(written.split('\r\n').filter(Boolean)).toHaveLength(4);
  });

  it('setups --csv - follows the x-next-cursor header', async () => {
    const { code, stdout } = await cli(['setups', '--state', 'open', '--csv', '-']);

    expect(code).toBe(0);
    expect(stdout).toBe('contractId,step\nprod-1~L~l-ddd,email-code\nprod-1~L~l-eee,business-details\n');
    expect(received.map((r) => r.url)).toEqual([
      '/setups?state=open&format=csv',
      '/setups?state=open&cursor=setup-2&format=csv',
    ]);
  });

  it('setups --all prints a table of both pages', async () => {
    const { code, stdout } = await cli(['setups', '--all']);

    expect(code).toBe(0);
    expect(stdout).toMatch(
      /prod-1~L~l-ddd\s+prod-1\s+777788889999\s+buyer@initech\.example\s+email-code\s+2026-04-30/,
    );
    expect(stdout).toContain('prod-1~L~l-eee');
    expect(stdout).toContain('2 setups (2 pages)');
  });

  it('contract <id> prints the contract, its business, items and audit trail', async () => {
    const { code, stdout, stderr } = await cli(['contract', 'prod-1~L~l-aaa']);

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(received[0]?.url).toBe('/contracts/prod-1~L~l-aaa');
    expect(stdout).toContain('Contract prod-1~L~l-aaa');
    expect(stdout).toMatch(/Active credits\s+1,000/);
    expect(stdout).toMatch(/Auto-renew\s+yes/);
    expect(stdout).toMatch(/licenseArn\s+arn:aws:license-manager::1:license:l-aaa/);
    expect(stdout).toMatch(/Primary email\s+ops@acme\.example/);
    expect(stdout).toContain('Items (2)');
    expect(stdout).toMatch(/ITEM\s+ORIGIN\s+CREDITS\s+EXPIRES\s+STATE\s+ENDED\s+REASON/);
    expect(stdout).toMatch(/1\s+purchase\s+1,000\s+2027-04-30\s+active/);
    expect(stdout).toMatch(/2\s+free-trial\s+100\s+2026-02-10\s+ended\s+2026-02-10\s+trial-expired/);
    expect(stdout).toContain('Audit trail (2)');
    expect(stdout).toContain('v1  2026-01-10 09:00  setup/activation setup-1');
    expect(stdout).toContain('- credits-granted itemNo=1 credits=1000');
    expect(stdout.indexOf('v1 ')).toBeLessThan(stdout.indexOf('v2 '));
  });

  it('contract <unknown id> exits 1 with the server message', async () => {
    const { code, stderr } = await cli(['contract', 'nope']);

    expect(code).toBe(1);
    expect(stderr).toBe('Error: No contract nope (HTTP 404)\n');
  });

  it('summary prints counts by status, credits and expiries', async () => {
    const { code, stdout } = await cli(['summary']);

    expect(code).toBe(0);
    expect(stdout).toMatch(/active\s+2/);
    expect(stdout).toMatch(/expired\s+1/);
    expect(stdout).toMatch(/total\s+3/);
    expect(stdout).toMatch(/Active credits\s+1,050/);
    expect(stdout).toMatch(/Expiring in 90 days\s+2/);
    expect(stdout).toContain('2026-05-01 10:00');
  });

  it('a 403 from the function exits 1 with its message', async () => {
    const { code, stdout, stderr } = await cli(['summary'], {
      credentials: async () => ({ ...CREDENTIALS, secretAccessKey: 'not-the-secret' }),
    });

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'Error: The request signature we calculated does not match the signature you provided (HTTP 403)\n',
    );
  });

  it('an unreachable function URL exits 1 with a clear message', async () => {
    const closed = createServer();
    const deadUrl = await listen(closed);
    await close(closed);
    const stderr = sink();

    const code = await run(['summary', '--url', deadUrl], {
      stdout: sink(),
      stderr,
      credentials: async () => CREDENTIALS,
      env: {},
    });

    expect(code).toBe(1);
    expect(stderr.text).toContain(`Error: Could not reach ${deadUrl}`);
    expect(stderr.text).toContain('ECONNREFUSED');
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['contracts', '--limit', '500'])).code).toBe(2);
    expect((await cli(['contracts', '--nope'])).code).toBe(2);
    const noUrl = sink();
    expect(await run(['summary'], { stdout: sink(), stderr: noUrl, env: {} })).toBe(2);
    expect(noUrl.text).toContain('SALES_URL');
    expect(received).toHaveLength(0);
  });
});

describe('sales proxy', () => {
  let proxyUrl: string;
  let proxyExit: Promise<number>;
  const proxyStop = new AbortController();
  const proxyErr = sink();

  beforeAll(async () => {
    const stdout = sink();
    proxyExit = run(['proxy', '--port', '0', '--url', functionUrl], {
      stdout,
      stderr: proxyErr,
      credentials: async () => CREDENTIALS,
      env: {},
      signal: proxyStop.signal,
    });
    stops.push(async () => {
      proxyStop.abort();
      await proxyExit;
    });
    const [, url] = (await Promise.race([
      stdout.waitFor(/Sales proxy on (http:\/\/127\.0\.0\.1:\d+)/),
      proxyExit.then((code) => {
        throw new Error(`proxy exited ${code}: ${proxyErr.text}`);
      }),
    ])) as RegExpExecArray;
    proxyUrl = url ?? '';
  });

  it('forwards a browser GET signed and streams back the HTML view', async () => {
    const res = await fetch(`${proxyUrl}/contracts?status=active`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toContain('<title>Contracts (active)</title>');
    expect(html).toContain('<td>prod-1~L~l-aaa</td>');

    expect(received).toHaveLength(1);
    const upstream = received[0];
    expect(upstream?.url).toBe('/contracts?status=active');
    expect(upstream?.headers.accept).toContain('text/html');
    expect(upstream?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
    expect(proxyErr.text).toContain('GET /contracts?status=active → 200');
  });

  it('passes the function status and JSON message through', async () => {
    const res = await fetch(`${proxyUrl}/contracts/unknown`);

    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'No contract unknown' });
  });

  it('refuses POST with 405 without calling the function', async () => {
    const res = await fetch(`${proxyUrl}/contracts`, { method: 'POST', body: 'x=1' });

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    await res.text();
    expect(received).toHaveLength(0);
  });

  it('refuses a request for another Host name (DNS rebinding)', async () => {
    const { port } = new URL(proxyUrl);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/contracts', headers: { host: `evil.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });

    expect(status).toBe(403);
    expect(received).toHaveLength(0);
  });

  it('says clearly when the port is in use', async () => {
    const { port } = new URL(proxyUrl);
    const stderr = sink();

    const code = await run(['proxy', '--port', port, '--url', functionUrl], {
      stdout: sink(),
      stderr,
      credentials: async () => CREDENTIALS,
      env: {},
    });

    expect(code).toBe(1);
    expect(stderr.text).toContain(`Port ${port} on 127.0.0.1 is already in use`);
  });

  it('refuses to listen beyond loopback', async () => {
    const stderr = sink();

    const code = await run(['proxy', '--host', '0.0.0.0', '--port', '0', '--url', functionUrl], {
      stdout: sink(),
      stderr,
      credentials: async () => CREDENTIALS,
      env: {},
    });

    expect(code).toBe(1);
    expect(stderr.text).toContain('only listens on loopback');
  });

  it('stops when its signal is aborted', async () => {
    proxyStop.abort();
    expect(await proxyExit).toBe(0);
    await expect(fetch(`${proxyUrl}/contracts`)).rejects.toThrow();
  });
});

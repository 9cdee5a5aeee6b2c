import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_ORDER_FILE_BYTES, type OrderView, run } from '../../../cli/licenses/main.js';
import { sha256Hex } from '../sales-cli/sigv4-reference.js';
import {
  type Answer,
  BUSINESS_ID,
  CREDENTIALS,
  fakeApi,
  fakeStdin,
  IMPORTED,
  LOCAL_URL,
  ORDER,
  ORDER_INPUT,
  orderNo,
  PARTLY_REGISTERED,
  type Sent,
  sink,
} from './fake-api.js';

const NOW = new Date('2026-05-01T10:04:05.000Z');

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

const dir = mkdtempSync(join(tmpdir(), 'licenses-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file in this test's own temporary directory. */
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

interface RunOptions {
  readonly stdin?: Iterable<string | Uint8Array>;
}

/** Runs one command against an API that answers what `route` says (or `answer` to everything). */
async function runCli(argv: string[], route: Answer | ((sent: Sent) => Answer), options: RunOptions = {}) {
  const api = fakeApi((sent) => (typeof route === 'function' ? route(sent) : route));
  const stdout = sink();
  const stderr = sink();
  const input = options.stdin ? fakeStdin(options.stdin) : undefined;
  const code = await run(argv, {
    stdout,
    stderr,
    fetch: api.fetch,
    credentials: async () => CREDENTIALS,
    env: { LICENSES_URL: LOCAL_URL },
    ...(input ? { stdin: input.stdin } : {}),
  });
  return {
    code,
    stdout: stdout.text,
    stderr: stderr.text,
    sent: api.sent,
    stdinChunksRead: input?.state.read,
  };
}

/** The documented example of a route (events/license-api/NN-*.json): its request and answer. */
function example(name: string): {
  request: { method: string; path: string; query?: Record<string, string>; body?: unknown };
  response: { status: number; body: unknown };
} {
  return JSON.parse(readFileSync(new URL(`../../../events/license-api/${name}`, import.meta.url), 'utf8'));
}

function expectSigned(request: Sent | undefined, body: unknown): void {
  expect(request?.verified).toEqual({ ok: true, accessKeyId: CREDENTIALS.accessKeyId });
  if (body === undefined) {
    expect(request?.body).toBe('');
    expect(request?.headers['content-type']).toBeUndefined();
  } else {
    expect(JSON.parse(request?.body ?? '')).toEqual(body);
    expect(request?.headers['x-amz-content-sha256']).toBe(sha256Hex(request?.body ?? ''));
    expect(request?.headers['content-type']).toBe('application/json');
  }
}

const HOSTILE_NAME = 'Evil\u001b[2J\u001b]0;owned\u0007 Corp\nINJECTED LINE\r\u202eGmbH\u009b';

function expectNoTerminalControls(text: string): void {
  expect(text).not.toContain('\u001b');
  expect(text).not.toContain('\u0007');
  expect(text).not.toContain('\r');
  expect(text).not.toContain('\u202e');
  expect(text).not.toContain('\u009b');
}

describe('import-order', () => {
  it('POSTs the order of a file as it is, and prints each line with its Registration Key', async () => {
    const path = file('order.json', JSON.stringify(ORDER_INPUT, null, 2));

    const { code, stdout, stderr, sent } = await runCli(['import-order', '--file', path], {
      status: 201,
      body: IMPORTED,
    });

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent.map((r) => `${r.method} ${r.path}${r.query.size ? '?' : ''}`)).toEqual(['POST /orders']);
    expectSigned(sent[0], ORDER_INPUT);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Imported order SO-2026-0042');
    expect(stdout).toMatch(/\n {2}Company\s+Example Customer GmbH\n/);
    expect(stdout).toMatch(/\n {2}State\s+open\n/);
    expect(stdout).toMatch(/\n {2}Registered\s+0 of 2 lines\n/);
    const header = lines.findIndex((l) => l.startsWith('LINE'));
    expect(lines.slice(header)).toEqual([
      'LINE  SERVICE            CREDITS  EXPIRES           REGISTRATION KEY',
      '----  -----------------  -------  ----------------  ----------------------',
      '   1  endpoint-security      600  2027-04-01 00:00  PC-2230-3815-4044-5327',
      '   2  cloud-posture          800  2027-04-01 00:00  PC-8690-8121-9272-7070',
      '2 lines, 1,400 credits; any one of these keys registers the whole order.',
    ]);
  });

  it('reads the order from stdin with --file -, in chunks, and says when it changed nothing', async () => {
    const text = JSON.stringify(ORDER_INPUT);
    const bytes = Buffer.from(text, 'utf8');
    const { code, stdout, sent } = await runCli(
      ['import-order', '--file', '-'],
      { body: { created: false, order: PARTLY_REGISTERED } },
      // Bytes and text, split mid-token: the CLI joins them before parsing.
      { stdin: [bytes.subarray(0, 17), text.slice(17, 90), bytes.subarray(90)] },
    );

    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.path).toBe('/orders');
    expectSigned(sent[0], ORDER_INPUT);
    expect(stdout.split('\n')[0]).toBe('Order SO-2026-0042 was already imported: nothing changed');
    expect(stdout).toMatch(/\n {2}State\s+partly-registered\n/);
    expect(stdout).toMatch(/\n {2}Registered\s+1 of 2 lines\n/);
    expect(stdout).toContain('   1  endpoint-security      600  2027-04-01 00:00  PC-2230-3815-4044-5327');
  });

  it('sends the documented example and prints its documented answer with --format json and --json', async () => {
    const { request, response } = example('16-import-order.json');
    for (const flag of [['--format', 'json'], ['--json']]) {
      const { code, stdout, sent } = await runCli(['import-order', '--file', '-', ...flag], response, {
        stdin: [JSON.stringify(request.body)],
      });
      expect(code).toBe(0);
      expect(`${sent[0]?.method} ${sent[0]?.path}`).toBe(`${request.method} ${request.path}`);
      expect(JSON.parse(sent[0]?.body ?? '')).toEqual(request.body);
      expect(JSON.parse(stdout)).toEqual(response.body);
    }
  });

  it.each([
    ['invalid JSON', ['{"orderId": "SO-1", "lines": ['], 'The order on stdin is not valid JSON: '],
    ['an empty input', [''], 'The order on stdin is not valid JSON: '],
    [
      'an array',
      [JSON.stringify([ORDER_INPUT])],
      'must be one JSON object (an order: orderId, company, lines), not an array',
    ],
    ['a string', ['"SO-2026-0042"'], 'not a string'],
    ['null', ['null'], 'not null'],
    ['a number', ['42'], 'not a number'],
    [
      'bytes that are not UTF-8',
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
      'The order on stdin is not UTF-8 text',
    ],
  ])('refuses %s on stdin with exit code 2 and sends nothing', async (_, stdin, message) => {
    const { code, stdout, stderr, sent } = await runCli(
      ['import-order', '--file', '-'],
      { body: IMPORTED },
      { stdin },
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain('Run "npm run licenses -- help" for usage.');
    expect(sent).toHaveLength(0);
  });

  it('keeps what JSON.parse quotes of a hostile file off the terminal', async () => {
    const { code, stderr, sent } = await runCli(
      ['import-order', '--file', '-'],
      { body: IMPORTED },
      {
        stdin: ['\u001b]0;owned\u0007\u001b[2J{'],
      },
    );
    expect(code).toBe(2);
    expect(sent).toHaveLength(0);
    expect(stderr).toContain('is not valid JSON');
    expectNoTerminalControls(stderr);
  });

  it('takes an order of exactly 256 KiB and refuses one byte more, from a file and from stdin', async () => {
    // Padded with whitespace, as a pretty-printed file is: what is sent is the compact JSON.
    const padded = (size: number) => {
      const start = '{"orderId":"SO-1"';
      const end = '}';
      return `${start}${' '.repeat(size - start.length - end.length)}${end}`;
    };
    expect(MAX_ORDER_FILE_BYTES).toBe(256 * 1024);
    const atLimit = padded(MAX_ORDER_FILE_BYTES);
    expect(Buffer.byteLength(atLimit)).toBe(262_144);
    const taken = await runCli(['import-order', '--file', file('at-limit.json', atLimit)], {
      status: 201,
      body: IMPORTED,
    });
    expect(taken.code).toBe(0);
    expect(taken.sent).toHaveLength(1);
    expect(taken.sent[0]?.body).toBe('{"orderId":"SO-1"}');

    const overFile = await runCli(
      ['import-order', '--file', file('over.json', padded(MAX_ORDER_FILE_BYTES + 1))],
      { body: IMPORTED },
    );
    expect(overFile.code).toBe(2);
    expect(overFile.sent).toHaveLength(0);
    expect(overFile.stderr).toMatch(/^The order file .*over\.json is larger than 256 KiB/);

    const overStdin = await runCli(
      ['import-order', '--file', '-'],
      { body: IMPORTED },
      {
        stdin: [padded(MAX_ORDER_FILE_BYTES + 1)],
      },
    );
    expect(overStdin.code).toBe(2);
    expect(overStdin.sent).toHaveLength(0);
    expect(overStdin.stderr).toContain('The order on stdin is larger than 256 KiB');
  });

  it("refuses an order whose compact JSON exceeds the license API's 16 KiB, before a request", async () => {
    const big = JSON.stringify({ orderId: 'SO-1', company: { name: 'x'.repeat(17 * 1024) }, lines: [] });
    const { code, sent, stderr } = await runCli(['import-order', '--file', file('big.json', big)], {
      body: IMPORTED,
    });
    expect(code).toBe(2);
    expect(sent).toHaveLength(0);
    expect(stderr).toMatch(/as compact JSON; the license API takes at most 16,384/);
  });

  it('stops reading an endless stdin at the limit', async () => {
    function* endless() {
      for (;;) yield 'x'.repeat(64 * 1024);
    }
    const { code, stderr, sent, stdinChunksRead } = await runCli(
      ['import-order', '--file', '-'],
      { body: IMPORTED },
      { stdin: endless() },
    );
    expect(code).toBe(2);
    expect(stderr).toContain('larger than 256 KiB');
    expect(sent).toHaveLength(0);
    expect(stdinChunksRead).toBe(5);
  });

  it('refuses a missing --file, a file that is not there or a directory, and a bad --format', async () => {
    const cases: [string[], string][] = [
      [['import-order'], 'Missing --file'],
      [['import-order', '--file', join(dir, 'nope.json')], 'Cannot read the order file'],
      [['import-order', '--file', dir], 'it is a directory'],
      [['import-order', '--file', '-', '--format', 'csv'], '--format must be table or json, not csv'],
      [['import-order', '--file', '-', '--json', '--format', 'table'], 'contradict'],
      [['import-order', 'order.json'], 'Unexpected arguments: order.json'],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr, sent } = await runCli(argv, { body: IMPORTED }, { stdin: ['{}'] });
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr, argv.join(' ')).toContain(message);
      expect(sent).toHaveLength(0);
    }
    const missing = await runCli(['import-order', '--file', join(dir, 'nope.json')], { body: IMPORTED });
    expect(missing.stderr).toMatch(/^Cannot read the order file .*nope\.json: no such file\n/);
  });

  it('prints the documented 409 of the same order id with other content and exits 1', async () => {
    const { request, response } = example('18-order-conflict.json');
    const { code, stdout, stderr, sent } = await runCli(['import-order', '--file', '-'], response, {
      stdin: [JSON.stringify(request.body)],
    });
    expect(sent).toHaveLength(1);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'Error [order-conflict]: Order SO-2026-0042 exists with other content (HTTP 409)\n  orderId: SO-2026-0042\n',
    );
  });

  it('prints each field an invalid order is refused for, sanitized, and exits 1', async () => {
    const { code, stderr } = await runCli(
      ['import-order', '--file', '-'],
      {
        status: 400,
        body: {
          code: 'invalid-order',
          message: 'The order is not valid: lines[0].service: a service of prod\u001b[31m-x',
          fields: {
            'lines[0].service': 'a service of prod\u001b[31m-x',
            'lines[1].expiresAt\n': 'a date in the future\u202e',
          },
        },
      },
      { stdin: [JSON.stringify(ORDER_INPUT)] },
    );
    expect(code).toBe(1);
    expect(stderr).toBe(
      [
        'Error [invalid-order]: The order is not valid: lines[0].service: a service of prod[31m-x (HTTP 400)',
        '  lines[0].service: a service of prod[31m-x',
        '  lines[1].expiresAt : a date in the future',
        '',
      ].join('\n'),
    );
    expectNoTerminalControls(stderr);
  });

  it('keeps a hostile company name on its one line of the output', async () => {
    const hostile = {
      ...ORDER,
      orderId: 'SO-1\u001b[2J\u202e',
      company: { ...ORDER.company, name: HOSTILE_NAME },
    };
    const { code, stdout } = await runCli(
      ['import-order', '--file', '-'],
      { status: 201, body: { created: true, order: hostile } },
      {
        stdin: [JSON.stringify(ORDER_INPUT)],
      },
    );
    expect(code).toBe(0);
    expectNoTerminalControls(stdout);
    expect(stdout.split('\n')[0]).toBe('Imported order SO-1[2J');
    expect(stdout).toMatch(/\n {2}Company\s+Evil\[2J\]0;owned Corp INJECTED LINE GmbH\n/);
    expect(stdout.split('\n').filter((l) => l.startsWith('INJECTED'))).toEqual([]);
  });
});

describe('orders', () => {
  it('GETs /orders with its filters and prints one row per order', async () => {
    const { request, response } = example('20-orders.json');
    const { code, stdout, stderr, sent } = await runCli(
      ['orders', '--state', 'open', '--limit', '10'],
      response,
    );

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(`${sent[0]?.method} ${sent[0]?.path}`).toBe(`${request.method} ${request.path}`);
    expect(Object.fromEntries(sent[0]?.query ?? [])).toEqual(request.query);
    expectSigned(sent[0], undefined);
    expect(stdout.trimEnd().split('\n')).toEqual([
      'ORDER         COMPANY                STATE  REGISTERED  IMPORTED',
      '------------  ---------------------  -----  ----------  ----------------',
      'SO-2026-0042  Example Customer GmbH  open          0/2  2026-04-01 10:00',
      '1 order',
    ]);
  });

  it('sends no query without options, and counts registered lines', async () => {
    const { stdout, sent } = await runCli(['orders'], {
      body: {
        orders: [
          PARTLY_REGISTERED,
          orderNo(7, { state: 'registered', lines: PARTLY_REGISTERED.lines.slice(0, 1) }),
        ],
      },
    });
    expect(sent[0]?.url).toBe(`${LOCAL_URL}/orders`);
    expect(stdout).toMatch(
      /\nSO-2026-0042\s+Example Customer GmbH\s+partly-registered\s+1\/2\s+2026-04-01 10:00\n/,
    );
    expect(stdout).toMatch(/\nSO-2026-0007\s+Customer 7 Ltd\s+registered\s+1\/1\s+2026-04-07 08:30\n/);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('2 orders');
  });

  it('prints a hint with the next cursor without --all, and requests only one page', async () => {
    const { stdout, sent } = await runCli(['orders', '--cursor', 'c1'], {
      body: { orders: [orderNo(3)], nextCursor: 'c2/+=' },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.query.get('cursor')).toBe('c1');
    expect(stdout.trimEnd().split('\n').slice(-2)).toEqual([
      '1 order',
      'More orders: add --all, or continue with --cursor c2/+=',
    ]);
  });

  it('follows nextCursor with --all until the last page, keeping the filters', async () => {
    const pages: Record<string, { orders: OrderView[]; nextCursor?: string }> = {
      first: { orders: [orderNo(9), orderNo(8)], nextCursor: 'page 2/+' },
      'page 2/+': { orders: [], nextCursor: 'p3' },
      p3: { orders: [orderNo(7)] },
    };
    const route = (sent: Sent): Answer => ({ body: pages[sent.query.get('cursor') ?? 'first'] });

    const { code, stdout, sent } = await runCli(
      ['orders', '--all', '--state', 'open', '--limit', '2'],
      route,
    );

    expect(code).toBe(0);
    expect(sent.map((r) => [r.method, r.path, Object.fromEntries(r.query)])).toEqual([
      ['GET', '/orders', { state: 'open', limit: '2' }],
      ['GET', '/orders', { state: 'open', limit: '2', cursor: 'page 2/+' }],
      ['GET', '/orders', { state: 'open', limit: '2', cursor: 'p3' }],
    ]);
    // The cursor is RFC 3986-encoded on the wire, and the signature covers it.
    expect(sent[1]?.url).toBe(`${LOCAL_URL}/orders?state=open&limit=2&cursor=page%202%2F%2B`);
    expect(sent.every((r) => r.verified.ok)).toBe(true);
    const rows = stdout.split('\n').filter((l) => l.startsWith('SO-'));
    expect(rows.map((l) => l.split(' ')[0])).toEqual(['SO-2026-0009', 'SO-2026-0008', 'SO-2026-0007']);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('3 orders (3 pages)');
    expect(stdout).not.toContain('More orders');

    const json = await runCli(['orders', '--all', '--format', 'json'], route);
    expect(JSON.parse(json.stdout)).toEqual({ orders: [orderNo(9), orderNo(8), orderNo(7)] });
  });

  it('stops when the API returns the same cursor twice', async () => {
    // Without the guard this would loop: the fake ends it after ten pages so the test fails instead.
    let pages = 0;
    const { code, stderr, sent } = await runCli(['orders', '--all'], () =>
      ++pages > 10 ? { body: { orders: [] } } : { body: { orders: [orderNo(1)], nextCursor: 'again' } },
    );
    expect(sent).toHaveLength(2);
    expect(code).toBe(1);
    expect(stderr).toBe('Error: The API returned the same cursor twice (again); stopping.\n');
  });

  it('says so when nothing matches, or only this page holds nothing', async () => {
    const none = await runCli(['orders', '--state', 'registered'], { body: { orders: [] } });
    expect(none.stdout).toBe('No registered orders.\n');
    const emptyPage = await runCli(['orders', '--state', 'registered'], {
      body: { orders: [], nextCursor: 'n' },
    });
    expect(emptyPage.stdout).toBe(
      'No orders on this page.\nMore orders: add --all, or continue with --cursor n\n',
    );
  });

  it('prints the page as the API gave it with --format json', async () => {
    const { response } = example('20-orders.json');
    const { stdout } = await runCli(['orders', '--format', 'json'], {
      body: { ...(response.body as object), nextCursor: 'n' },
    });
    expect(JSON.parse(stdout)).toEqual({ ...(response.body as object), nextCursor: 'n' });
  });

  it('keeps a hostile company name and cursor from moving the terminal or breaking rows', async () => {
    const { stdout } = await runCli(['orders'], {
      body: {
        orders: [orderNo(1, { company: { name: HOSTILE_NAME } }), orderNo(2)],
        nextCursor: 'n\u001b[2J\nx',
      },
    });
    expectNoTerminalControls(stdout);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[2]).toMatch(/^SO-2026-0001\s+Evil\[2J\]0;owned Corp INJECTED LINE GmbH\s+open\s+0\/2/);
    expect(lines[3]).toMatch(/^SO-2026-0002\s+Customer 2 Ltd\s+open/);
    expect(lines[5]).toBe('More orders: add --all, or continue with --cursor n[2J x');
  });

  it('refuses a bad --state, --limit or --format before any request', async () => {
    const cases: [string[], string][] = [
      [['orders', '--state', 'closed'], '--state must be open, partly-registered, registered, not closed'],
      [['orders', '--limit', '0'], '--limit must be a whole number from 1 to 100, not 0'],
      [['orders', '--limit', '101'], 'not 101'],
      [['orders', '--limit', '1e1'], 'not 1e1'],
      [['orders', '--cursor', ''], '--cursor must not be empty'],
      [['orders', '--format', 'csv'], '--format must be table or json'],
      [['orders', 'open'], 'Unexpected arguments: open'],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr, sent } = await runCli(argv, { body: { orders: [] } });
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr, argv.join(' ')).toContain(message);
      expect(sent).toHaveLength(0);
    }
  });
});

describe('order', () => {
  it('GETs /orders/{orderId} and prints the order with each line, its key and registration', async () => {
    const { code, stdout, stderr, sent } = await runCli(['order', 'SO-2026-0042'], {
      body: { order: PARTLY_REGISTERED },
    });

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /orders/SO-2026-0042']);
    expect(sent[0]?.query.size).toBe(0);
    expectSigned(sent[0], undefined);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Order SO-2026-0042');
    expect(stdout).toMatch(/\n {2}Company\s+Example Customer GmbH\n/);
    expect(stdout).toMatch(/\n {2}Company email\s+it@customer\.example\n/);
    expect(stdout).toMatch(/\n {2}Country\s+DE\n/);
    expect(stdout).toMatch(/\n {2}State\s+partly-registered\n/);
    expect(stdout).toMatch(/\n {2}Registered\s+1 of 2 lines\n/);
    expect(stdout).toMatch(/\n {2}Imported by\s+arn:aws:sts::123456789012:assumed-role\/Sales\/alice\n/);
    const header = lines.indexOf('Lines (2)');
    expect(lines[header + 1]).toMatch(
      /^LINE\s+PRODUCT\s+SERVICE\s+UNITS\s+CREDITS\s+STARTS\s+EXPIRES\s+REGISTRATION KEY\s+REGISTERED BY\s+REGISTERED AT\s+LICENSE$/,
    );
    expect(lines[header + 3]).toMatch(
      new RegExp(
        `^ {3}1\\s+a1b2c3d4e5credits0example\\s+endpoint-security\\s+200\\s+600\\s+2026-04-01 10:00\\s+2027-04-01 00:00\\s+PC-2230-3815-4044-5327\\s+${BUSINESS_ID}\\s+2026-04-03 09:15\\s+direct~order~SO-2026-0042~1$`,
      ),
    );
    expect(lines[header + 4]).toMatch(
      /^ {3}2\s+a1b2c3d4e5credits0example\s+cloud-posture\s+800\s+2026-04-01 00:00\s+2027-04-01 00:00\s+PC-8690-8121-9272-7070$/,
    );
    expect(lines).toHaveLength(header + 5);
  });

  it('encodes the order id into one path segment, and prints the documented answer with --format json', async () => {
    const { request, response } = example('19-order.json');
    const json = await runCli(['order', 'SO-2026-0042', '--format', 'json'], response);
    expect(json.sent[0]?.path).toBe(request.path);
    expect(JSON.parse(json.stdout)).toEqual(response.body);

    const odd = await runCli(['order', 'SO/1?x=2 #'], { body: { order: ORDER } });
    expect(odd.sent[0]?.path).toBe('/orders/SO%2F1%3Fx%3D2%20%23');
    expect(odd.sent[0]?.query.size).toBe(0);
    expect(odd.sent[0]?.verified.ok).toBe(true);
  });

  it('refuses the ids . and .. before a request: a URL parser would send them to another route', async () => {
    for (const argv of [
      ['order', '..'],
      ['order', '.'],
      ['licenses', '..'],
      ['allocate', '..', 'endpoint-security', '1'],
    ]) {
      const { code, stderr, sent } = await runCli(argv, { body: { order: ORDER } });
      expect(code, argv.join(' ')).toBe(2);
      expect(sent).toHaveLength(0);
      expect(stderr).toMatch(/^Invalid id: \.\.?\n/);
    }
  });

  it('prints an unknown order as the API says and exits 1', async () => {
    const { code, stdout, stderr } = await runCli(['order', 'SO-404'], {
      status: 404,
      body: { code: 'unknown-order', message: 'No order SO-404', orderId: 'SO-404' },
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('Error [unknown-order]: No order SO-404 (HTTP 404)\n  orderId: SO-404\n');
  });

  it('keeps a hostile company name and registrant off the terminal', async () => {
    const hostile: OrderView = {
      ...PARTLY_REGISTERED,
      company: { name: HOSTILE_NAME, email: 'x\u001b[31m@evil.example' },
      lines: PARTLY_REGISTERED.lines.map((l) => ({ ...l, service: `svc\u001b[1A\n${l.service}` })),
    };
    const { stdout } = await runCli(['order', 'SO-2026-0042'], { body: { order: hostile } });
    expectNoTerminalControls(stdout);
    expect(stdout).toMatch(/\n {2}Company\s+Evil\[2J\]0;owned Corp INJECTED LINE GmbH\n/);
    expect(stdout).toMatch(/\n {2}Company email\s+x\[31m@evil\.example\n/);
    const lines = stdout.trimEnd().split('\n');
    const header = lines.indexOf('Lines (2)');
    expect(lines).toHaveLength(header + 5);
    expect(lines[header + 3]).toContain('svc[1A endpoint-security');
  });

  it('refuses a missing or empty order id before any request', async () => {
    for (const argv of [['order'], ['order', ''], ['order', 'a', 'b'], ['order', 'a', '--format', 'yaml']]) {
      const { code, stderr, sent } = await runCli(argv, { body: { order: ORDER } });
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toContain('npm run licenses -- help');
      expect(sent).toHaveLength(0);
    }
  });
});

describe('lookup-code', () => {
  it('POSTs the code with the default client, and prints the license item an Activation Code opens', async () => {
    const { response } = example('21-lookup-activation-code.json');
    const { code, stdout, stderr, sent } = await runCli(
      ['lookup-code', 'PC-67R8-4T84W-0W8Y5-H0D63-A3H5K-XX0X5'],
      response,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /codes/lookup']);
    expectSigned(sent[0], { code: 'PC-67R8-4T84W-0W8Y5-H0D63-A3H5K-XX0X5', client: 'cli' });
    expect(stdout).toBe(
      [
        'Activation Code PC-67R8-4T84W-0W8Y5-H0D63-A3H5K-XX0X5',
        '  License  direct~deal-2026-0042',
        '  Item     1',
        '',
      ].join('\n'),
    );
  });

  it('joins a code typed in groups, takes --client, and prints the order line a Registration Key opens', async () => {
    const { request } = example('21-lookup-activation-code.json');
    const answer = {
      body: {
        code: 'PC-2230-3815-4044-5327',
        kind: 'registration-key',
        orderId: 'SO-2026-0042',
        lineNo: 1,
        registered: true,
        businessId: BUSINESS_ID,
      },
    };
    const { code, stdout, sent } = await runCli(
      ['lookup-code', 'pc67r8', '4t84w', '0w8y5', 'h0d63', 'a3h5k', 'xx0x5', '--client', 'user-42'],
      answer,
    );
    expect(code).toBe(0);
    expect(JSON.parse(sent[0]?.body ?? '')).toEqual(request.body);
    expect(stdout).toBe(
      [
        'Registration Key PC-2230-3815-4044-5327',
        '  Order       SO-2026-0042',
        '  Line        1',
        '  Registered  yes',
        `  Business    ${BUSINESS_ID}`,
        '',
      ].join('\n'),
    );
    const open = await runCli(['lookup-code', 'PC-2230-3815-4044-5327'], {
      body: { ...answer.body, registered: false, businessId: undefined },
    });
    expect(open.stdout).toContain('  Registered  no\n');
    expect(open.stdout).not.toContain('Business');
    const json = await runCli(['lookup-code', 'PC-2230-3815-4044-5327', '--json'], answer);
    expect(JSON.parse(json.stdout)).toEqual(answer.body);
  });

  it.each([
    [
      'an unknown code (404)',
      { status: 404, body: { code: 'unknown-code', message: 'No order or license has this code' } },
      'Error [unknown-code]: No order or license has this code (HTTP 404)\n',
    ],
    [
      'too many unknown codes (429), with when to try again',
      {
        status: 429,
        body: {
          code: 'too-many-codes',
          message: 'Too many codes that do not exist were tried; wait before trying again',
          retryAfterSeconds: 540,
        },
      },
      'Error [too-many-codes]: Too many codes that do not exist were tried; wait before trying again (HTTP 429)\n  retryAfterSeconds: 540\n  Try again in 9 minutes.\n',
    ],
    [
      'a wait of seconds',
      { status: 429, body: { code: 'too-many-codes', message: 'Wait', retryAfterSeconds: 42 } },
      'Error [too-many-codes]: Wait (HTTP 429)\n  retryAfterSeconds: 42\n  Try again in 42 seconds.\n',
    ],
    [
      'a mistyped code (400), as documented',
      example('22-lookup-mistyped-code.json').response,
      'Error [bad-code]: This is not a valid code: check it for a typo (HTTP 400)\n  reason: checksum\n',
    ],
    [
      'a replaced code (410)',
      { status: 410, body: { code: 'code-replaced', message: 'This code was replaced\u001b[2J' } },
      'Error [code-replaced]: This code was replaced[2J (HTTP 410)\n',
    ],
  ])('prints %s and exits 1', async (_, answer, expected) => {
    const { code, stdout, stderr, sent } = await runCli(['lookup-code', 'PC-1234-5678-9012-3451'], answer);
    expect(sent).toHaveLength(1);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(expected);
  });

  it('refuses a missing code or a bad --client before any request', async () => {
    const cases: [string[], string][] = [
      [['lookup-code'], 'Which code?'],
      [['lookup-code', ' '], 'Which code?'],
      [
        ['lookup-code', 'PC-1', '--client', 'has space'],
        '--client must be 1 to 100 visible ASCII characters',
      ],
      [['lookup-code', 'PC-1', '--client', ''], '--client must be'],
      [['lookup-code', 'PC-1', '--client', 'x'.repeat(101)], '--client must be'],
    ];
    for (const [argv, message] of cases) {
      const { code, stderr, sent } = await runCli(argv, { body: {} });
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toContain(message);
      expect(sent).toHaveLength(0);
    }
  });
});

describe('usage', () => {
  it('documents the order commands', async () => {
    const { stdout } = await runCli(['help'], { body: {} });
    for (const command of [
      'import-order --file FILE',
      'orders [--state open|partly-registered|registered] [--limit N] [--cursor C] [--all]',
      'order <orderId> [--format table|json]',
      'lookup-code <code> [--client ID]',
    ]) {
      expect(stdout).toContain(command);
    }
  });
});

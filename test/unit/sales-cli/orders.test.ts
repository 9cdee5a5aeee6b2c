import { describe, expect, it } from 'vitest';
import { type OrderDetail, type OrderPage, type OrderRow, run } from '../../../cli/sales/main.js';
import {
  type Answer,
  BUSINESS_ID,
  CREDENTIALS,
  FUNCTION_URL,
  fakeApi,
  LOCAL_URL,
  type Sent,
  sink,
} from '../licenses-cli/fake-api.js';

const OTHER_BUSINESS_ID = 'biz-Zz9yY8xX7wW6vV5uU4tT';

/** An order of two lines, the first registered to BUSINESS_ID (lib/adapters/dynamodb/sales-reader.ts). */
const ORDER: OrderRow = {
  orderId: 'SO-2026-0042',
  company: { name: 'Example Customer GmbH', email: 'it@customer.example', country: 'DE' },
  state: 'partly-registered',
  importedAt: '2026-04-01T10:00:00.000Z',
  importedBy: 'arn:aws:sts::123456789012:assumed-role/Sales/alice',
  updatedAt: '2026-04-03T09:15:00.000Z',
  credits: 1400,
  registeredLines: 1,
  lines: [
    {
      lineNo: 1,
      productCode: 'a1b2c3d4e5credits0example',
      service: 'endpoint-security',
      units: 200,
      credits: 600,
      startsAt: '2026-04-01T10:00:00.000Z',
      expiresAt: '2027-04-01T00:00:00.000Z',
      registrationKey: 'PC-2230-3815-4044-5327',
      registeredBy: BUSINESS_ID,
      registeredAt: '2026-04-03T09:15:00.000Z',
      licenseId: 'direct~order~SO-2026-0042~1',
    },
    {
      lineNo: 2,
      productCode: 'a1b2c3d4e5credits0example',
      service: 'cloud-posture',
      credits: 800,
      startsAt: '2026-04-01T00:00:00.000Z',
      expiresAt: '2027-04-01T00:00:00.000Z',
      registrationKey: 'PC-8690-8121-9272-7070',
    },
  ],
};

/** Another order, for lists: `n` makes its id and company distinct; nothing registered. */
function orderNo(n: number, overrides: Partial<OrderRow> = {}): OrderRow {
  return {
    ...ORDER,
    orderId: `SO-2026-${String(n).padStart(4, '0')}`,
    company: { name: `Customer ${n} Ltd` },
    state: 'open',
    importedAt: `2026-04-${String(n).padStart(2, '0')}T08:30:00.000Z`,
    registeredLines: 0,
    lines: ORDER.lines.map(({ registeredBy, registeredAt, licenseId, ...line }) => line),
    ...overrides,
  };
}

const DETAIL: OrderDetail = {
  order: ORDER,
  history: [
    {
      type: 'order-imported',
      entryId: 'rev-1',
      at: '2026-04-01T10:00:00.000Z',
      by: 'import:arn:aws:sts::123456789012:assumed-role/Sales/alice',
      details: { lines: 2, credits: 1400 },
    },
    {
      type: 'order-registered',
      entryId: 'rev-2',
      at: '2026-04-03T09:15:00.000Z',
      by: `buyer:${BUSINESS_ID}`,
      details: { lineNo: 1, businessId: BUSINESS_ID },
    },
    {
      type: 'code-replaced',
      entryId: 'rev-3',
      at: '2026-04-04T12:30:00.000Z',
      by: 'support:bob',
      ticket: 'SUP-1234',
      reason: 'Reseller lost the key',
      details: { lineNo: 2, replaced: ['PC-0000-0000-0000-0000'] },
    },
  ],
  businesses: [{ businessId: BUSINESS_ID, name: 'Acme GmbH' }],
};

const ORDERS_CSV_HEADER =
  'orderId,company,companyEmail,companyCountry,orderState,importedAt,importedBy,lineNo,productCode,service,units,credits,startsAt,expiresAt,registrationKey,registeredBy,registeredAt,licenseId\r\n';
const CSV_ROW_1 =
  'SO-2026-0042,Example Customer GmbH,it@customer.example,DE,partly-registered,2026-04-01T10:00:00.000Z,,1,a1b2c3d4e5credits0example,endpoint-security,200,600,2026-04-01T10:00:00.000Z,2027-04-01T00:00:00.000Z,PC-2230-3815-4044-5327,biz-Xq3vA1b2C3d4E5f6G7h8,2026-04-03T09:15:00.000Z,direct~order~SO-2026-0042~1\r\n';
const CSV_ROW_2 =
  'SO-2026-0041,"Customer, 41 Ltd",,,open,2026-03-30T08:30:00.000Z,,1,a1b2c3d4e5credits0example,endpoint-security,10,30,2026-03-30T08:30:00.000Z,2027-03-30T00:00:00.000Z,PC-1111-2222-3333-4444,,,\r\n';

function csvAnswer(body: string, nextCursor: string | undefined): Response {
  return new Response(body, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'x-next-cursor': nextCursor ?? '' },
  });
}

/** Runs one command against a sales function URL that answers what `route` says (or `route` to everything). */
async function runSales(
  argv: string[],
  route: Answer | ((sent: Sent) => Answer),
  env: Record<string, string | undefined> = { SALES_URL: LOCAL_URL },
) {
  const api = fakeApi((sent) => (typeof route === 'function' ? route(sent) : route));
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

const query = (sent: Sent | undefined) => Object.fromEntries(sent?.query ?? []);

/** Control (other than newline) and bidi characters in `text`, as code points. */
function unsafeCharacters(text: string): number[] {
  return [...text]
    .map((char) => char.codePointAt(0) ?? 0)
    .filter(
      (code) =>
        (code < 0x20 && code !== 0x0a) ||
        (code >= 0x7f && code <= 0x9f) ||
        (code >= 0x200e && code <= 0x200f) ||
        (code >= 0x202a && code <= 0x202e) ||
        (code >= 0x2066 && code <= 0x2069),
    );
}

describe('sales CLI orders', () => {
  it('lists orders as a table: company, state, registered lines of all, credits, businesses', async () => {
    const page: OrderPage = { orders: [ORDER, orderNo(21)] };
    const { code, stdout, stderr, sent } = await runSales(['orders'], { body: page });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('GET');
    expect(sent[0]?.path).toBe('/orders');
    expect(query(sent[0])).toEqual({});
    expect(sent[0]?.headers.accept).toBe('application/json');
    expect(sent[0]?.verified).toEqual({ ok: true, accessKeyId: CREDENTIALS.accessKeyId });
    const [header, rule, ...rows] = stdout.split('\n');
    expect(header).toMatch(/^ORDER\s+COMPANY\s+STATE\s+REGISTERED\s+CREDITS\s+IMPORTED\s+REGISTERED TO$/);
    expect(rule).toMatch(/^-+( +-+){6}$/);
    expect(rows[0]).toMatch(
      /^SO-2026-0042\s+Example Customer GmbH\s+partly-registered\s+1\/2\s+1,400\s+2026-04-01 10:00\s+biz-Xq3vA1b2C3d4E5f6G7h8$/,
    );
    expect(rows[1]).toMatch(/^SO-2026-0021\s+Customer 21 Ltd\s+open\s+0\/2\s+1,400\s+2026-04-21 08:30$/);
    expect(stdout).toContain('\n2 orders\n');
    expect(stdout).not.toContain('More orders');
  });

  it('names every business an order is registered to, once each', async () => {
    const spread = orderNo(7, {
      state: 'registered',
      registeredLines: 3,
      lines: [
        { ...(ORDER.lines[0] as OrderRow['lines'][number]), lineNo: 1, registeredBy: BUSINESS_ID },
        { ...(ORDER.lines[0] as OrderRow['lines'][number]), lineNo: 2, registeredBy: OTHER_BUSINESS_ID },
        { ...(ORDER.lines[0] as OrderRow['lines'][number]), lineNo: 3, registeredBy: BUSINESS_ID },
      ],
    });
    const { stdout } = await runSales(['orders'], { body: { orders: [spread] } });
    expect(stdout).toMatch(
      /SO-2026-0007\s+Customer 7 Ltd\s+registered\s+3\/3\s+1,400\s+2026-04-07 08:30\s+biz-Xq3vA1b2C3d4E5f6G7h8, biz-Zz9yY8xX7wW6vV5uU4tT\n/,
    );
  });

  it('says when no order matches, and how to get the next page', async () => {
    const none = await runSales(['orders', '--state', 'registered'], { body: { orders: [] } });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('No orders match.\n0 orders\n');
    const more = await runSales(['orders', '--limit', '1'], { body: { orders: [ORDER], nextCursor: 'c-2' } });
    expect(query(more.sent[0])).toEqual({ limit: '1' });
    expect(more.sent).toHaveLength(1);
    expect(more.stdout).toContain('1 order\nMore orders: add --all, or continue with --cursor c-2\n');
  });

  it('passes --state, --limit and --cursor as the query', async () => {
    for (const state of ['open', 'partly-registered', 'registered']) {
      const { code, sent } = await runSales(
        ['orders', '--state', state, '--limit', '25', '--cursor', 'abc=='],
        { body: { orders: [] } },
      );
      expect(code).toBe(0);
      expect(sent[0]?.path).toBe('/orders');
      expect(query(sent[0])).toEqual({ state, limit: '25', cursor: 'abc==' });
      expect(sent[0]?.verified.ok).toBe(true);
    }
  });

  it.each([
    [['orders', '--state', 'closed'], '--state must be open, partly-registered, registered, not closed'],
    [['orders', '--state', 'Open'], '--state must be open, partly-registered, registered, not Open'],
    [['orders', '--state', ''], '--state must be open, partly-registered, registered, not '],
    [['orders', '--limit', '0'], '--limit must be a whole number from 1 to 100, not 0'],
    [['orders', '--limit', '101'], '--limit must be a whole number from 1 to 100, not 101'],
    [['orders', '--format', 'xml'], '--format must be table, json, csv, not xml'],
    [['orders', '--format', 'JSON'], '--format must be table, json, csv, not JSON'],
    [['orders', '--format', 'html'], '--format must be table, json, csv, not html'],
    [['orders', '--status', 'open'], "Unknown option '--status'"],
    [['order', 'SO-1', '--format', 'csv'], '--format must be table, json, not csv'],
    [['order', 'SO-1', '--format', 'yaml'], '--format must be table, json, not yaml'],
    [['order'], 'Which order? Usage: npm run sales -- order <orderId>'],
    [['order', 'SO-1', 'SO-2'], 'Unexpected arguments: SO-2'],
  ])('refuses %j with a usage error and sends nothing', async (argv, message) => {
    const { code, stdout, stderr, sent } = await runSales(argv, { body: { orders: [] } });
    expect(code).toBe(2);
    expect(sent).toHaveLength(0);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain('Run "npm run sales -- help" for usage.');
  });

  it('strips terminal escapes from a refused value it repeats', async () => {
    const { code, stderr, sent } = await runSales(['orders', '--state', 'x\u001b[2J\u001b]0;pwned\u0007'], {
      body: {},
    });
    expect(code).toBe(2);
    expect(sent).toHaveLength(0);
    expect(stderr).not.toContain('\u001b');
    expect(stderr).not.toContain('\u0007');
    expect(stderr).toContain('not x[2J]0;pwned\n');
  });

  it('--all follows nextCursor across pages, keeping the filters', async () => {
    const pages: Record<string, OrderPage> = {
      '': { orders: [orderNo(3)], nextCursor: 'cursor-2' },
      'cursor-2': { orders: [orderNo(2)], nextCursor: 'cursor-3' },
      'cursor-3': { orders: [orderNo(1)] },
    };
    const { code, stdout, sent } = await runSales(
      ['orders', '--all', '--state', 'open', '--limit', '1'],
      (s) => ({ body: pages[s.query.get('cursor') ?? ''] }),
    );
    expect(code).toBe(0);
    expect(sent.map(query)).toEqual([
      { state: 'open', limit: '1' },
      { state: 'open', limit: '1', cursor: 'cursor-2' },
      { state: 'open', limit: '1', cursor: 'cursor-3' },
    ]);
    expect(sent.every((s) => s.path === '/orders' && s.verified.ok)).toBe(true);
    const ids = [...stdout.matchAll(/^SO-2026-\d{4}/gm)].map((m) => m[0]);
    expect(ids).toEqual(['SO-2026-0003', 'SO-2026-0002', 'SO-2026-0001']);
    expect(stdout).toContain('\n3 orders (3 pages)\n');
    expect(stdout).not.toContain('More orders');
  });

  it('--all stops when the server repeats a cursor', async () => {
    const { code, stderr, sent } = await runSales(['orders', '--all'], {
      body: { orders: [ORDER], nextCursor: 'same' },
    });
    expect(code).toBe(1);
    expect(sent).toHaveLength(2);
    expect(stderr).toBe('Error: The server returned the same cursor twice (same); stopping.\n');
  });

  it('--format json prints the page as the API answers it', async () => {
    const page: OrderPage = { orders: [ORDER, orderNo(21)], nextCursor: 'c-2' };
    const { code, stdout, sent } = await runSales(['orders', '--format', 'json', '--state', 'open'], {
      body: page,
    });
    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(query(sent[0])).toEqual({ state: 'open' });
    expect(stdout.endsWith('}\n')).toBe(true);
    expect(JSON.parse(stdout)).toEqual(page);
    expect(stdout).not.toContain('More orders');
  });

  it('--format json --all prints every page as one, without a cursor', async () => {
    const { stdout, sent } = await runSales(['orders', '--format', 'json', '--all'], (s) => ({
      body: s.query.get('cursor') ? { orders: [orderNo(1)] } : { orders: [orderNo(2)], nextCursor: 'c-2' },
    }));
    expect(sent).toHaveLength(2);
    expect(JSON.parse(stdout)).toEqual({ orders: [orderNo(2), orderNo(1)] });
  });

  it("--format csv prints the server's CSV of every page, header once", async () => {
    const { code, stdout, stderr, sent } = await runSales(
      ['orders', '--format', 'csv', '--state', 'open', '--limit', '1'],
      (s) =>
        s.query.get('cursor') === 'c-2'
          ? csvAnswer(ORDERS_CSV_HEADER + CSV_ROW_2, undefined)
          : csvAnswer(ORDERS_CSV_HEADER + CSV_ROW_1, 'c-2'),
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toBe(ORDERS_CSV_HEADER + CSV_ROW_1 + CSV_ROW_2);
    expect(sent.map(query)).toEqual([
      { state: 'open', limit: '1', format: 'csv' },
      { state: 'open', limit: '1', cursor: 'c-2', format: 'csv' },
    ]);
    expect(sent.every((s) => s.path === '/orders' && s.headers.accept === 'text/csv' && s.verified.ok)).toBe(
      true,
    );
  });

  it('--format csv of an empty list is the header alone', async () => {
    const { code, stdout, sent } = await runSales(
      ['orders', '--format', 'csv'],
      csvAnswer(ORDERS_CSV_HEADER, ''),
    );
    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(stdout).toBe(ORDERS_CSV_HEADER);
  });
});

describe('sales CLI order', () => {
  it('shows one order: company, each line with its Registration Key, business name and license, its history', async () => {
    const { code, stdout, stderr, sent } = await runSales(['order', 'SO-2026-0042'], { body: DETAIL });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.path).toBe('/orders/SO-2026-0042');
    expect(query(sent[0])).toEqual({});
    expect(sent[0]?.headers.accept).toBe('application/json');
    expect(sent[0]?.verified).toEqual({ ok: true, accessKeyId: CREDENTIALS.accessKeyId });

    expect(stdout.startsWith('Order SO-2026-0042\n')).toBe(true);
    expect(stdout).toMatch(/\n {2}Company\s+Example Customer GmbH\n/);
    expect(stdout).toMatch(/\n {2}Company email\s+it@customer\.example\n/);
    expect(stdout).toMatch(/\n {2}Country\s+DE\n/);
    expect(stdout).toMatch(/\n {2}State\s+partly-registered\n/);
    expect(stdout).toMatch(/\n {2}Registered\s+1 of 2 lines\n/);
    expect(stdout).toMatch(/\n {2}Credits\s+1,400\n/);
    expect(stdout).toMatch(/\n {2}Registered to\s+Acme GmbH \(biz-Xq3vA1b2C3d4E5f6G7h8\)\n/);
    expect(stdout).toMatch(/\n {2}Imported\s+2026-04-01 10:00\n/);
    expect(stdout).toMatch(/\n {2}Imported by\s+arn:aws:sts::123456789012:assumed-role\/Sales\/alice\n/);
    expect(stdout).toMatch(/\n {2}Updated\s+2026-04-03 09:15\n/);

    expect(stdout).toContain('\n\nLines (2)\n');
    expect(stdout).toMatch(
      /\nLINE\s+PRODUCT\s+SERVICE\s+UNITS\s+CREDITS\s+EXPIRES\s+REGISTRATION KEY\s+STATE\s+BUSINESS\s+REGISTERED\s+LICENSE\n/,
    );
    expect(stdout).toMatch(
      /\n\s*1\s+a1b2c3d4e5credits0example\s+endpoint-security\s+200\s+600\s+2027-04-01\s+PC-2230-3815-4044-5327\s+registered\s+Acme GmbH\s+2026-04-03 09:15\s+direct~order~SO-2026-0042~1\n/,
    );
    expect(stdout).toMatch(
      /\n\s*2\s+a1b2c3d4e5credits0example\s+cloud-posture\s+800\s+2027-04-01\s+PC-8690-8121-9272-7070\s+open\n/,
    );

    const history = stdout.slice(stdout.indexOf('\n\nHistory (3)\n'));
    expect(history).toBe(
      [
        '',
        '',
        'History (3)',
        '  2026-04-01 10:00  order-imported  by import:arn:aws:sts::123456789012:assumed-role/Sales/alice',
        '      lines=2 credits=1400',
        `  2026-04-03 09:15  order-registered  by buyer:${BUSINESS_ID}`,
        `      lineNo=1 businessId=${BUSINESS_ID}`,
        '  2026-04-04 12:30  code-replaced  by support:bob',
        '      lineNo=2 replaced=["PC-0000-0000-0000-0000"]',
        '      ticket SUP-1234: Reseller lost the key',
        '',
      ].join('\n'),
    );
  });

  it('shows the business id of a line whose business the answer does not name', async () => {
    const { stdout } = await runSales(['order', 'SO-2026-0042'], {
      body: { ...DETAIL, businesses: [], history: [] },
    });
    expect(stdout).toMatch(/\n {2}Registered to\s+biz-Xq3vA1b2C3d4E5f6G7h8\n/);
    expect(stdout).toMatch(
      /PC-2230-3815-4044-5327\s+registered\s+biz-Xq3vA1b2C3d4E5f6G7h8\s+2026-04-03 09:15/,
    );
    expect(stdout.endsWith('\n\nHistory (0)\n  none\n')).toBe(true);
  });

  it('--format json prints the answer as is', async () => {
    const { code, stdout } = await runSales(['order', 'SO-2026-0042', '--format', 'json'], { body: DETAIL });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(DETAIL);
  });

  it.each([
    ['SO/1#2', '/orders/SO%2F1%232'],
    ['a?b=c&d', '/orders/a%3Fb%3Dc%26d'],
    ["it's (x)*!", '/orders/it%27s%20%28x%29%2A%21'],
    ['100%', '/orders/100%25'],
    ['a%2Fb', '/orders/a%252Fb'],
  ])('encodes the order id %j as one path segment', async (id, path) => {
    const { code, sent } = await runSales(['order', id], { body: DETAIL });
    expect(code).toBe(0);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.path).toBe(path);
    expect(sent[0]?.url).toBe(`${LOCAL_URL}${path}`);
    expect(query(sent[0])).toEqual({});
    expect(sent[0]?.verified.ok).toBe(true);
  });

  it.each([
    ['order', '..', 'Invalid order id: ..'],
    ['order', '.', 'Invalid order id: .'],
    ['contract', '..', 'Invalid contract id: ..'],
    ['business', '.', 'Invalid business id: .'],
  ])('refuses %s %j, a dot segment the URL would resolve to another route', async (command, id, message) => {
    const { code, stderr, sent } = await runSales([command, id], { body: DETAIL });
    expect(code).toBe(2);
    expect(sent).toHaveLength(0);
    expect(stderr).toBe(`${message}\nRun "npm run sales -- help" for usage.\n`);
  });

  it('sends ids that only contain dots among other characters', async () => {
    const { code, sent } = await runSales(['order', '...'], { body: DETAIL });
    expect(code).toBe(0);
    expect(sent[0]?.path).toBe('/orders/...');
    const traversal = await runSales(['order', '../summary'], { body: DETAIL });
    expect(traversal.sent[0]?.path).toBe('/orders/..%2Fsummary');
  });

  it('prints a 404 clearly and exits non-zero', async () => {
    const { code, stdout, stderr, sent } = await runSales(['order', 'SO-9999'], {
      status: 404,
      body: { message: 'No order SO-9999' },
    });
    expect(sent[0]?.path).toBe('/orders/SO-9999');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('Error: No order SO-9999 (HTTP 404)\n');
  });

  it('prints a refused order id (400) and a failed list (500) the same way', async () => {
    const bad = await runSales(['order', '.hidden'], {
      status: 400,
      body: { message: 'Invalid order id: letters, digits and . _ : - (at most 64)' },
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('Error: Invalid order id: letters, digits and . _ : - (at most 64) (HTTP 400)\n');
    const failed = await runSales(['orders'], new Response('upstream \u001b[31mboom', { status: 500 }));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toBe('Error: upstream [31mboom (HTTP 500)\n');
  });
});

describe('sales CLI orders: text from the order cannot drive the terminal', () => {
  const EVIL = 'Evil\u001b[31m Corp\u001b]8;;http://x.example\u0007\nSecond line\r\u202eReversed\u0000';
  const CLEAN = 'Evil[31m Corp]8;;http://x.example Second line Reversed';

  const evilOrder: OrderRow = {
    ...ORDER,
    orderId: 'SO-EVIL',
    company: { name: EVIL, email: `ops\u001b[2J@x.example`, country: 'D\nE' },
    lines: [
      {
        ...(ORDER.lines[0] as OrderRow['lines'][number]),
        service: `svc\u001b[1m`,
        registeredBy: 'biz-\u001b[5mX',
      },
    ],
  };

  it('sanitizes the company in the list', async () => {
    const { code, stdout } = await runSales(['orders'], { body: { orders: [evilOrder] } });
    expect(code).toBe(0);
    expect(unsafeCharacters(stdout)).toEqual([]);
    const row = stdout.split('\n')[2];
    expect(row).toMatch(
      /^SO-EVIL\s+Evil\[31m Corp\]8;;http:\/\/x\.example Secon…\s+partly-registered\s+1\/1\s+1,400\s+2026-04-01 10:00\s+biz-\[5mX$/,
    );
    expect(stdout.split('\n')).toHaveLength(5);
  });

  it('sanitizes the company, lines and history details of one order', async () => {
    const { code, stdout } = await runSales(['order', 'SO-EVIL'], {
      body: {
        order: evilOrder,
        businesses: [{ businessId: 'biz-\u001b[5mX', name: 'Name\u001b[0m\nInjected' }],
        history: [
          {
            type: 'order-registered',
            entryId: 'rev-1',
            at: '2026-04-03T09:15:00.000Z',
            by: 'buyer:\u001b[32mbiz',
            ticket: 'T-1\u001b[K',
            reason: 'because\nfake: line',
            details: { note: 'detail\u001b[31m red\nFAKE HISTORY ENTRY', nested: { x: '\u001b' } },
          },
        ],
      } satisfies OrderDetail,
    });
    expect(code).toBe(0);
    expect(unsafeCharacters(stdout)).toEqual([]);
    expect(stdout).toMatch(new RegExp(`\\n {2}Company\\s+${CLEAN.replace(/[[\]./]/g, '\\$&')}\\n`));
    expect(stdout).toMatch(/\n {2}Company email\s+ops\[2J@x\.example\n/);
    expect(stdout).toMatch(/\n {2}Country\s+D E\n/);
    expect(stdout).toMatch(/\n {2}Registered to\s+Name\[0m Injected \(biz-\[5mX\)\n/);
    expect(stdout).toMatch(
      /svc\[1m\s+\d+\s+[\d,]+\s+2027-04-01\s+PC-2230-3815-4044-5327\s+registered\s+Name\[0m Injected/,
    );
    expect(stdout).toContain('\n  2026-04-03 09:15  order-registered  by buyer:[32mbiz\n');
    expect(stdout).toContain('\n      note=detail[31m red FAKE HISTORY ENTRY nested={"x":"\\u001b"}\n');
    expect(stdout).toContain('\n      ticket T-1[K: because fake: line\n');
    expect(stdout).not.toMatch(/^FAKE/m);
    expect(stdout).not.toMatch(/^fake: line/m);
  });
});

describe('sales CLI --local', () => {
  it('targets the local stack at LOCAL_PORT_BASE + 2, over SALES_URL', async () => {
    const { code, sent } = await runSales(
      ['orders', '--local'],
      { body: { orders: [] } },
      {
        LOCAL_PORT_BASE: '4000',
        SALES_URL: FUNCTION_URL,
      },
    );
    expect(code).toBe(0);
    expect(sent[0]?.url).toBe('http://127.0.0.1:4002/orders');
    expect(sent[0]?.headers.host).toBe('127.0.0.1:4002');
    expect(sent[0]?.verified.ok).toBe(true);
    const one = await runSales(
      ['order', 'SO-2026-0042', '--local'],
      { body: DETAIL },
      { LOCAL_PORT_BASE: '5100' },
    );
    expect(one.code).toBe(0);
    expect(one.sent[0]?.url).toBe('http://127.0.0.1:5102/orders/SO-2026-0042');
  });

  it('uses port 3002 without LOCAL_PORT_BASE', async () => {
    const { code, sent } = await runSales(
      ['orders', '--local', '--format', 'csv'],
      csvAnswer(ORDERS_CSV_HEADER, ''),
      {},
    );
    expect(code).toBe(0);
    expect(sent[0]?.url).toBe('http://127.0.0.1:3002/orders?format=csv');
  });

  it('refuses --local together with --url', async () => {
    const { code, stderr, sent } = await runSales(
      ['orders', '--local', '--url', LOCAL_URL],
      { body: {} },
      {
        LOCAL_PORT_BASE: '4000',
      },
    );
    expect(code).toBe(2);
    expect(sent).toHaveLength(0);
    expect(stderr).toBe('Give --url or --local, not both\nRun "npm run sales -- help" for usage.\n');
    const order = await runSales(['order', 'SO-1', '--url', LOCAL_URL, '--local'], { body: {} });
    expect(order.code).toBe(2);
    expect(order.sent).toHaveLength(0);
    expect(order.stderr).toContain('Give --url or --local, not both');
  });

  it.each(['abc', '0', '-1', '3000.5', '65526', '70000', ''])(
    'refuses LOCAL_PORT_BASE=%j with a usage error',
    async (base) => {
      const { code, stdout, stderr, sent } = await runSales(
        ['orders', '--local'],
        { body: {} },
        {
          LOCAL_PORT_BASE: base,
        },
      );
      expect(code).toBe(2);
      expect(sent).toHaveLength(0);
      expect(stdout).toBe('');
      expect(stderr).toBe('LOCAL_PORT_BASE must be a port\nRun "npm run sales -- help" for usage.\n');
    },
  );

  it('accepts the highest LOCAL_PORT_BASE that leaves room for every port', async () => {
    const { code, sent } = await runSales(
      ['orders', '--local'],
      { body: { orders: [] } },
      {
        LOCAL_PORT_BASE: '65525',
      },
    );
    expect(code).toBe(0);
    expect(sent[0]?.url).toBe('http://127.0.0.1:65527/orders');
  });

  it('ignores LOCAL_PORT_BASE without --local', async () => {
    const { code, sent } = await runSales(
      ['orders'],
      { body: { orders: [] } },
      {
        LOCAL_PORT_BASE: 'abc',
        SALES_URL: LOCAL_URL,
      },
    );
    expect(code).toBe(0);
    expect(sent[0]?.url).toBe(`${LOCAL_URL}/orders`);
  });
});

import { describe, expect, it } from 'vitest';
import { parseExpiry, run } from '../../../cli/licenses/main.js';
import {
  ADDED,
  ALLOCATED,
  type Answer,
  BUSINESS,
  BUSINESS_ID,
  CREDENTIALS,
  ESTIMATE,
  fakeApi,
  LICENSES,
  LOCAL_URL,
  OVER_USAGE,
  SERVICES,
  sink,
  USAGE,
} from './fake-api.js';

/** Runs one command against an API that answers `answer` to every request. */
async function runWith(argv: string[], answer: Answer | (() => Answer)) {
  const api = fakeApi(() => (typeof answer === 'function' ? answer() : answer));
  const stdout = sink();
  const stderr = sink();
  const code = await run(argv, {
    stdout,
    stderr,
    fetch: api.fetch,
    credentials: async () => CREDENTIALS,
    env: { LICENSES_URL: LOCAL_URL },
  });
  return { code, stdout: stdout.text, stderr: stderr.text, sent: api.sent };
}

describe('licenses CLI output', () => {
  it('renders the services as a table', async () => {
    const { stdout } = await runWith(['services'], { body: SERVICES });
    expect(stdout.split('\n').slice(0, 4)).toEqual([
      'SERVICE            NAME               UNIT      CREDITS/UNIT  PRODUCT',
      '-----------------  -----------------  --------  ------------  ------------',
      'endpoint-security  Endpoint Security  endpoint             3  prod-credits',
      'email-security     Email Security     mailbox              2  prod-credits',
    ]);
  });

  it('renders an estimate with one line per service and the total', async () => {
    const { stdout } = await runWith(['estimate', 'endpoint-security=50', 'email-security=200'], {
      body: ESTIMATE,
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('SERVICE            UNITS  UNIT      CREDITS/UNIT  CREDITS');
    expect(lines[2]).toBe('endpoint-security     50  endpoint             3      150');
    expect(lines.at(-1)).toMatch(/^total\s+550$/);
  });

  it('renders a business with its credits', async () => {
    const { stdout } = await runWith(['business', BUSINESS_ID], { body: BUSINESS });
    expect(stdout).toContain('Business Acme GmbH');
    expect(stdout).toMatch(/Business id\s+biz-Xq3vA1b2C3d4E5f6G7h8/);
    expect(stdout).toMatch(/Primary email\s+ops@acme\.example/);
    expect(stdout).toMatch(/Total\s+1,200/);
    expect(stdout).toMatch(/Balance\s+1,050/);
    expect(stdout).not.toContain('Over-allocated');
  });

  it('renders licenses with their items under each', async () => {
    const { stdout } = await runWith(['licenses', BUSINESS_ID], { body: LICENSES });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^LICENSE\s+ORIGIN\s+STATUS\s+CREDITS\s+EXPIRES\s+DESCRIPTION$/);
    expect(lines[2]).toMatch(
      /^direct~deal-7\s+other-channel\s+active\s+200\s+2026-05-20 23:59\s+Partner deal$/,
    );
    expect(lines[3]).toMatch(/^ {2}#1 other-channel\s+active\s+200/);
    expect(lines[5]).toMatch(/^ {2}#1 purchase\s+ended \(superseded\)\s+800/);
    expect(lines.at(-1)).toBe('2 licenses, 2 counting now: 1,200 credits');
    const none = await runWith(['licenses', BUSINESS_ID], {
      body: { businessId: BUSINESS_ID, licenses: [] },
    });
    expect(none.stdout).toBe(`Business ${BUSINESS_ID} holds no licenses.\n`);
  });

  it('renders usage with allocations, shares and what expires soon', async () => {
    const { stdout } = await runWith(['usage', BUSINESS_ID], {
      body: { businessId: BUSINESS_ID, usage: USAGE },
    });
    expect(stdout).toMatch(/Allocated\s+150/);
    expect(stdout).toMatch(/endpoint-security\s+50\s+150\s+100 %\s+2026-04-02/);
    expect(stdout).toContain('Ending within 60 days');
    expect(stdout).toMatch(/direct~deal-7\s+direct\s+200\s+2026-05-20 23:59/);
  });

  it('says when a business is over-allocated and since when', async () => {
    const { stdout } = await runWith(['usage', BUSINESS_ID], {
      body: { businessId: BUSINESS_ID, usage: OVER_USAGE },
    });
    expect(stdout).toMatch(/Over-allocated by\s+50/);
    expect(stdout).toMatch(/Over-allocated since\s+2026-04-03 09:30/);
    expect(stdout).toContain('can only be lowered');
  });

  it('reports an allocation, a release and an unchanged repeat', async () => {
    const allocated = await runWith(['allocate', BUSINESS_ID, 'endpoint-security', '50'], {
      body: ALLOCATED,
    });
    expect(allocated.stdout.split('\n')[0]).toBe('Allocated  endpoint-security: 50 units, 150 credits');
    const same = await runWith(['allocate', BUSINESS_ID, 'endpoint-security', '50'], {
      body: { ...ALLOCATED, changed: false },
    });
    expect(same.stdout.split('\n')[0]).toBe('Unchanged  endpoint-security: 50 units, 150 credits');
    const released = await runWith(['release', BUSINESS_ID, 'endpoint-security'], {
      body: { changed: true, usage: USAGE },
    });
    expect(released.stdout.split('\n')[0]).toBe('Released  endpoint-security');
    const notEnabled = await runWith(['release', BUSINESS_ID, 'email-security'], {
      body: { changed: false, usage: USAGE },
    });
    expect(notEnabled.stdout.split('\n')[0]).toBe('Unchanged  email-security was not enabled');
  });

  it('reports a license added, and one that was already there', async () => {
    const argv = [
      'add-license',
      BUSINESS_ID,
      '--reference',
      'deal-8',
      '--product',
      'prod-credits',
      '--credits',
      '500',
      '--expires',
      '2027-03-31T23:59:59Z',
    ];
    const added = await runWith(argv, { status: 201, body: ADDED });
    expect(added.stdout.split('\n')[0]).toBe(
      'Added license deal-8: 500 credits of prod-credits until 2027-03-31 23:59',
    );
    expect(added.stdout).toMatch(/Total\s+1,700/);
    const again = await runWith(argv, { body: { ...ADDED, created: false } });
    expect(again.stdout.split('\n')[0]).toBe(
      'Unchanged  license deal-8 was already added (2026-04-02 08:00)',
    );
  });

  it('prints the JSON as it came with --json', async () => {
    const { stdout } = await runWith(['usage', BUSINESS_ID, '--json'], {
      body: { businessId: BUSINESS_ID, usage: USAGE },
    });
    expect(JSON.parse(stdout)).toEqual({ businessId: BUSINESS_ID, usage: USAGE });
    const byEmail = await runWith(['business', '--email', 'ops@acme.example', '--json'], {
      body: { business: BUSINESS.business },
    });
    expect(JSON.parse(byEmail.stdout)).toEqual({ business: BUSINESS.business });
    expect(byEmail.sent).toHaveLength(1);
  });

  it('keeps terminal escapes and bidi overrides from the API out of tables and JSON', async () => {
    const hostile = { ...BUSINESS, business: { ...BUSINESS.business, name: 'Acme\u001b[2J\u202eGmbH' } };
    const table = await runWith(['business', BUSINESS_ID], { body: hostile });
    expect(table.stdout).not.toContain('\u001b');
    expect(table.stdout).not.toContain('\u202e');
    expect(table.stdout).toContain('Business Acme[2JGmbH');
    const json = await runWith(['business', BUSINESS_ID, '--json'], { body: hostile });
    expect(json.stdout).not.toContain('\u001b');
    expect(json.stdout).not.toContain('\u202e');
    expect(JSON.parse(json.stdout).business.name).toBe('Acme\u001b[2J\u202eGmbH');
  });
});

describe('licenses CLI errors', () => {
  it.each([
    [
      'insufficient credits, with what is needed and available',
      {
        status: 409,
        body: {
          code: 'insufficient-credits',
          message: 'This needs 30 more credits; 10 are available',
          needed: 30,
          available: 10,
        },
      },
      'Error [insufficient-credits]: This needs 30 more credits; 10 are available (HTTP 409)\n  needed: 30, available: 10\n',
    ],
    [
      'over-allocated, with by how much',
      {
        status: 409,
        body: { code: 'over-allocated', message: 'The business is over-allocated by 50 credits', overBy: 50 },
      },
      'Error [over-allocated]: The business is over-allocated by 50 credits (HTTP 409)\n  overBy: 50\n',
    ],
    [
      'an unknown business',
      { status: 404, body: { code: 'unknown-business', message: `No business ${BUSINESS_ID}` } },
      `Error [unknown-business]: No business ${BUSINESS_ID} (HTTP 404)\n`,
    ],
    [
      'an internal error, with its request id',
      { status: 500, body: { code: 'internal', message: 'Internal error', requestId: 'req-42' } },
      'Error [internal]: Internal error (HTTP 500)\n  requestId: req-42\n',
    ],
    [
      "the function URL's own IAM refusal",
      { status: 403, body: { Message: 'Forbidden. For troubleshooting Function URL authorization issues…' } },
      'Error: Forbidden. For troubleshooting Function URL authorization issues… (HTTP 403)\n',
    ],
    [
      'a body that is not JSON',
      new Response('<html>Bad gateway</html>', { status: 502 }),
      'Error: <html>Bad gateway</html> (HTTP 502)\n',
    ],
  ] as const)('prints %s and exits 1', async (_, answer, expected) => {
    const { code, stdout, stderr } = await runWith(
      ['allocate', BUSINESS_ID, 'endpoint-security', '10'],
      answer,
    );
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(expected);
  });

  it('keeps control characters of an error message off the terminal', async () => {
    const { stderr } = await runWith(['services'], {
      status: 400,
      body: { code: 'bad-request\u001b[31m', message: 'bad\u001b]0;owned\u0007 input' },
    });
    expect(stderr).not.toContain('\u0007');
    expect(stderr).not.toContain('\u001b');
    expect(stderr).toContain('[bad-request[31m]');
  });

  it('says so when the API cannot be reached', async () => {
    const stderr = sink();
    const code = await run(['services'], {
      stdout: sink(),
      stderr,
      fetch: (async () => {
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        });
      }) as typeof fetch,
      credentials: async () => CREDENTIALS,
      env: { LICENSES_URL: LOCAL_URL },
    });
    expect(code).toBe(1);
    expect(stderr.text).toBe(`Error: Could not reach ${LOCAL_URL}: connect ECONNREFUSED\n`);
  });
});

describe('parseExpiry', () => {
  it('takes a day as its last second in UTC and an instant only with its zone', () => {
    expect(parseExpiry('2027-03-31')).toBe('2027-03-31T23:59:59Z');
    expect(parseExpiry('2027-03-31T12:00:00+02:00')).toBe('2027-03-31T12:00:00+02:00');
    expect(() => parseExpiry('2027-03-31T12:00:00')).toThrow(/instant with its zone/);
    expect(() => parseExpiry('2027-02-30')).toThrow();
    expect(() => parseExpiry('2027-02-30T10:00:00Z')).toThrow();
    expect(() => parseExpiry('2027-03-31T24:00:00Z')).toThrow();
    expect(() => parseExpiry('31/03/2027')).toThrow();
  });
});

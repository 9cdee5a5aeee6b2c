import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolveTarget, run } from '../../../cli/support/main.js';
import type { ReplacementOutcome, TransferOutcome } from '../../../lib/domain/support/model.js';
import {
  type Answer,
  CREDENTIALS,
  FUNCTION_URL,
  fakeApi,
  type Sent,
  sink,
} from '../licenses-cli/fake-api.js';

const NOW = new Date('2026-05-01T10:04:05.000Z');
const A = 'biz-Xq3vA1b2C3d4E5f6G7h8';
const B = 'biz-Yr4wB2c3D4e5F6g7H8i9';
const LICENSE = 'prod-credits~L~l-abc';
const CODE = 'PC-WY1M-CY6E4-30CQP-WVWKE-8QTJH-1NN1M';

const TRANSFERRED: TransferOutcome = {
  transferId: 'sup-abc',
  license: LICENSE,
  kind: 'contract',
  fromBusinessId: A,
  toBusinessId: B,
  credits: 1000,
  at: '2026-05-01T10:04:05.000Z',
  from: { total: 200, allocated: 300, balance: -100, overAllocated: true },
  to: { total: 1000, allocated: 0, balance: 1000, overAllocated: false },
};
const REPLACED: ReplacementOutcome = {
  code: 'PC-WNGX-QYMR6-JMVH9-PJ3QV-B8AX3-Z6E5W',
  replaced: 'PC-WY1M-*****-*****-*****-*****-1NN1M',
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => {
  vi.useRealTimers();
});

function supportApi(sent: Sent): Answer {
  if (sent.method === 'POST' && sent.path === '/transfers') {
    const body = JSON.parse(sent.body) as { toBusinessId: string };
    if (body.toBusinessId === A)
      return {
        status: 409,
        body: { code: 'same-business', message: `License already belongs to business ${A}`, businessId: A },
      };
    return { body: TRANSFERRED };
  }
  if (sent.method === 'POST' && sent.path === '/codes/replace') return { body: REPLACED };
  if (sent.method === 'GET' && sent.path.startsWith('/codes/'))
    return {
      body: {
        record: {
          code: CODE,
          state: 'replaced',
          target: { kind: 'activation-code', licenseId: LICENSE, itemNo: 1 },
          createdAt: '2026-04-01T00:00:00.000Z',
          replacedBy: REPLACED.code,
          replacedAt: '2026-05-01T10:00:00.000Z',
        },
      },
    };
  return { status: 404, body: { code: 'not-found', message: 'No such route' } };
}

async function runCli(argv: string[], env: Record<string, string> = { SUPPORT_URL: FUNCTION_URL }) {
  const api = fakeApi(supportApi, 'eu-west-1');
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

describe('support CLI', () => {
  it('transfers with a signed POST of exactly the fields given, and prints both businesses', async () => {
    const out = await runCli([
      'transfer',
      '--license',
      LICENSE,
      '--to',
      B,
      '--reason',
      'Accounts merged',
      '--ticket',
      'SUP-1',
      '--expect-from',
      A,
    ]);
    expect(out.code).toBe(0);
    expect(out.sent).toHaveLength(1);
    const [sent] = out.sent;
    expect(sent?.verified).toMatchObject({ ok: true });
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      license: LICENSE,
      toBusinessId: B,
      reason: 'Accounts merged',
      ticket: 'SUP-1',
      expectedFromBusinessId: A,
    });
    expect(out.stdout).toContain(`Transferred ${LICENSE} from ${A} to ${B}: 1,000 credits moved`);
    expect(out.stdout).toContain('OVER-ALLOCATED by 100');
    expect(out.stdout).toContain('its primary user was mailed');
  });

  it('replaces a code and prints the new one once', async () => {
    const out = await runCli([
      'replace-code',
      '--code',
      CODE,
      '--reason',
      'Leaked code',
      '--ticket',
      'SUP-2',
    ]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.sent[0]?.body ?? '')).toEqual({
      code: CODE,
      reason: 'Leaked code',
      ticket: 'SUP-2',
    });
    expect(out.stdout).toContain(`New code: ${REPLACED.code}`);
    expect(out.stdout).toContain(`Replaced ${REPLACED.replaced}`);
  });

  it('shows a code with --json as the API gave it', async () => {
    const out = await runCli(['code', '--code', CODE, '--json']);
    expect(out.code).toBe(0);
    expect(out.sent[0]?.path).toBe(`/codes/${CODE}`);
    expect(JSON.parse(out.stdout)).toMatchObject({
      record: { state: 'replaced', replacedBy: REPLACED.code },
    });
    const text = await runCli(['code', '--code', CODE]);
    expect(text.stdout).toContain(`Code ${CODE}: replaced`);
    expect(text.stdout).toContain(REPLACED.code);
  });

  it("prints the API's refusal with its code, exit 1", async () => {
    const out = await runCli([
      'transfer',
      '--license',
      LICENSE,
      '--to',
      A,
      '--reason',
      'Accounts merged',
      '--ticket',
      'SUP-1',
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('Error [same-business]');
    expect(out.stderr).toContain('(HTTP 409)');
  });

  it.each([
    [['transfer', '--to', B, '--reason', 'x', '--ticket', 'T1'], /Missing --license/],
    [['replace-code', '--code', CODE, '--ticket', 'T1'], /Missing --reason/],
    [['code'], /Missing --code/],
    [['code', '--code', CODE, 'extra'], /Unexpected arguments/],
    [['code', '--code', CODE, '--force'], /Unknown option/],
    [['code', '--code', CODE, '--local', '--url', FUNCTION_URL], /--url or --local/],
    [['code', '--code', CODE, '--stage', 'no such'], /--stage must be/],
  ])('refuses %j with a usage error, exit 2, sending nothing', async (argv, message) => {
    const out = await runCli(argv);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.sent).toEqual([]);
  });

  it('says how to find the URL of a stage when none is given', async () => {
    const out = await runCli(['code', '--code', CODE, '--stage', 'dev'], {});
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--stack-name Credits-dev-Compute');
    expect(out.stderr).toContain("OutputKey=='SupportUrl'");
  });
});

describe('resolveTarget', () => {
  it('uses --url, then --local (after the event console, base + 10), then SUPPORT_URL', () => {
    expect(resolveTarget({ url: FUNCTION_URL }, {})).toEqual({ url: FUNCTION_URL });
    expect(resolveTarget({ local: true }, {})).toEqual({ url: 'http://127.0.0.1:3010', region: 'us-east-1' });
    expect(resolveTarget({ local: true }, { LOCAL_PORT_BASE: '4000' }).url).toBe('http://127.0.0.1:4010');
    expect(resolveTarget({}, { SUPPORT_URL: FUNCTION_URL })).toEqual({ url: FUNCTION_URL });
    // The stage's region signs only for a URL that does not say its own; a URL of another region is refused.
    expect(resolveTarget({ stage: 'dev' }, { SUPPORT_URL: 'https://support.vendor.example/' })).toEqual({
      url: 'https://support.vendor.example/',
      region: 'us-east-1',
    });
    expect(() => resolveTarget({ stage: 'dev' }, { SUPPORT_URL: FUNCTION_URL })).toThrow(
      /function URL in eu-west-1, but stage dev deploys to us-east-1/,
    );
  });
});

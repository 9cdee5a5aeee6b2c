import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
// The API's shapes come from the domain the support function serves, so the CLI cannot drift from it.
import type { CodeRecord } from '../../lib/domain/codes/records.js';
import type { LedgerSummary, ReplacementOutcome, TransferOutcome } from '../../lib/domain/support/model.js';
import { DEFAULT_PORT_BASE, portsFrom } from '../../local/stack/ports.js';
import { dispatch, runIfMain } from '../dispatch.js';
import { cell, formatNumber, renderKeyValues, sanitize, shortDateTime } from '../sales/format.js';
import type { CliIo } from '../sales/main.js';
import {
  CredentialsError,
  createSignedFetch,
  encodeRfc3986,
  NetworkError,
  regionFromFunctionUrl,
  type SignedFetch,
  SignedFetchConfigError,
  type SignedMethod,
} from '../sales/signed-fetch.js';

export type { CliIo };

export interface CodeResponse {
  readonly record: CodeRecord;
}

export const USAGE = `Support CLI: the audited support operations through the support function URL
(requests are SigV4-signed with your AWS credentials; the role needs the SupportInvokePolicyArn policy).

Usage: npm run support -- <command> [options]

Commands:
  transfer --license L --to BUSINESS --reason TEXT --ticket T [--expect-from BUSINESS]
      Moves an activated license to another registered business (R3): its credits leave the old
      business's total and join the new one's. L is a contract id or direct~<reference>.
      --expect-from refuses the move if another business holds the license by then.
  replace-code --code CODE --reason TEXT --ticket T
      Invalidates a lost or stolen Activation Code (or the Registration Key of an order line not
      yet registered) and prints its replacement (R11).
  code --code CODE
      What a code opens and whether it is valid or replaced (and by which code).
  help
      This text.

Options for every command:
  --url URL       The support function URL (default: $SUPPORT_URL)
  --local         The local stack's support URL (npm start; http://127.0.0.1:<base + 10>, base
                  $LOCAL_PORT_BASE or ${DEFAULT_PORT_BASE})
  --stage NAME    The cdk.json stage: its region signs the request, and without a URL the CLI
                  says how to read the stage's SupportUrl output
  --json          Print the API's JSON as it came, instead of text.
  -h, --help      This text.

Exit codes: 0 done, 1 the API refused (its code and message are printed) or could not be reached,
2 usage error. Reason: 5-500 characters saying why; ticket: the support ticket it answers
(SUP-1234). Both are kept in the audit trail with your IAM identity.
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A non-2xx answer of the support API: `{ code, message, ...details }`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

interface Context {
  readonly io: CliIo;
  readonly fetch: SignedFetch;
  readonly json: boolean;
}

const COMMON_OPTIONS = {
  url: { type: 'string' },
  local: { type: 'boolean' },
  stage: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    const parsed = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    if (parsed.positionals.length > 0)
      throw new UsageError(`Unexpected arguments: ${parsed.positionals.map(sanitize).join(' ')}`);
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The stage's region from cdk.json (the stage name checked first: it names a stack). */
function stageRegion(stage: string): string {
  if (!/^[A-Za-z0-9-]{1,40}$/.test(stage)) throw new UsageError('--stage must be a cdk.json stage name');
  const cdk = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: { region?: unknown; stages?: Record<string, { region?: unknown } | undefined> };
  };
  const stages = cdk.context?.stages ?? {};
  if (!Object.hasOwn(stages, stage)) throw new UsageError(`No stage ${sanitize(stage)} in cdk.json`);
  const region = stages[stage]?.region ?? cdk.context?.region;
  if (typeof region !== 'string')
    throw new UsageError(`The stage ${sanitize(stage)} names no region in cdk.json`);
  return region;
}

/** Which URL: --url, else --local, else $SUPPORT_URL; `--stage` gives the signing region. */
export function resolveTarget(
  values: { url?: string | undefined; local?: boolean | undefined; stage?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): { url: string; region?: string } {
  if (values.url !== undefined && values.local) throw new UsageError('Give --url or --local, not both');
  const region = values.stage !== undefined ? stageRegion(values.stage) : undefined;
  if (values.local) {
    const base = Number(env.LOCAL_PORT_BASE ?? DEFAULT_PORT_BASE);
    if (!Number.isInteger(base) || base < 1 || base > 65_525)
      throw new UsageError('LOCAL_PORT_BASE must be a port');
    // The support URL listens after the event console: the last of the local stack's ports, + 1.
    return { url: `http://127.0.0.1:${portsFrom(base).events + 1}`, region: 'us-east-1' };
  }
  const url = values.url ?? env.SUPPORT_URL;
  if (!url) {
    const stack = `Credits-${values.stage ?? '<stage>'}-Compute`;
    throw new UsageError(
      `No function URL: pass --url URL, --local, or set SUPPORT_URL to the stack's SupportUrl output:\n` +
        `  aws cloudformation describe-stacks --stack-name ${stack} --query "Stacks[0].Outputs[?OutputKey=='SupportUrl'].OutputValue" --output text`,
    );
  }
  // A function URL names its region; one of another stage's region is the wrong deployment.
  const host = URL.canParse(url) ? regionFromFunctionUrl(new URL(url).hostname) : undefined;
  if (region && host && host !== region)
    throw new UsageError(
      `The URL is a function URL in ${host}, but stage ${sanitize(values.stage ?? '')} deploys to ${region}`,
    );
  return { url, ...(region && !host ? { region } : {}) };
}

function contextFor(
  values: {
    url?: string | undefined;
    local?: boolean | undefined;
    stage?: string | undefined;
    json?: boolean | undefined;
  },
  io: CliIo,
): Context {
  const env = io.env ?? process.env;
  const target = resolveTarget(values, env);
  return {
    io,
    json: values.json === true,
    fetch: createSignedFetch({
      url: target.url,
      env,
      ...(target.region ? { region: target.region } : {}),
      ...(io.credentials ? { credentials: io.credentials } : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    }),
  };
}

/** A required option, refused when missing or empty. */
function required(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`Missing --${flag}. Usage: ${usage}`);
  return value;
}

async function apiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    // Function URLs answer IAM failures themselves, with `Message` and no code.
    const { code, message, Message, ...details } = body;
    const said = typeof message === 'string' ? message : typeof Message === 'string' ? Message : undefined;
    if (said !== undefined) {
      return new ApiError(res.status, typeof code === 'string' ? code : undefined, said, details);
    }
  } catch {
    // Not JSON: fall back to the start of the body.
  }
  return new ApiError(
    res.status,
    undefined,
    text.trim().slice(0, 300) || res.statusText || 'request failed',
    {},
  );
}

/** One signed request; the parsed JSON answer, or ApiError for a 4xx/5xx. */
async function call<T>(ctx: Context, method: SignedMethod, path: string, body?: unknown): Promise<T> {
  const res = await ctx.fetch(path, {
    method,
    accept: 'application/json',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(ctx.io.signal ? { signal: ctx.io.signal } : {}),
  });
  if (!res.ok) throw await apiError(res);
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(
      `Expected JSON from ${method} ${path.split('?')[0]} but got ${res.headers.get('content-type') ?? 'no content type'}`,
    );
  }
}

/** JSON as it came, with the characters a terminal would act on (bidi overrides, C1) escaped. */
function printJson(ctx: Context, value: unknown): void {
  const text = JSON.stringify(value, null, 2).replace(
    /[\u0080-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  ctx.io.stdout.write(`${text}\n`);
}

function write(ctx: Context, lines: readonly string[]): void {
  ctx.io.stdout.write(`${lines.join('\n')}\n`);
}

function ledgerLine(label: string, businessId: string, ledger: LedgerSummary): string {
  const over = ledger.overAllocated ? `  OVER-ALLOCATED by ${formatNumber(-ledger.balance)}` : '';
  return `  ${label} ${cell(businessId)}: total ${formatNumber(ledger.total)}, allocated ${formatNumber(ledger.allocated)}, balance ${formatNumber(ledger.balance)}${over}`;
}

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

const TRANSFER_USAGE =
  'npm run support -- transfer --license L --to BUSINESS --reason TEXT --ticket T [--expect-from BUSINESS]';

const transferCommand: Command = async (args, io) => {
  const { values } = parse(args, {
    license: { type: 'string' },
    to: { type: 'string' },
    reason: { type: 'string' },
    ticket: { type: 'string' },
    'expect-from': { type: 'string' },
  });
  if (values.help) return usage(io);
  const body = {
    license: required(values.license, 'license', TRANSFER_USAGE),
    toBusinessId: required(values.to, 'to', TRANSFER_USAGE),
    reason: required(values.reason, 'reason', TRANSFER_USAGE),
    ticket: required(values.ticket, 'ticket', TRANSFER_USAGE),
    ...(values['expect-from'] ? { expectedFromBusinessId: values['expect-from'] } : {}),
  };
  const ctx = contextFor(values, io);
  const answer = await call<TransferOutcome>(ctx, 'POST', '/transfers', body);
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  write(ctx, [
    `Transferred ${cell(answer.license)} from ${cell(answer.fromBusinessId)} to ${cell(answer.toBusinessId)}: ${formatNumber(answer.credits)} credits moved`,
    renderKeyValues([
      ['Transfer id', answer.transferId],
      ['At', shortDateTime(answer.at)],
    ]),
    ledgerLine('from', answer.fromBusinessId, answer.from),
    ledgerLine('to  ', answer.toBusinessId, answer.to),
    ...(answer.from.overAllocated
      ? [
          '  The old business now holds more credits in its services than it has: nothing was disabled; its primary user was mailed.',
        ]
      : []),
  ]);
  return 0;
};

const REPLACE_USAGE = 'npm run support -- replace-code --code CODE --reason TEXT --ticket T';

const replaceCodeCommand: Command = async (args, io) => {
  const { values } = parse(args, {
    code: { type: 'string' },
    reason: { type: 'string' },
    ticket: { type: 'string' },
  });
  if (values.help) return usage(io);
  const body = {
    code: required(values.code, 'code', REPLACE_USAGE),
    reason: required(values.reason, 'reason', REPLACE_USAGE),
    ticket: required(values.ticket, 'ticket', REPLACE_USAGE),
  };
  const ctx = contextFor(values, io);
  const answer = await call<ReplacementOutcome>(ctx, 'POST', '/codes/replace', body);
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  write(ctx, [
    `Replaced ${cell(answer.replaced)}: it no longer works.`,
    `New code: ${cell(answer.code)}`,
    '  Give the new code to the customer through the ticket; it is shown only this once.',
  ]);
  return 0;
};

const codeCommand: Command = async (args, io) => {
  const { values } = parse(args, { code: { type: 'string' } });
  if (values.help) return usage(io);
  const code = required(values.code, 'code', 'npm run support -- code --code CODE');
  const ctx = contextFor(values, io);
  const { record } = await call<CodeResponse>(ctx, 'GET', `/codes/${encodeRfc3986(code)}`);
  if (ctx.json) {
    printJson(ctx, { record });
    return 0;
  }
  const target = record.target;
  write(ctx, [
    `Code ${cell(record.code)}: ${record.state}`,
    renderKeyValues([
      ['Kind', target.kind],
      ...(target.kind === 'registration-key'
        ? ([
            ['Order', target.orderId],
            ['Line', target.lineNo],
          ] as const)
        : ([
            ['License', target.licenseId],
            ['Item', target.itemNo],
          ] as const)),
      ['Created', shortDateTime(record.createdAt)],
      ['Replaces', record.replaces],
      ['Replaced by', record.replacedBy],
      ['Replaced', shortDateTime(record.replacedAt)],
    ]),
  ]);
  return 0;
};

function usage(io: CliIo): number {
  io.stdout.write(USAGE);
  return 0;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  transfer: transferCommand,
  'replace-code': replaceCodeCommand,
  code: codeCommand,
};

function describeDetails(details: Readonly<Record<string, unknown>>): string {
  return Object.entries(details)
    .map(
      ([key, value]) =>
        `${sanitize(key)}: ${sanitize(typeof value === 'string' ? value : JSON.stringify(value))}`,
    )
    .join(', ');
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || error instanceof SignedFetchConfigError) {
    io.stderr.write(`${error.message}\nRun "npm run support -- help" for usage.\n`);
    return 2;
  }
  if (error instanceof ApiError) {
    const code = error.code ? ` [${sanitize(error.code)}]` : '';
    const details = describeDetails(error.details);
    io.stderr.write(
      `Error${code}: ${sanitize(error.message)} (HTTP ${error.status})\n${details ? `  ${details}\n` : ''}`,
    );
    return 1;
  }
  if (io.signal?.aborted) {
    io.stderr.write('Interrupted.\n');
    return 130;
  }
  if (error instanceof NetworkError || error instanceof CredentialsError) {
    io.stderr.write(`Error: ${error.message}\n`);
    return 1;
  }
  io.stderr.write(`Error: ${sanitize(error instanceof Error ? error.message : String(error))}\n`);
  return 1;
}

/**
 * Runs one CLI invocation in-process. `argv` is what follows `npm run support --`. Resolves to
 * the exit code: 0 success, 1 failure (the API refused, network, credentials), 2 usage error.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatch({ usage: USAGE, commands: COMMANDS, report }, argv, io);
}

await runIfMain(import.meta.url, run);

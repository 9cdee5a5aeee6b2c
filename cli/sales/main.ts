import { writeFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
// The API's shapes come from the sales function itself, so the CLI cannot drift from it.
import type {
  BusinessDetail,
  ContractDetail,
  ContractRow,
  OrderDetail,
  OrderPage,
  OrderRow,
  OverAllocatedList,
  SetupRow,
  Summary,
} from '../../lib/adapters/dynamodb/sales-reader.js';
import { ORDER_STATES } from '../../lib/domain/orders/model.js';
import { DEFAULT_PORT_BASE, portsFrom } from '../../local/stack/ports.js';
import { dispatch, runIfMain } from '../dispatch.js';
import { followPages, idSegment as pathSegment } from '../paging.js';
import {
  type CellValue,
  cell,
  formatNumber,
  renderKeyValues,
  renderTable,
  sanitize,
  shortDate,
  shortDateTime,
} from './format.js';
import { ProxyStartError, startProxy } from './proxy.js';
import {
  type AwsCredentialIdentityProvider,
  CredentialsError,
  createSignedFetch,
  NetworkError,
  type SignedFetch,
  SignedFetchConfigError,
} from './signed-fetch.js';

export type {
  BusinessDetail,
  ContractDetail,
  ContractRow,
  OrderDetail,
  OrderPage,
  OrderRow,
  OverAllocatedList,
  SetupRow,
  Summary,
};
export type ContractItem = ContractDetail['items'][number];
export type AuditEntry = ContractDetail['audit'][number];
export type BusinessDetails = NonNullable<ContractDetail['business']>;
// ---------------------------------------------------------------------------------------------
// CLI plumbing
// ---------------------------------------------------------------------------------------------

export interface TextSink {
  write(text: string): unknown;
}

export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Replaces global fetch for every request to the function URL. */
  readonly fetch?: typeof fetch;
  /** Replaces the SDK's Node credential chain. */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** SALES_URL, AWS_REGION, AWS_DEFAULT_REGION are read here; `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Aborting cancels requests in flight and stops `proxy`. */
  readonly signal?: AbortSignal;
}

export const USAGE = `Sales CLI: read contracts through the sales function URL (requests are SigV4-signed with your AWS credentials).

Usage: npm run sales -- <command> [options]

Commands:
  contracts [--status S] [--product P] [--expiring-before DATE] [--business B] [--free-trial]
            [--limit N] [--cursor C] [--all] [--csv FILE]
      List contracts. --all follows every page; --csv FILE writes the server's CSV of every page
      (header once) to FILE, or to stdout with --csv -.
  contract <id>
      One contract: its details, business, credit items and audit trail.
  orders [--state open|partly-registered|registered] [--limit N] [--cursor C] [--all]
         [--format table|json|csv]
      Orders from other channels, newest import first (R12). --format csv prints the server's
      CSV of every page (one row per line, with its Registration Key); json the API's answer.
  order <orderId> [--format table|json]
      One order: its company, each line with its Registration Key and who registered it, the
      license it became, and the order's history.
  setups [--state open|expired] [--limit N] [--cursor C] [--all] [--csv FILE]
      List buyer setups that are not finished.
  summary
      Contracts by status, active credits, contracts expiring within 30/60/90 days.
  business <businessId>
      One business: its details, credits (total, allocated, balance), licenses and allocations.
  over-allocated [--limit N] [--csv FILE]
      Businesses whose allocations exceed their credits, longest first.
  proxy [--port 8787] [--host 127.0.0.1]
      Serve the function's HTML views locally: open http://127.0.0.1:8787/contracts in a browser.
      GET only, loopback only; every request is signed with your credentials.
  help
      This text.

Options for every command:
  --url URL    The sales function URL (default: $SALES_URL)
  --local      The local stack's sales URL (npm start; http://127.0.0.1:<base + 2>, base
               $LOCAL_PORT_BASE or ${DEFAULT_PORT_BASE})
  -h, --help   This text.

Credentials come from the AWS SDK's default chain (AWS_PROFILE, SSO, environment, …); the region
from the function URL host (<id>.lambda-url.<region>.on.aws), else AWS_REGION.
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A non-2xx answer of the sales function. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Context {
  readonly io: CliIo;
  readonly fetch: SignedFetch;
}

const COMMON_OPTIONS = {
  url: { type: 'string' },
  local: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The local stack's URL of one of its function URLs (`npm start`; ports from $LOCAL_PORT_BASE). */
export function localUrl(
  service: 'sales' | 'licenses',
  env: Readonly<Record<string, string | undefined>>,
): string {
  const base = Number(env.LOCAL_PORT_BASE ?? DEFAULT_PORT_BASE);
  if (!Number.isInteger(base) || base < 1 || base > 65_525)
    throw new UsageError('LOCAL_PORT_BASE must be a port');
  return `http://127.0.0.1:${portsFrom(base)[service]}`;
}

function contextFor(values: { url?: string | undefined; local?: boolean | undefined }, io: CliIo): Context {
  const env = io.env ?? process.env;
  if (values.url !== undefined && values.local) throw new UsageError('Give --url or --local, not both');
  const functionUrl = values.local ? localUrl('sales', env) : (values.url ?? env.SALES_URL);
  if (!functionUrl) throw new UsageError('No function URL: pass --url URL, --local, or set SALES_URL.');
  return {
    io,
    fetch: createSignedFetch({
      url: functionUrl,
      env,
      ...(io.credentials ? { credentials: io.credentials } : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    }),
  };
}

function withQuery(path: string, params: Readonly<Record<string, string | undefined>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, value);
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

/** An id as one path segment (`.` and `..` refused: they would name another route). */
const idSegment = (id: string, what: string) => pathSegment(id, what, (message) => new UsageError(message));

async function httpError(res: Response): Promise<HttpError> {
  const text = await res.text().catch(() => '');
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as { message?: unknown; Message?: unknown };
    // Function URLs answer IAM failures themselves, with `Message`.
    const value = body.message ?? body.Message;
    if (typeof value === 'string') message = value;
  } catch {
    // Not JSON: fall back to the start of the body.
  }
  message ??= text.trim().slice(0, 300) || res.statusText || 'request failed';
  return new HttpError(res.status, sanitize(message));
}

async function get(ctx: Context, path: string, accept: string): Promise<Response> {
  const res = await ctx.fetch(path, { accept, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
  if (!res.ok) throw await httpError(res);
  return res;
}

async function getJson<T>(ctx: Context, path: string): Promise<T> {
  const res = await get(ctx, path, 'application/json');
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(
      `Expected JSON from ${path.split('?')[0]} but got ${res.headers.get('content-type') ?? 'no content type'}`,
    );
  }
}

function expectArray(value: unknown, what: string): void {
  if (!Array.isArray(value)) throw new Error(`Unexpected response: no ${what} list`);
}

interface Listing<T> {
  readonly rows: T[];
  readonly pages: number;
  readonly nextCursor?: string;
}

async function list<T>(
  ctx: Context,
  path: string,
  key: string,
  params: Readonly<Record<string, string | undefined>>,
  all: boolean,
): Promise<Listing<T>> {
  return followPages<T>(
    async (cursor) => {
      const page = await getJson<Record<string, unknown>>(ctx, withQuery(path, { ...params, cursor }));
      const pageRows = page[key];
      expectArray(pageRows, key);
      return {
        rows: pageRows as T[],
        next: typeof page.nextCursor === 'string' ? page.nextCursor : undefined,
      };
    },
    { cursor: params.cursor, all, who: 'server' },
  );
}

function splitFirstLine(text: string): [string, string] {
  const end = text.indexOf('\n');
  return end === -1 ? [text, ''] : [text.slice(0, end + 1), text.slice(end + 1)];
}

/**
 * The server's CSV of every page, its header line kept once. The cursor of the next page comes
 * from an `x-next-cursor` header when the server sends one, else from the JSON of the same page.
 */
async function collectCsv(
  ctx: Context,
  path: string,
  params: Readonly<Record<string, string | undefined>>,
): Promise<{ csv: string; pages: number }> {
  let csv = '';
  let header: string | undefined;
  let cursor = params.cursor;
  let pages = 0;
  const seen = new Set<string>();
  for (;;) {
    const res = await get(ctx, withQuery(path, { ...params, cursor, format: 'csv' }), 'text/csv');
    let text = await res.text();
    if (text && !text.endsWith('\n')) text += '\r\n';
    const [first, rest] = splitFirstLine(text);
    if (header === undefined) {
      header = first;
      csv += text;
    } else {
      csv += first.trimEnd() === header.trimEnd() ? rest : text;
    }
    pages += 1;
    const fromHeader = res.headers.get('x-next-cursor');
    const next =
      fromHeader !== null
        ? fromHeader || undefined
        : (await getJson<{ nextCursor?: string }>(ctx, withQuery(path, { ...params, cursor }))).nextCursor ||
          undefined;
    if (next === undefined) return { csv, pages };
    if (seen.has(next)) throw new Error(`The server returned the same cursor twice (${next}); stopping.`);
    seen.add(next);
    cursor = next;
  }
}

async function writeCsv(
  ctx: Context,
  file: string,
  what: string,
  result: { csv: string; pages: number },
): Promise<void> {
  if (file === '-') {
    ctx.io.stdout.write(result.csv);
    return;
  }
  await writeFile(file, result.csv, 'utf8');
  ctx.io.stdout.write(`Wrote ${what} (${result.pages} page${result.pages === 1 ? '' : 's'}) to ${file}\n`);
}

function parseLimit(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) {
    throw new UsageError(`--limit must be a whole number from 1 to 100, not ${value}`);
  }
  return String(n);
}

function parseDate(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`${option} must be an ISO date such as 2026-12-31, not ${value}`);
  }
  return value;
}

function plural(n: number, word: string): string {
  return `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;
}

function moreHint(ctx: Context, what: string, cursor: string | undefined): void {
  if (cursor) {
    ctx.io.stdout.write(`More ${what}: add --all, or continue with --cursor ${sanitize(cursor)}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

function businessOrAccount(row: ContractRow): string {
  const name = row.businessName;
  const account = row.customerAWSAccountId;
  if (name && account) return `${name} (${account})`;
  return name ?? account ?? '';
}

async function contractsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    status: { type: 'string' },
    product: { type: 'string' },
    'expiring-before': { type: 'string' },
    business: { type: 'string' },
    'free-trial': { type: 'boolean' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
    csv: { type: 'string' },
  });
  if (values.help) return usage(io);
  const params = {
    status: values.status,
    product: values.product,
    expiringBefore: parseDate(values['expiring-before'], '--expiring-before'),
    business: values.business,
    freeTrial: values['free-trial'] ? 'true' : undefined,
    limit: parseLimit(values.limit),
    cursor: values.cursor,
  };
  const ctx = contextFor(values, io);

  if (values.csv !== undefined) {
    await writeCsv(ctx, values.csv, 'contracts', await collectCsv(ctx, '/contracts', params));
    return 0;
  }

  const result = await list<ContractRow>(ctx, '/contracts', 'contracts', params, values.all === true);
  if (result.rows.length === 0) {
    io.stdout.write('No contracts match.\n');
  } else {
    io.stdout.write(
      `${renderTable(
        [
          { header: 'CONTRACT', maxWidth: 60 },
          { header: 'PRODUCT', maxWidth: 30 },
          { header: 'STATUS' },
          { header: 'CREDITS', align: 'right' },
          { header: 'EXPIRES' },
          { header: 'BUSINESS / ACCOUNT', maxWidth: 45 },
          { header: 'TRIAL' },
        ],
        result.rows.map((row) => [
          row.contractId,
          row.productCode,
          row.status,
          row.activeCredits,
          shortDate(row.expiresAt),
          businessOrAccount(row),
          row.freeTrial === undefined ? '' : row.freeTrial,
        ]),
      )}\n`,
    );
  }
  const pages = result.pages > 1 ? ` (${plural(result.pages, 'page')})` : '';
  io.stdout.write(`${plural(result.rows.length, 'contract')}${pages}\n`);
  moreHint(ctx, 'contracts', result.nextCursor);
  return 0;
}

const CONTRACT_FIELDS: readonly (readonly [keyof ContractRow & string, string])[] = [
  ['productCode', 'Product'],
  ['status', 'Status'],
  ['activeCredits', 'Active credits'],
  ['expiresAt', 'Expires'],
  ['customerAWSAccountId', 'AWS account'],
  ['activatedBy', 'Activated by'],
  ['businessName', 'Business'],
  ['freeTrial', 'Free trial'],
  ['autoRenew', 'Auto-renew'],
  ['createdAt', 'Created'],
  ['updatedAt', 'Updated'],
];

const DATE_FIELDS = new Set(['expiresAt', 'createdAt', 'updatedAt']);

function displayValue(value: unknown): CellValue {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

function describeChange(change: { readonly type: string } & Record<string, unknown>): string {
  const details = Object.entries(change)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return sanitize([change.type, ...details].join(' '));
}

async function contractCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, true);
  if (values.help) return usage(io);
  const [id, ...extra] = positionals;
  if (!id) throw new UsageError('Which contract? Usage: npm run sales -- contract <id>');
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}`);
  const ctx = contextFor(values, io);

  const detail = await getJson<ContractDetail>(ctx, `/contracts/${idSegment(id, 'contract')}`);
  if (!detail.contract) throw new Error('Unexpected response: no contract');
  const { contract } = detail;
  const known = new Set<string>(['contractId', ...CONTRACT_FIELDS.map(([key]) => key)]);
  const pairs: [string, CellValue][] = CONTRACT_FIELDS.map(([key, label]) => {
    const value = contract[key];
    return [
      label,
      DATE_FIELDS.has(key) && typeof value === 'string' ? shortDate(value) : displayValue(value),
    ];
  });
  for (const [key, value] of Object.entries(contract)) {
    if (!known.has(key)) pairs.push([key, displayValue(value)]);
  }
  const out: string[] = [`Contract ${cell(contract.contractId)}`, renderKeyValues(pairs)];

  if (detail.business) {
    const b = detail.business;
    const credits = detail.businessCredits;
    out.push(
      '',
      'Business',
      renderKeyValues([
        ['Name', b.name],
        ['Business id', b.businessId],
        ['Country', b.country],
        ['Data center region', b.dataCenterRegion],
        ['Time zone', b.timeZone],
        ['Primary email', b.primaryEmail],
        ['Credits', credits?.total],
        ['Allocated', credits?.allocated],
        ['Balance', credits?.balance],
        ['Over-allocated by', credits && credits.overAllocatedBy > 0 ? credits.overAllocatedBy : undefined],
      ]),
    );
  }

  const items = detail.items ?? [];
  out.push('', `Items (${items.length})`);
  out.push(
    items.length === 0
      ? '  none'
      : renderTable(
          [
            { header: 'ITEM', align: 'right' },
            { header: 'ORIGIN' },
            { header: 'CREDITS', align: 'right' },
            { header: 'EXPIRES' },
            { header: 'STATE' },
            { header: 'ENDED' },
            { header: 'REASON', maxWidth: 40 },
          ],
          items.map((item) => [
            String(item.itemNo),
            item.origin,
            item.credits,
            shortDate(item.expiresAt),
            item.state,
            shortDate(item.endedAt),
            item.endReason,
          ]),
        ),
  );

  const audit = [...(detail.audit ?? [])].sort((a, b) => a.version - b.version);
  out.push('', `Audit trail (${audit.length})`);
  if (audit.length === 0) out.push('  none');
  for (const entry of audit) {
    const trigger = entry.trigger;
    const by = trigger ? `${cell(trigger.source)}/${cell(trigger.type)} ${cell(trigger.id)}`.trimEnd() : '';
    out.push(`  v${cell(entry.version)}  ${shortDateTime(entry.at)}  ${by}`.trimEnd());
    for (const change of entry.changes ?? []) out.push(`      - ${describeChange(change)}`);
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

type OutputFormat = 'table' | 'json' | 'csv';

function parseFormat(value: string | undefined, allowed: readonly OutputFormat[]): OutputFormat {
  if (value === undefined) return 'table';
  const format = allowed.find((f) => f === value);
  if (!format) throw new UsageError(`--format must be ${allowed.join(', ')}, not ${sanitize(value)}`);
  return format;
}

/** The businesses an order's lines are registered to, by name when the answer names them. */
function registeredTo(order: OrderRow, names: ReadonlyMap<string, string> = new Map()): string {
  const ids = [...new Set((order.lines ?? []).flatMap((l) => (l.registeredBy ? [l.registeredBy] : [])))];
  return ids.map((id) => (names.get(id) ? `${names.get(id)} (${id})` : id)).join(', ');
}

async function ordersCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    state: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
    format: { type: 'string' },
  });
  if (values.help) return usage(io);
  if (values.state !== undefined && !ORDER_STATES.some((s) => s === values.state)) {
    throw new UsageError(`--state must be ${ORDER_STATES.join(', ')}, not ${sanitize(values.state)}`);
  }
  const format = parseFormat(values.format, ['table', 'json', 'csv']);
  const params = { state: values.state, limit: parseLimit(values.limit), cursor: values.cursor };
  const ctx = contextFor(values, io);

  if (format === 'csv') {
    io.stdout.write((await collectCsv(ctx, '/orders', params)).csv);
    return 0;
  }
  const result = await list<OrderRow>(ctx, '/orders', 'orders', params, values.all === true);
  if (format === 'json') {
    const page: OrderPage = {
      orders: result.rows,
      ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}),
    };
    io.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    return 0;
  }
  if (result.rows.length === 0) {
    io.stdout.write('No orders match.\n');
  } else {
    io.stdout.write(
      `${renderTable(
        [
          { header: 'ORDER', maxWidth: 64 },
          { header: 'COMPANY', maxWidth: 40 },
          { header: 'STATE' },
          { header: 'REGISTERED', align: 'right' },
          { header: 'CREDITS', align: 'right' },
          { header: 'IMPORTED' },
          { header: 'REGISTERED TO', maxWidth: 60 },
        ],
        result.rows.map((o) => [
          o.orderId,
          o.company?.name,
          o.state,
          `${formatNumber(o.registeredLines)}/${formatNumber((o.lines ?? []).length)}`,
          o.credits,
          shortDateTime(o.importedAt),
          registeredTo(o),
        ]),
      )}\n`,
    );
  }
  const pages = result.pages > 1 ? ` (${plural(result.pages, 'page')})` : '';
  io.stdout.write(`${plural(result.rows.length, 'order')}${pages}\n`);
  moreHint(ctx, 'orders', result.nextCursor);
  return 0;
}

function describeHistory(details: Readonly<Record<string, unknown>>): string {
  return sanitize(
    Object.entries(details)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' '),
  );
}

async function orderCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string' } }, true);
  if (values.help) return usage(io);
  const [id, ...extra] = positionals;
  if (!id) throw new UsageError('Which order? Usage: npm run sales -- order <orderId>');
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.map(sanitize).join(' ')}`);
  const format = parseFormat(values.format, ['table', 'json']);
  const ctx = contextFor(values, io);
  const detail = await getJson<OrderDetail>(ctx, `/orders/${idSegment(id, 'order')}`);
  if (!detail.order) throw new Error('Unexpected response: no order');
  if (format === 'json') {
    io.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
    return 0;
  }
  const { order: o } = detail;
  const names = new Map((detail.businesses ?? []).map((b) => [b.businessId, b.name] as const));
  const lines = o.lines ?? [];
  const out: string[] = [
    `Order ${cell(o.orderId)}`,
    renderKeyValues([
      ['Company', o.company?.name],
      ['Company email', o.company?.email],
      ['Country', o.company?.country],
      ['State', o.state],
      ['Registered', `${formatNumber(o.registeredLines)} of ${formatNumber(lines.length)} lines`],
      ['Credits', o.credits],
      ['Registered to', registeredTo(o, names)],
      ['Imported', shortDateTime(o.importedAt)],
      ['Imported by', o.importedBy],
      ['Updated', shortDateTime(o.updatedAt)],
    ]),
    '',
    `Lines (${lines.length})`,
    lines.length === 0
      ? '  none'
      : renderTable(
          [
            { header: 'LINE', align: 'right' },
            { header: 'PRODUCT', maxWidth: 30 },
            { header: 'SERVICE', maxWidth: 30 },
            { header: 'UNITS', align: 'right' },
            { header: 'CREDITS', align: 'right' },
            { header: 'EXPIRES' },
            { header: 'REGISTRATION KEY' },
            { header: 'STATE' },
            { header: 'BUSINESS', maxWidth: 40 },
            { header: 'REGISTERED' },
            { header: 'LICENSE', maxWidth: 80 },
          ],
          lines.map((l) => [
            String(l.lineNo),
            l.productCode,
            l.service,
            l.units,
            l.credits,
            shortDate(l.expiresAt),
            l.registrationKey,
            l.registeredBy ? 'registered' : 'open',
            l.registeredBy ? (names.get(l.registeredBy) ?? l.registeredBy) : '',
            shortDateTime(l.registeredAt),
            l.licenseId,
          ]),
        ),
  ];
  const history = detail.history ?? [];
  out.push('', `History (${history.length})`);
  if (history.length === 0) out.push('  none');
  for (const entry of history) {
    out.push(`  ${shortDateTime(entry.at)}  ${cell(entry.type)}  by ${cell(entry.by)}`);
    const details = describeHistory(entry.details ?? {});
    if (details) out.push(`      ${details}`);
    if (entry.ticket) out.push(`      ticket ${cell(entry.ticket)}: ${cell(entry.reason)}`);
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

async function setupsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    state: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
    csv: { type: 'string' },
  });
  if (values.help) return usage(io);
  if (values.state !== undefined && values.state !== 'open' && values.state !== 'expired') {
    throw new UsageError(`--state must be open or expired, not ${values.state}`);
  }
  const params = { state: values.state, limit: parseLimit(values.limit), cursor: values.cursor };
  const ctx = contextFor(values, io);

  if (values.csv !== undefined) {
    await writeCsv(ctx, values.csv, 'setups', await collectCsv(ctx, '/setups', params));
    return 0;
  }

  const result = await list<SetupRow>(ctx, '/setups', 'setups', params, values.all === true);
  if (result.rows.length === 0) {
    io.stdout.write('No setups match.\n');
  } else {
    io.stdout.write(
      `${renderTable(
        [
          { header: 'CONTRACT', maxWidth: 60 },
          { header: 'PRODUCT', maxWidth: 30 },
          { header: 'ACCOUNT' },
          { header: 'EMAIL', maxWidth: 40 },
          { header: 'STEP' },
          { header: 'CREATED' },
          { header: 'EXPIRES' },
        ],
        result.rows.map((row) => [
          row.contractId,
          row.productCode,
          row.customerAWSAccountId,
          row.email,
          row.step,
          shortDate(row.createdAt),
          shortDate(row.expiresAt),
        ]),
      )}\n`,
    );
  }
  const pages = result.pages > 1 ? ` (${plural(result.pages, 'page')})` : '';
  io.stdout.write(`${plural(result.rows.length, 'setup')}${pages}\n`);
  moreHint(ctx, 'setups', result.nextCursor);
  return 0;
}

async function summaryCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {});
  if (values.help) return usage(io);
  const ctx = contextFor(values, io);
  const summary = await getJson<Summary>(ctx, '/summary');
  const byStatus = Object.entries(summary.byStatus ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const total = byStatus.reduce((sum, [, n]) => sum + (typeof n === 'number' ? n : 0), 0);
  const out = [
    'Contracts by status',
    renderTable([{ header: 'STATUS' }, { header: 'COUNT', align: 'right' }], [...byStatus, ['total', total]]),
    '',
    renderKeyValues(
      [
        ['Active credits', summary.activeCredits],
        ['Expiring in 30 days', summary.expiring?.days30],
        ['Expiring in 60 days', summary.expiring?.days60],
        ['Expiring in 90 days', summary.expiring?.days90],
        ['As of', shortDateTime(summary.asOf)],
      ],
      '',
    ),
  ];
  io.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

async function businessCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {}, true);
  if (values.help) return usage(io);
  const [id, ...extra] = positionals;
  if (!id) throw new UsageError('Which business? Usage: npm run sales -- business <businessId>');
  if (extra.length > 0) throw new UsageError(`Unexpected arguments: ${extra.join(' ')}`);
  const ctx = contextFor(values, io);
  const {
    business: b,
    usage: u,
    licenses,
  } = await getJson<BusinessDetail>(ctx, `/businesses/${idSegment(id, 'business')}`);
  if (!b || !u) throw new Error('Unexpected response: no business');
  const out = [
    `Business ${cell(b.name)}`,
    renderKeyValues([
      ['Business id', b.businessId],
      ['Country', b.country],
      ['Data center region', b.dataCenterRegion],
      ['Time zone', b.timeZone],
      ['Primary email', b.primaryEmail],
      ['Credits', u.total],
      ['Allocated', u.allocated],
      ['Balance', u.balance],
      ['Over-allocated by', u.overAllocatedBy > 0 ? u.overAllocatedBy : undefined],
      ['Over-allocated since', shortDateTime(u.overAllocatedSince)],
    ]),
    '',
    `Licenses (${(licenses ?? []).length})`,
    (licenses ?? []).length === 0
      ? '  none'
      : renderTable(
          [
            { header: 'LICENSE', maxWidth: 60 },
            { header: 'ORIGIN' },
            { header: 'STATUS' },
            { header: 'CREDITS', align: 'right' },
            { header: 'EXPIRES' },
            { header: 'ITEMS', align: 'right' },
          ],
          (licenses ?? []).map((l) => [
            l.licenseId,
            l.origin,
            l.status,
            l.credits,
            shortDate(l.expiresAt),
            (l.items ?? []).length,
          ]),
        ),
    '',
    `Allocations (${(u.distribution ?? []).length})`,
    (u.distribution ?? []).length === 0
      ? '  none'
      : renderTable(
          [
            { header: 'SERVICE', maxWidth: 40 },
            { header: 'UNITS', align: 'right' },
            { header: 'CREDITS', align: 'right' },
            { header: 'UPDATED' },
          ],
          (u.distribution ?? []).map((a) => [a.service, a.units, a.credits, shortDate(a.updatedAt)]),
        ),
  ];
  io.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

async function overAllocatedCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { limit: { type: 'string' }, csv: { type: 'string' } });
  if (values.help) return usage(io);
  const params = { overAllocated: 'true', limit: parseLimit(values.limit) };
  const ctx = contextFor(values, io);
  if (values.csv !== undefined) {
    await writeCsv(
      ctx,
      values.csv,
      'over-allocated businesses',
      await collectCsv(ctx, '/businesses', params),
    );
    return 0;
  }
  const list = await getJson<OverAllocatedList>(ctx, withQuery('/businesses', params));
  expectArray(list.businesses, 'businesses');
  if (list.businesses.length === 0) {
    io.stdout.write('No business is over-allocated.\n');
    return 0;
  }
  io.stdout.write(
    `${renderTable(
      [
        { header: 'BUSINESS' },
        { header: 'NAME', maxWidth: 40 },
        { header: 'CREDITS', align: 'right' },
        { header: 'ALLOCATED', align: 'right' },
        { header: 'OVER BY', align: 'right' },
        { header: 'SINCE' },
      ],
      list.businesses.map((b) => [
        b.businessId,
        b.name,
        b.total,
        b.allocated,
        b.overAllocatedBy,
        shortDateTime(b.overAllocatedSince),
      ]),
    )}\n${formatNumber(list.businesses.length)} business${list.businesses.length === 1 ? '' : 'es'}${list.more ? ' (more are over-allocated: raise --limit, at most 100)' : ''}\n`,
  );
  return 0;
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return 8787;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--port must be 0 to 65535, not ${value}`);
  return port;
}

function waitForAbort(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise<void>(() => {});
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

async function proxyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' } });
  if (values.help) return usage(io);
  const port = parsePort(values.port);
  const host = values.host ?? '127.0.0.1';
  const ctx = contextFor(values, io);
  const proxy = await startProxy({
    signedFetch: ctx.fetch,
    port,
    host,
    log: (line) => io.stderr.write(`${sanitize(line)}\n`),
  });
  io.stdout.write(
    `Sales proxy on ${proxy.url}: open ${proxy.url}/contracts in your browser. Ctrl+C to stop.\n`,
  );
  try {
    await waitForAbort(io.signal);
  } finally {
    await proxy.close();
  }
  io.stdout.write('Sales proxy stopped.\n');
  return 0;
}

function usage(io: CliIo): number {
  io.stdout.write(USAGE);
  return 0;
}

const COMMANDS: Readonly<Record<string, (args: readonly string[], io: CliIo) => Promise<number>>> = {
  contracts: contractsCommand,
  contract: contractCommand,
  orders: ordersCommand,
  order: orderCommand,
  setups: setupsCommand,
  summary: summaryCommand,
  business: businessCommand,
  'over-allocated': overAllocatedCommand,
  proxy: proxyCommand,
};

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || error instanceof SignedFetchConfigError) {
    io.stderr.write(`${error.message}\nRun "npm run sales -- help" for usage.\n`);
    return 2;
  }
  if (error instanceof HttpError) {
    io.stderr.write(`Error: ${error.message} (HTTP ${error.status})\n`);
    return 1;
  }
  if (io.signal?.aborted) {
    io.stderr.write('Interrupted.\n');
    return 130;
  }
  if (
    error instanceof NetworkError ||
    error instanceof CredentialsError ||
    error instanceof ProxyStartError
  ) {
    io.stderr.write(`Error: ${error.message}\n`);
    return 1;
  }
  io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

/**
 * Runs one CLI invocation in-process. `argv` is what follows `npm run sales --`. Resolves to the
 * exit code: 0 success, 1 failure (HTTP error, network, credentials), 2 usage error.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatch({ usage: USAGE, commands: COMMANDS, report }, argv, io);
}

await runIfMain(import.meta.url, run);

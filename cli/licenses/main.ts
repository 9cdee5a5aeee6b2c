import { createReadStream } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MAX_JSON_BYTES } from '../../lib/adapters/http/json-body.js';
// The API's shapes come from the domain the license API serves, so the CLI cannot drift from it.
import type { Estimate } from '../../lib/domain/credits/estimate.js';
import type { CreditUsage } from '../../lib/domain/credits/ledger.js';
import type { DirectLicense, LicenseView } from '../../lib/domain/credits/licenses.js';
import type { Allocation } from '../../lib/domain/credits/model.js';
import { ORDER_STATES, type OrderLineView, type OrderView } from '../../lib/domain/orders/model.js';
import type { Service } from '../../lib/domain/product/catalog.js';
import type { Business } from '../../lib/domain/setup/model.js';
import { dispatch, runIfMain } from '../dispatch.js';
import { followPages, idSegment } from '../paging.js';
import {
  type CellValue,
  cell,
  formatNumber,
  renderKeyValues,
  renderTable,
  sanitize,
  shortDate,
  shortDateTime,
} from '../sales/format.js';
import type { CliIo } from '../sales/main.js';
import {
  CredentialsError,
  createSignedFetch,
  encodeRfc3986,
  NetworkError,
  type SignedFetch,
  SignedFetchConfigError,
  type SignedMethod,
} from '../sales/signed-fetch.js';

export type { CliIo };

/** The licenses CLI's streams: `stdin` is what `import-order --file -` reads (`process.stdin` by default). */
export interface LicensesCliIo extends CliIo {
  readonly stdin?: AsyncIterable<string | Uint8Array>;
}

export interface ServicesResponse {
  readonly services: readonly Service[];
}
export interface BusinessResponse {
  readonly business: Business;
  readonly usage?: CreditUsage;
}
export interface LicensesResponse {
  readonly businessId: string;
  readonly licenses: readonly LicenseView[];
}
export interface UsageResponse {
  readonly businessId: string;
  readonly usage: CreditUsage;
}
export interface AllocationResponse {
  readonly changed: boolean;
  readonly allocation?: Allocation;
  readonly usage: CreditUsage;
}
export interface AddLicenseResponse {
  readonly created: boolean;
  readonly license: DirectLicense;
  readonly usage: CreditUsage;
}

/** An order as the license API answers it (R12): the domain's view, so the CLI cannot drift. */
export type { OrderLineView, OrderView };
export interface ImportOrderResponse {
  readonly created: boolean;
  readonly order: OrderView;
}
export interface OrdersResponse {
  readonly orders: readonly OrderView[];
  readonly nextCursor?: string;
}
export interface OrderResponse {
  readonly order: OrderView;
}
/** What a code opens (R11): an order's line for a Registration Key, a license item for an Activation Code. */
export type CodeLookupResponse =
  | {
      readonly code: string;
      readonly kind: 'registration-key';
      readonly orderId: string;
      readonly lineNo: number;
      readonly registered: boolean;
      readonly businessId?: string;
    }
  | {
      readonly code: string;
      readonly kind: 'activation-code';
      readonly licenseId: string;
      readonly itemNo: number;
    };

/** The most `import-order` reads of a file: an order of 40 lines is a few KiB of JSON. */
export const MAX_ORDER_FILE_BYTES = 256 * 1024;

export const USAGE = `Licenses CLI: services, credits and licenses of businesses through the license API function URL
(requests are SigV4-signed with your AWS credentials).

Usage: npm run licenses -- <command> [options]

Commands:
  services
      The services a business can enable, with their published credits per unit.
  estimate <service>=<units> […]
      What enabling those services takes, e.g. estimate endpoint-security=50 email-security=200.
  business <businessId> | business --email <email>
      A business and its credit usage.
  licenses <businessId>
      Every license of the business (marketplace and other channels) with its items.
  usage <businessId>
      Credits: total, allocated, balance, allocations and what expires soon.
  allocate <businessId> <service> <units>
      Sets the service's allocation to <units> (0 releases it).
  release <businessId> <service>
      Releases the service's allocation: its credits go back to the balance.
  add-license <businessId> --reference R --product P --credits N --expires DATE [--description D]
      Adds a license from another channel (a direct deal); the same reference again changes nothing.
      DATE is an instant with its zone (2027-03-31T23:59:59Z) or a day (2027-03-31: its last
      second, UTC).
  import-order --file FILE [--format table|json]
      Imports an order from another channel (R12) from a JSON file (- reads stdin): orderId,
      company {name, email?, country?} and lines [{productCode, service, credits | units,
      startsAt?, expiresAt}]. Prints each line's Registration Key; the same order again changes
      nothing, the same orderId with other content is refused (409).
  orders [--state open|partly-registered|registered] [--limit N] [--cursor C] [--all]
         [--format table|json]
      Orders from other channels, newest import first. --all follows every page; without it a
      hint names the next page's cursor.
  order <orderId> [--format table|json]
      One order: its company, state, and each line with its Registration Key, the business that
      registered it, when, and the license it became.
  lookup-code <code> [--client ID]
      What a Registration Key or Activation Code opens (R11). Lookups of codes that do not exist
      are budgeted per caller and client (default client: cli); over budget is a 429.
  help
      This text.

Options for every command:
  --url URL    The license API function URL (default: $LICENSES_URL)
  --json       Print the API's JSON as it came, instead of tables (the order commands also take
               --format table|json).
  -h, --help   This text.

Exit codes: 0 done, 1 the API refused (its code and message are printed) or could not be reached,
2 usage error. Credentials come from the AWS SDK's default chain (AWS_PROFILE, SSO, environment,
…); the region from the function URL host (<id>.lambda-url.<region>.on.aws), else AWS_REGION.
`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A non-2xx answer of the license API: `{ code, message, ...details }`. */
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
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function contextFor(values: { url?: string | undefined; json?: boolean | undefined }, io: CliIo): Context {
  const env = io.env ?? process.env;
  const functionUrl = values.url ?? env.LICENSES_URL;
  if (!functionUrl) throw new UsageError('No function URL: pass --url URL or set LICENSES_URL.');
  return {
    io,
    json: values.json === true,
    fetch: createSignedFetch({
      url: functionUrl,
      env,
      ...(io.credentials ? { credentials: io.credentials } : {}),
      ...(io.fetch ? { fetch: io.fetch } : {}),
    }),
  };
}

/** Exactly `count` positionals, named for the usage message. */
function positionals(given: readonly string[], names: readonly string[], usage: string): string[] {
  if (given.length < names.length) throw new UsageError(`Missing ${names[given.length]}. Usage: ${usage}`);
  if (given.length > names.length) {
    throw new UsageError(`Unexpected arguments: ${given.slice(names.length).map(sanitize).join(' ')}`);
  }
  return [...given];
}

/** An id as one path segment (`.` and `..` refused: they would name another route). */
const segment = (value: string) => idSegment(value, '', (message) => new UsageError(message));

/** `path?k=v&…` with the values that are set, each RFC 3986-encoded as the signature expects. */
function withQuery(path: string, params: Readonly<Record<string, string | undefined>>): string {
  const query = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

const FORMATS = ['table', 'json'] as const;

/** `--format table|json`, and `--json` as the shorthand every command takes: whether to print JSON. */
function wantsJson(values: { json?: boolean | undefined; format?: string | undefined }): boolean {
  const { format } = values;
  if (format !== undefined && !FORMATS.some((f) => f === format)) {
    throw new UsageError(`--format must be ${FORMATS.join(' or ')}, not ${sanitize(format)}`);
  }
  if (values.json === true && format === 'table')
    throw new UsageError('--json and --format table contradict');
  return values.json === true || format === 'json';
}

/** One positional that must not be empty (an empty id would address the collection instead). */
function required(value: string | undefined, what: string, usage: string): string {
  if (!value) throw new UsageError(`Missing ${what}. Usage: ${usage}`);
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

function parseUnits(value: string, what: string): number {
  if (!/^\d{1,9}$/.test(value))
    throw new UsageError(`${what} must be a whole number of units, not ${sanitize(value)}`);
  return Number(value);
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A calendar day that exists (Date.parse takes 2027-02-30 and rolls it over into March). */
function isRealDay(day: string): boolean {
  const [, y, m, d] = DAY.exec(day) ?? [];
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return y !== undefined && date.toISOString().slice(0, 10) === day;
}

/** A day means its last second in UTC; an instant must say its zone, so it means the same everywhere. */
export function parseExpiry(value: string): string {
  if (DAY.test(value) && isRealDay(value)) return `${value}T23:59:59Z`;
  const instant = INSTANT.exec(value);
  if (instant?.[1] && isRealDay(instant[1]) && !Number.isNaN(Date.parse(value))) return value;
  throw new UsageError(
    `--expires must be a day such as 2027-03-31 or an instant with its zone such as 2027-03-31T23:59:59Z, not ${sanitize(value)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

const percent = (share: number) => `${formatNumber(Math.round(share * 1000) / 10)} %`;

function usageLines(usage: CreditUsage): string[] {
  const out = [
    renderKeyValues(
      [
        ['Total', usage.total],
        ['Allocated', usage.allocated],
        ['Balance', usage.balance],
        ['Over-allocated by', usage.overAllocatedBy > 0 ? usage.overAllocatedBy : undefined],
        ['Over-allocated since', shortDateTime(usage.overAllocatedSince)],
        [`Ending within ${usage.horizonDays} days`, usage.expiringCredits],
      ],
      '  ',
    ),
  ];
  if (usage.overAllocatedBy > 0) {
    out.push(
      `  Over-allocated: allocations exceed the credits by ${formatNumber(usage.overAllocatedBy)}; they can only be lowered until the balance is back at zero.`,
    );
  }
  return out;
}

function distributionLines(usage: CreditUsage): string[] {
  const rows = usage.distribution ?? [];
  if (rows.length === 0) return ['  No services enabled.'];
  return [
    renderTable(
      [
        { header: 'SERVICE', maxWidth: 40 },
        { header: 'UNITS', align: 'right' },
        { header: 'CREDITS', align: 'right' },
        { header: 'SHARE', align: 'right' },
        { header: 'UPDATED' },
      ],
      rows.map((a) => [a.service, a.units, a.credits, percent(a.share), shortDate(a.updatedAt)]),
    ),
  ];
}

function expiringLines(usage: CreditUsage): string[] {
  const rows = usage.expiringSoon ?? [];
  if (rows.length === 0) return [];
  return [
    '',
    `Ending within ${usage.horizonDays} days`,
    renderTable(
      [
        { header: 'SOURCE', maxWidth: 60 },
        { header: 'KIND' },
        { header: 'CREDITS', align: 'right' },
        { header: 'EXPIRES' },
      ],
      rows.map((s) => [s.sourceId, s.kind, s.credits, shortDateTime(s.expiresAt)]),
    ),
  ];
}

function businessLines(b: Business): string[] {
  return [
    `Business ${cell(b.name)}`,
    renderKeyValues([
      ['Business id', b.businessId],
      ['Country', b.country],
      ['Data-centre region', b.dataCenterRegion],
      ['Time zone', b.timeZone],
      ['Primary email', b.primaryEmail],
      ['Registered', shortDate(b.createdAt)],
    ]),
  ];
}

function licenseRows(licenses: readonly LicenseView[]): CellValue[][] {
  const rows: CellValue[][] = [];
  for (const l of licenses) {
    rows.push([l.licenseId, l.origin, l.status, l.credits, shortDateTime(l.expiresAt), l.description ?? '']);
    for (const item of l.items ?? []) {
      const reason = item.endReason ? ` (${item.endReason})` : '';
      rows.push([
        `  #${item.itemNo} ${item.origin}`,
        '',
        `${item.state}${reason}`,
        item.credits,
        shortDateTime(item.expiresAt),
        '',
      ]);
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

type Command = (args: readonly string[], io: CliIo) => Promise<number>;

const servicesCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {});
  if (values.help) return usage(io);
  positionals(given, [], 'npm run licenses -- services');
  const ctx = contextFor(values, io);
  const answer = await call<ServicesResponse>(ctx, 'GET', '/services');
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  const services = answer.services ?? [];
  if (services.length === 0) {
    write(ctx, ['No services in the catalog.']);
    return 0;
  }
  write(ctx, [
    renderTable(
      [
        { header: 'SERVICE', maxWidth: 40 },
        { header: 'NAME', maxWidth: 40 },
        { header: 'UNIT' },
        { header: 'CREDITS/UNIT', align: 'right' },
        { header: 'PRODUCT', maxWidth: 30 },
      ],
      services.map((s) => [s.id, s.name, s.unit, s.creditsPerUnit, s.productCode]),
    ),
  ]);
  return 0;
};

const estimateCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {});
  if (values.help) return usage(io);
  if (given.length === 0) {
    throw new UsageError('Which services? Usage: npm run licenses -- estimate <service>=<units> […]');
  }
  if (given.length > 100) throw new UsageError('At most 100 services in one estimate');
  const lines = given.map((arg) => {
    const eq = arg.lastIndexOf('=');
    if (eq < 1) throw new UsageError(`Expected <service>=<units>, not ${sanitize(arg)}`);
    return {
      service: arg.slice(0, eq),
      units: parseUnits(arg.slice(eq + 1), `Units of ${sanitize(arg.slice(0, eq))}`),
    };
  });
  const ctx = contextFor(values, io);
  const estimate = await call<Estimate>(ctx, 'POST', '/estimate', { lines });
  if (ctx.json) {
    printJson(ctx, estimate);
    return 0;
  }
  write(ctx, [
    renderTable(
      [
        { header: 'SERVICE', maxWidth: 40 },
        { header: 'UNITS', align: 'right' },
        { header: 'UNIT' },
        { header: 'CREDITS/UNIT', align: 'right' },
        { header: 'CREDITS', align: 'right' },
      ],
      [
        ...(estimate.lines ?? []).map((l) => [l.id, l.units, l.unit, l.creditsPerUnit, l.credits]),
        ['total', '', '', '', estimate.total],
      ],
    ),
  ]);
  return 0;
};

const businessCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, { email: { type: 'string' } });
  if (values.help) return usage(io);
  const byEmail = values.email !== undefined;
  const [id] = positionals(
    given,
    byEmail ? [] : ['a business id'],
    'npm run licenses -- business <businessId> | business --email <email>',
  );
  const ctx = contextFor(values, io);
  let answer: BusinessResponse;
  if (byEmail) {
    const found = await call<BusinessResponse>(
      ctx,
      'GET',
      `/businesses?email=${encodeRfc3986(values.email ?? '')}`,
    );
    if (ctx.json) {
      printJson(ctx, found);
      return 0;
    }
    if (!found.business?.businessId) throw new Error('Unexpected response: no business');
    // The lookup by email answers the business only: its usage is one more request.
    answer = await call<BusinessResponse>(ctx, 'GET', `/businesses/${segment(found.business.businessId)}`);
  } else {
    answer = await call<BusinessResponse>(ctx, 'GET', `/businesses/${segment(id ?? '')}`);
    if (ctx.json) {
      printJson(ctx, answer);
      return 0;
    }
  }
  if (!answer.business) throw new Error('Unexpected response: no business');
  const out = businessLines(answer.business);
  if (answer.usage) out.push('', 'Credits', ...usageLines(answer.usage));
  write(ctx, out);
  return 0;
};

const licensesCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {});
  if (values.help) return usage(io);
  const [id] = positionals(given, ['a business id'], 'npm run licenses -- licenses <businessId>');
  const ctx = contextFor(values, io);
  const answer = await call<LicensesResponse>(ctx, 'GET', `/businesses/${segment(id ?? '')}/licenses`);
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  const licenses = answer.licenses ?? [];
  if (licenses.length === 0) {
    write(ctx, [`Business ${cell(answer.businessId)} holds no licenses.`]);
    return 0;
  }
  const live = licenses.filter((l) => l.credits > 0);
  write(ctx, [
    renderTable(
      [
        { header: 'LICENSE', maxWidth: 60 },
        { header: 'ORIGIN' },
        { header: 'STATUS' },
        { header: 'CREDITS', align: 'right' },
        { header: 'EXPIRES' },
        { header: 'DESCRIPTION', maxWidth: 40 },
      ],
      licenseRows(licenses),
    ),
    `${licenses.length} license${licenses.length === 1 ? '' : 's'}, ${live.length} counting now: ${formatNumber(
      live.reduce((sum, l) => sum + l.credits, 0),
    )} credits`,
  ]);
  return 0;
};

const usageCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {});
  if (values.help) return usage(io);
  const [id] = positionals(given, ['a business id'], 'npm run licenses -- usage <businessId>');
  const ctx = contextFor(values, io);
  const answer = await call<UsageResponse>(ctx, 'GET', `/businesses/${segment(id ?? '')}/usage`);
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  write(ctx, [
    `Credits of ${cell(answer.businessId)}`,
    ...usageLines(answer.usage),
    '',
    'Allocations',
    ...distributionLines(answer.usage),
    ...expiringLines(answer.usage),
  ]);
  return 0;
};

const allocateCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {});
  if (values.help) return usage(io);
  const [id = '', service = '', rawUnits = ''] = positionals(
    given,
    ['a business id', 'a service', 'the units'],
    'npm run licenses -- allocate <businessId> <service> <units>',
  );
  const units = parseUnits(rawUnits, 'units');
  const ctx = contextFor(values, io);
  const answer = await call<AllocationResponse>(
    ctx,
    'PUT',
    `/businesses/${segment(id)}/allocations/${segment(service)}`,
    { units },
  );
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  const a = answer.allocation;
  const what = a
    ? `${cell(a.service)}: ${formatNumber(a.units)} units, ${formatNumber(a.credits)} credits`
    : `${cell(service)}: not enabled`;
  write(ctx, [`${answer.changed ? 'Allocated' : 'Unchanged'}  ${what}`, ...usageLines(answer.usage)]);
  return 0;
};

const releaseCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {});
  if (values.help) return usage(io);
  const [id = '', service = ''] = positionals(
    given,
    ['a business id', 'a service'],
    'npm run licenses -- release <businessId> <service>',
  );
  const ctx = contextFor(values, io);
  const answer = await call<AllocationResponse>(
    ctx,
    'DELETE',
    `/businesses/${segment(id)}/allocations/${segment(service)}`,
  );
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  write(ctx, [
    answer.changed ? `Released  ${cell(service)}` : `Unchanged  ${cell(service)} was not enabled`,
    ...usageLines(answer.usage),
  ]);
  return 0;
};

const addLicenseCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {
    reference: { type: 'string' },
    product: { type: 'string' },
    credits: { type: 'string' },
    expires: { type: 'string' },
    description: { type: 'string' },
  });
  if (values.help) return usage(io);
  const [id = ''] = positionals(
    given,
    ['a business id'],
    'npm run licenses -- add-license <businessId> --reference R --product P --credits N --expires DATE',
  );
  for (const option of ['reference', 'product', 'credits', 'expires'] as const) {
    if (values[option] === undefined) throw new UsageError(`Missing --${option}`);
  }
  const credits = values.credits ?? '';
  if (!/^[1-9]\d{0,9}$/.test(credits)) {
    throw new UsageError(`--credits must be a whole number above zero, not ${sanitize(credits)}`);
  }
  const body = {
    reference: values.reference,
    productCode: values.product,
    credits: Number(credits),
    expiresAt: parseExpiry(values.expires ?? ''),
    ...(values.description !== undefined ? { description: values.description } : {}),
  };
  const ctx = contextFor(values, io);
  const answer = await call<AddLicenseResponse>(ctx, 'POST', `/businesses/${segment(id)}/licenses`, body);
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  const l = answer.license;
  write(ctx, [
    answer.created
      ? `Added license ${cell(l.reference)}: ${formatNumber(l.credits)} credits of ${cell(l.productCode)} until ${shortDateTime(l.expiresAt)}`
      : `Unchanged  license ${cell(l.reference)} was already added (${shortDateTime(l.createdAt)})`,
    ...usageLines(answer.usage),
  ]);
  return 0;
};

// ---------------------------------------------------------------------------------------------
// Orders from other channels (R12) and codes (R11)
// ---------------------------------------------------------------------------------------------

function plural(n: number, word: string): string {
  return `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;
}

function describeErrorCause(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}

const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

/** At most `max` bytes of `source`: more is a usage error, found without reading the rest. */
async function readAtMost(source: AsyncIterable<string | Uint8Array>, max: number, what: string) {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      size += bytes.length;
      if (size > max) {
        throw new UsageError(
          `${sentence(what)} is larger than ${formatNumber(max / 1024)} KiB: an order is a few KiB of JSON`,
        );
      }
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${what}: ${sanitize(describeErrorCause(error))}`);
  }
  return Buffer.concat(chunks);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/**
 * The order of `--file` (a path, or `-` for stdin) as one JSON object, checked before anything
 * is sent: at most MAX_ORDER_FILE_BYTES of UTF-8, valid JSON, an object. The API checks the rest.
 */
export async function readOrderFile(file: string, io: LicensesCliIo): Promise<Record<string, unknown>> {
  let source: AsyncIterable<string | Uint8Array>;
  let what: string;
  if (file === '-') {
    what = 'the order on stdin';
    if (io.stdin) {
      source = io.stdin;
    } else {
      if (process.stdin.isTTY) throw new UsageError('--file - reads the order from stdin: pipe it in');
      source = process.stdin;
    }
  } else {
    what = `the order file ${sanitize(file)}`;
    // At most one byte past the limit is read: a larger file (or /dev/zero) is refused as such.
    source = createReadStream(file, { start: 0, end: MAX_ORDER_FILE_BYTES });
  }
  const bytes = await readAtMost(source, MAX_ORDER_FILE_BYTES, what);
  let text: string;
  try {
    // A byte order mark, as some editors write, is dropped.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${sentence(what)} is not UTF-8 text`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${sentence(what)} is not valid JSON: ${sanitize(reason).slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(
      `${sentence(what)} must be one JSON object (an order: orderId, company, lines), not ${kindOf(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

const registeredCount = (order: OrderView) => (order.lines ?? []).filter((l) => l.registeredBy).length;
const creditsOf = (order: OrderView) => (order.lines ?? []).reduce((sum, l) => sum + (l.credits ?? 0), 0);

function orderSummary(o: OrderView): string {
  const lines = o.lines ?? [];
  return renderKeyValues([
    ['Company', o.company?.name],
    ['Company email', o.company?.email],
    ['Country', o.company?.country],
    ['State', o.state],
    ['Registered', `${formatNumber(registeredCount(o))} of ${plural(lines.length, 'line')}`],
    ['Credits', creditsOf(o)],
    ['Imported', shortDateTime(o.importedAt)],
    ['Imported by', o.importedBy],
  ]);
}

const importOrderCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {
    file: { type: 'string' },
    format: { type: 'string' },
  });
  if (values.help) return usage(io);
  const usageLine = 'npm run licenses -- import-order --file FILE (- for stdin)';
  positionals(given, [], usageLine);
  const file = required(values.file, '--file', usageLine);
  const json = wantsJson(values);
  const ctx = contextFor({ ...values, json }, io);
  const order = await readOrderFile(file, io);
  // The API takes at most MAX_JSON_BYTES of JSON: say so here, not with its 413.
  const sent = Buffer.byteLength(JSON.stringify(order));
  if (sent > MAX_JSON_BYTES) {
    throw new UsageError(
      `The order is ${formatNumber(sent)} bytes as compact JSON; the license API takes at most ${formatNumber(MAX_JSON_BYTES)}`,
    );
  }
  const answer = await call<ImportOrderResponse>(ctx, 'POST', '/orders', order);
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  const o = answer.order;
  if (!o) throw new Error('Unexpected response: no order');
  const lines = o.lines ?? [];
  write(ctx, [
    answer.created
      ? `Imported order ${cell(o.orderId)}`
      : `Order ${cell(o.orderId)} was already imported: nothing changed`,
    orderSummary(o),
    '',
    renderTable(
      [
        { header: 'LINE', align: 'right' },
        { header: 'SERVICE', maxWidth: 40 },
        { header: 'CREDITS', align: 'right' },
        { header: 'EXPIRES' },
        { header: 'REGISTRATION KEY' },
      ],
      lines.map((l) => [
        String(l.lineNo),
        l.service,
        l.credits,
        shortDateTime(l.expiresAt),
        l.registrationKey,
      ]),
    ),
    `${plural(lines.length, 'line')}, ${plural(creditsOf(o), 'credit')}; any one of these keys registers the whole order.`,
  ]);
  return 0;
};

const ordersCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {
    state: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    all: { type: 'boolean' },
    format: { type: 'string' },
  });
  if (values.help) return usage(io);
  positionals(given, [], 'npm run licenses -- orders [--state S] [--limit N] [--cursor C] [--all]');
  const { state, limit } = values;
  if (state !== undefined && !ORDER_STATES.some((s) => s === state)) {
    throw new UsageError(`--state must be ${ORDER_STATES.join(', ')}, not ${sanitize(state)}`);
  }
  if (limit !== undefined && !/^(?:[1-9]\d?|100)$/.test(limit)) {
    throw new UsageError(`--limit must be a whole number from 1 to 100, not ${sanitize(limit)}`);
  }
  if (values.cursor === '') throw new UsageError('--cursor must not be empty');
  const json = wantsJson(values);
  const ctx = contextFor({ ...values, json }, io);

  const {
    rows: orders,
    pages,
    nextCursor: next,
  } = await followPages<OrderView>(
    async (cursor) => {
      const page = await call<OrdersResponse>(ctx, 'GET', withQuery('/orders', { state, limit, cursor }));
      if (!Array.isArray(page.orders)) throw new Error('Unexpected response: no orders list');
      return { rows: page.orders, next: typeof page.nextCursor === 'string' ? page.nextCursor : undefined };
    },
    { cursor: values.cursor, all: values.all === true, who: 'API' },
  );

  if (ctx.json) {
    printJson(ctx, { orders, ...(next ? { nextCursor: next } : {}) });
    return 0;
  }
  const out: string[] = [];
  if (orders.length === 0) {
    // A state is filtered after a page is read: a page can hold none and still have a next one.
    out.push(next ? 'No orders on this page.' : state ? `No ${state} orders.` : 'No orders.');
  } else {
    out.push(
      renderTable(
        [
          { header: 'ORDER', maxWidth: 64 },
          { header: 'COMPANY', maxWidth: 40 },
          { header: 'STATE' },
          { header: 'REGISTERED', align: 'right' },
          { header: 'IMPORTED' },
        ],
        orders.map((o) => [
          o.orderId,
          o.company?.name,
          o.state,
          `${formatNumber(registeredCount(o))}/${formatNumber((o.lines ?? []).length)}`,
          shortDateTime(o.importedAt),
        ]),
      ),
      `${plural(orders.length, 'order')}${pages > 1 ? ` (${plural(pages, 'page')})` : ''}`,
    );
  }
  if (next) out.push(`More orders: add --all, or continue with --cursor ${sanitize(next)}`);
  write(ctx, out);
  return 0;
};

const orderCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, { format: { type: 'string' } });
  if (values.help) return usage(io);
  const usageLine = 'npm run licenses -- order <orderId>';
  const [given0] = positionals(given, ['an order id'], usageLine);
  const id = required(given0, 'an order id', usageLine);
  const json = wantsJson(values);
  const ctx = contextFor({ ...values, json }, io);
  const answer = await call<OrderResponse>(ctx, 'GET', `/orders/${segment(id)}`);
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  const o = answer.order;
  if (!o) throw new Error('Unexpected response: no order');
  const lines = o.lines ?? [];
  write(ctx, [
    `Order ${cell(o.orderId)}`,
    orderSummary(o),
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
            { header: 'STARTS' },
            { header: 'EXPIRES' },
            { header: 'REGISTRATION KEY' },
            { header: 'REGISTERED BY', maxWidth: 40 },
            { header: 'REGISTERED AT' },
            { header: 'LICENSE', maxWidth: 80 },
          ],
          lines.map((l: OrderLineView) => [
            String(l.lineNo),
            l.productCode,
            l.service,
            l.units,
            l.credits,
            shortDateTime(l.startsAt),
            shortDateTime(l.expiresAt),
            l.registrationKey,
            l.registeredBy,
            shortDateTime(l.registeredAt),
            l.licenseId,
          ]),
        ),
  ]);
  return 0;
};

/** The end client a lookup is budgeted for (the API's pattern: visible ASCII, at most 100). */
const CLIENT = /^[\x21-\x7e]{1,100}$/;

const lookupCodeCommand: Command = async (args, io) => {
  const { values, positionals: given } = parse(args, {
    client: { type: 'string' },
    format: { type: 'string' },
  });
  if (values.help) return usage(io);
  // A code may be typed in groups with spaces, quoted or not: the API reads it either way.
  const code = given.join(' ').trim();
  if (!code) throw new UsageError('Which code? Usage: npm run licenses -- lookup-code <code> [--client ID]');
  const client = values.client ?? 'cli';
  if (!CLIENT.test(client)) {
    throw new UsageError(`--client must be 1 to 100 visible ASCII characters, not ${sanitize(client)}`);
  }
  const json = wantsJson(values);
  const ctx = contextFor({ ...values, json }, io);
  const answer = await call<CodeLookupResponse>(ctx, 'POST', '/codes/lookup', { code, client });
  if (ctx.json) {
    printJson(ctx, answer);
    return 0;
  }
  if (answer.kind === 'registration-key') {
    write(ctx, [
      `Registration Key ${cell(answer.code)}`,
      renderKeyValues([
        ['Order', answer.orderId],
        ['Line', String(answer.lineNo)],
        ['Registered', answer.registered],
        ['Business', answer.businessId],
      ]),
    ]);
    return 0;
  }
  if (answer.kind === 'activation-code') {
    write(ctx, [
      `Activation Code ${cell(answer.code)}`,
      renderKeyValues([
        ['License', answer.licenseId],
        ['Item', String(answer.itemNo)],
      ]),
    ]);
    return 0;
  }
  throw new Error(
    `Unexpected response: a code of kind ${sanitize(String((answer as { kind?: unknown }).kind))}`,
  );
};

function usage(io: CliIo): number {
  io.stdout.write(USAGE);
  return 0;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  services: servicesCommand,
  estimate: estimateCommand,
  business: businessCommand,
  licenses: licensesCommand,
  usage: usageCommand,
  allocate: allocateCommand,
  release: releaseCommand,
  'add-license': addLicenseCommand,
  'import-order': importOrderCommand,
  orders: ordersCommand,
  order: orderCommand,
  'lookup-code': lookupCodeCommand,
};

function describeDetails(details: Readonly<Record<string, unknown>>): string {
  return Object.entries(details)
    .map(
      ([key, value]) =>
        `${sanitize(key)}: ${sanitize(typeof value === 'string' ? value : JSON.stringify(value))}`,
    )
    .join(', ');
}

function isTextRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}

function waitFor(seconds: number): string {
  const s = Math.ceil(seconds);
  return s < 120 ? plural(s, 'second') : plural(Math.ceil(s / 60), 'minute');
}

function report(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || error instanceof SignedFetchConfigError) {
    io.stderr.write(`${error.message}\nRun "npm run licenses -- help" for usage.\n`);
    return 2;
  }
  if (error instanceof ApiError) {
    const code = error.code ? ` [${sanitize(error.code)}]` : '';
    // An invalid order names each field it refuses (`lines[0].service`): one line each.
    const { fields, ...rest } = error.details;
    const byField = isTextRecord(fields) ? Object.entries(fields) : undefined;
    const details = describeDetails(byField ? rest : error.details);
    const retry = error.details.retryAfterSeconds;
    io.stderr.write(
      [
        `Error${code}: ${sanitize(error.message)} (HTTP ${error.status})\n`,
        ...(byField ?? []).map(([field, problem]) => `  ${sanitize(field)}: ${sanitize(problem)}\n`),
        details ? `  ${details}\n` : '',
        typeof retry === 'number' && retry > 0 ? `  Try again in ${waitFor(retry)}.\n` : '',
      ].join(''),
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
 * Runs one CLI invocation in-process. `argv` is what follows `npm run licenses --`. Resolves to
 * the exit code: 0 success, 1 failure (the API refused, network, credentials), 2 usage error.
 */
export async function run(argv: readonly string[], io: LicensesCliIo): Promise<number> {
  return dispatch({ usage: USAGE, commands: COMMANDS, report }, argv, io);
}

await runIfMain(import.meta.url, run);

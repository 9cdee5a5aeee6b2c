import { type ParseArgsConfig, parseArgs } from 'node:util';
// The API's shapes come from the domain the license API serves, so the CLI cannot drift from it.
import type { Estimate } from '../../lib/domain/credits/estimate.js';
import type { CreditUsage } from '../../lib/domain/credits/ledger.js';
import type { DirectLicense, LicenseView } from '../../lib/domain/credits/licenses.js';
import type { Allocation } from '../../lib/domain/credits/model.js';
import type { Service } from '../../lib/domain/product/catalog.js';
import type { Business } from '../../lib/domain/setup/model.js';
import { dispatch, runIfMain } from '../dispatch.js';
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
  help
      This text.

Options for every command:
  --url URL    The license API function URL (default: $LICENSES_URL)
  --json       Print the API's JSON as it came, instead of tables.
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

const segment = (value: string) => encodeRfc3986(value);

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
    io.stderr.write(`${error.message}\nRun "npm run licenses -- help" for usage.\n`);
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
 * Runs one CLI invocation in-process. `argv` is what follows `npm run licenses --`. Resolves to
 * the exit code: 0 success, 1 failure (the API refused, network, credentials), 2 usage error.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  return dispatch({ usage: USAGE, commands: COMMANDS, report }, argv, io);
}

await runIfMain(import.meta.url, run);

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  MAX_FORM_BYTES,
  MalformedBodyError,
  PayloadTooLargeError,
  parseFormBody,
  UnsupportedMediaTypeError,
} from '../../lib/adapters/http/form-body.js';
import { listenOn } from '../http-server.js';
import { type LicenseApi, LicenseApiError } from './license-api.js';
import {
  CONTENT_SECURITY_POLICY,
  dashboardPage,
  type Flash,
  problemPage,
  refusalText,
  signInPage,
} from './pages.js';

export interface ProductConsoleOptions {
  /** Interface to bind; loopback unless you mean to expose it. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly api: LicenseApi;
  /** Shown on the pages (the deployment's productName). */
  readonly productName: string;
  /** The license API's URL, printed on the sign-in page. */
  readonly licensesUrl: string;
}

export interface RunningProductConsole {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly cookies?: readonly string[];
  readonly body: string;
}

/** The signed-in email. A local demo: the cookie is the whole sign-in, with nothing secret in it. */
const COOKIE = 'product-email';
const COOKIE_MAX_AGE = 8 * 60 * 60;

type Fields = ReadonlyMap<string, string>;

/** A form value the stand-in cannot send on; shown like a refusal. */
class FormError extends Error {
  override readonly name = 'FormError';
}

/**
 * The vendor's product, reduced to what a business does with its credits: sign in by email
 * (no password; a stand-in), see credits, licenses and services, enable, resize and disable
 * services. Pages are rendered from the license API on every GET; every form POSTs here, becomes
 * one signed license API request and a 303 back to `/` with what happened.
 */
export function startProductConsole(options: ProductConsoleOptions): Promise<RunningProductConsole> {
  const server = createServer((req, res) => {
    readBody(req, (body, tooLarge) => {
      handle(options, req, body, tooLarge)
        .catch((error: unknown) => unexpected(options, error))
        .then((reply) => send(res, reply));
    });
  });
  return listenOn(server, options.host ?? '127.0.0.1', options.port ?? 0);
}

async function handle(
  options: ProductConsoleOptions,
  req: IncomingMessage,
  body: string,
  tooLarge: boolean,
): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://product.invalid');
  const email = signedInEmail(req);
  if (url.pathname === '/') {
    if (req.method !== 'GET') return notAllowed(options, 'GET', url);
    const flash: Flash = {
      done: url.searchParams.get('done')?.slice(0, 500),
      refused: url.searchParams.get('refused')?.slice(0, 800),
    };
    return email === undefined ? signIn(options, flash) : dashboard(options, email, flash);
  }
  const action = ACTIONS[url.pathname];
  if (action === undefined) {
    return page(
      404,
      problemPage(options.productName, 'Page not found', `There is no page at ${url.pathname}.`, ''),
    );
  }
  if (req.method !== 'POST') return notAllowed(options, 'POST', url);
  if (isCrossSite(req)) {
    return page(
      403,
      problemPage(
        options.productName,
        'Refused',
        'Only the product’s own pages can change it.',
        'Use its forms.',
      ),
    );
  }
  let fields: Fields;
  try {
    if (tooLarge) throw new PayloadTooLargeError(`Form bodies are limited to ${MAX_FORM_BYTES} bytes`);
    fields = parseFormBody({ body, contentType: req.headers['content-type'] });
  } catch (error) {
    if (
      error instanceof PayloadTooLargeError ||
      error instanceof UnsupportedMediaTypeError ||
      error instanceof MalformedBodyError
    ) {
      return back({ refused: `That form could not be read: ${error.message}. Nothing was changed.` });
    }
    throw error;
  }
  try {
    return await action(options, fields, email);
  } catch (error) {
    if (error instanceof LicenseApiError && error.status < 500) return back({ refused: refusalText(error) });
    if (error instanceof FormError) return back({ refused: `${error.message}. Nothing was changed.` });
    if (error instanceof LicenseApiError || isNetworkError(error)) {
      return back({
        refused: `The license API failed or could not be reached (${describe(error)}); nothing may have changed. Try again.`,
      });
    }
    throw error;
  }
}

type Action = (options: ProductConsoleOptions, fields: Fields, email: string | undefined) => Promise<Reply>;

const ACTIONS: Readonly<Record<string, Action>> = {
  '/sign-in': async ({ api }, fields) => {
    const email = field(fields, 'email').trim().toLowerCase();
    const business = await api.findBusiness(email);
    return back({ done: `Signed in to ${business.name}` }, [cookie(email, COOKIE_MAX_AGE)]);
  },
  '/sign-out': async () => back({ done: 'Signed out' }, [cookie('', 0)]),
  '/allocations': async ({ api }, fields, email) => {
    const business = await signedInBusiness(api, email);
    const service = field(fields, 'service');
    const units = wholeUnits(fields);
    const answer = await api.allocate(business.businessId, service, units);
    return back({
      done: answer.changed
        ? `${service} now holds ${units} units; balance ${answer.usage.balance.toLocaleString('en-US')} credits`
        : `${service} already had ${units} units: nothing changed`,
    });
  },
  '/allocations/disable': async ({ api }, fields, email) => {
    const business = await signedInBusiness(api, email);
    const service = field(fields, 'service');
    const answer = await api.release(business.businessId, service);
    return back({
      done: answer.changed
        ? `${service} disabled; balance ${answer.usage.balance.toLocaleString('en-US')} credits`
        : `${service} was not enabled: nothing changed`,
    });
  },
};

async function signIn(options: ProductConsoleOptions, flash: Flash): Promise<Reply> {
  return page(200, signInPage({ productName: options.productName, flash, licensesUrl: options.licensesUrl }));
}

async function dashboard(options: ProductConsoleOptions, email: string, flash: Flash): Promise<Reply> {
  const { api } = options;
  try {
    const found = await api.findBusiness(email);
    const [{ business, usage }, licenses, services] = await Promise.all([
      api.business(found.businessId),
      api.licenses(found.businessId),
      api.services(),
    ]);
    return page(
      200,
      dashboardPage({ productName: options.productName, email, business, usage, licenses, services, flash }),
    );
  } catch (error) {
    // A cookie from before a `--fresh` start: sign in again.
    if (error instanceof LicenseApiError && error.code === 'unknown-business') {
      return {
        ...(await signIn(options, { refused: `${refusalText(error)} (signed in as ${email})` })),
        cookies: [cookie('', 0)],
      };
    }
    if (error instanceof LicenseApiError || isNetworkError(error)) {
      return page(
        502,
        problemPage(
          options.productName,
          'The license API did not answer',
          `The product could not read the business's credits: ${describe(error)}.`,
          'Check that the local stack is running, then reload.',
        ),
      );
    }
    throw error;
  }
}

async function signedInBusiness(api: LicenseApi, email: string | undefined) {
  if (email === undefined) throw new FormError('You are not signed in');
  return api.findBusiness(email);
}

function signedInEmail(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (part.slice(0, eq).trim() !== COOKIE) continue;
    try {
      const value = decodeURIComponent(part.slice(eq + 1).trim());
      return value === '' ? undefined : value;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function cookie(email: string, maxAge: number): string {
  return `${COOKIE}=${encodeURIComponent(email)}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax`;
}

function back(flash: Flash, cookies: readonly string[] = []): Reply {
  const query = new URLSearchParams();
  if (flash.done) query.set('done', flash.done);
  if (flash.refused) query.set('refused', flash.refused);
  const search = query.size > 0 ? `?${query}` : '';
  return {
    status: 303,
    headers: { location: `/${search}` },
    cookies,
    body: '',
  };
}

function field(fields: Fields, name: string): string {
  const value = fields.get(name);
  if (value === undefined || value.trim() === '') throw new FormError(`The form field ${name} is missing`);
  return value;
}

/** Whole numbers only: `1e3`, `10.0` or ` 5x` are refused rather than guessed at. */
function wholeUnits(fields: Fields): number {
  const text = field(fields, 'units').trim();
  if (!/^\d{1,9}$/.test(text))
    throw new FormError(`Units must be a whole number, got "${text.slice(0, 20)}"`);
  return Number(text);
}

/**
 * A page elsewhere in the browser must not drive the product (CSRF), as on the marketplace
 * page; nor a page on a domain that resolves to loopback (DNS rebinding), whose requests carry
 * that domain as their Host: only the loopback names are served.
 */
function isCrossSite(req: IncomingMessage): boolean {
  if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(req.headers.host ?? '')) return true;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  // `null` is what browsers send for same-origin posts under Referrer-Policy: no-referrer.
  const origin = req.headers.origin;
  return origin !== undefined && origin !== 'null' && origin !== `http://${req.headers.host ?? ''}`;
}

function isNetworkError(error: unknown): boolean {
  return error instanceof Error && error.name === 'NetworkError';
}

function describe(error: unknown): string {
  if (error instanceof LicenseApiError) return `${error.status} ${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function notAllowed(options: ProductConsoleOptions, allowed: 'GET' | 'POST', url: URL): Reply {
  return {
    ...page(
      405,
      problemPage(options.productName, 'Method not allowed', `${url.pathname} accepts ${allowed} only.`, ''),
    ),
    headers: { allow: allowed },
  };
}

function unexpected(options: ProductConsoleOptions, error: unknown): Reply {
  console.error('product stand-in: unexpected error', error);
  return page(
    500,
    problemPage(
      options.productName,
      'Something went wrong',
      'The product stand-in failed unexpectedly; the details are in its log.',
      'Try again.',
    ),
  );
}

function page(status: number, body: string): Reply {
  return { status, body };
}

function send(res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    ...reply.headers,
    ...(reply.cookies?.length ? { 'set-cookie': [...reply.cookies] } : {}),
    'content-length': String(body.length),
  });
  res.end(body);
}

// An oversized body is read to its end and dropped, so the client gets a clean answer rather
// than a reset while still writing; past this multiple of the limit the connection is cut.
const DISCARD_LIMIT_FACTOR = 16;

function readBody(req: IncomingMessage, onComplete: (body: string, tooLarge: boolean) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_FORM_BYTES * DISCARD_LIMIT_FACTOR) req.destroy();
    else if (size > MAX_FORM_BYTES) chunks.length = 0;
    else chunks.push(chunk);
  });
  req.on('end', () => onComplete(Buffer.concat(chunks).toString('utf8'), size > MAX_FORM_BYTES));
  req.on('error', () => {});
}

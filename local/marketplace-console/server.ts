import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  MAX_FORM_BYTES,
  MalformedBodyError,
  PayloadTooLargeError,
  parseFormBody,
  UnsupportedMediaTypeError,
} from '../../lib/adapters/http/form-body.js';
import { listenOn } from '../http-server.js';
import { AgreementStateError, LicenseStateError } from '../marketplace-simulator/index.js';
import {
  ConsoleInputError,
  ConsoleNotFoundError,
  type MarketplaceConsole,
  NotificationPublishError,
} from './console.js';
import { NOTIFICATION_MODES, type NotificationMode } from './notifications.js';
import { type ApiOrder, newOrderId, OrdersApiError } from './orders.js';
import { contentSecurityPolicy, homePage, messagePage, ordersPage, vendorConsolePage } from './page.js';

export interface MarketplaceConsoleServerOptions {
  /** Interface to bind; loopback unless you mean to expose the console. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly console: MarketplaceConsole;
}

export interface RunningMarketplaceConsole {
  /** `http://host:port`, no trailing slash. */
  readonly url: string;
  /** Stops listening and drops keep-alive connections; safe to call twice. */
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string;
  json?: boolean;
}

type Fields = ReadonlyMap<string, string>;
/** What an action did (shown on the home page), or where to go next with it. */
type Action = (fields: Fields, console: MarketplaceConsole) => Promise<string | { location: string }>;

/** Every POST route: it does one thing, then the page shows what it did. */
const ACTIONS: Readonly<Record<string, Action>> = {
  '/buyers': async (f, c) => {
    const buyer = c.createBuyer(field(f, 'name'));
    return `Created buyer ${buyer.name} with AWS account ${buyer.accountId}`;
  },
  '/purchases': async (f, c) =>
    (
      await c.purchase({
        accountId: field(f, 'accountId'),
        productCode: field(f, 'productCode'),
        credits: count(f, 'credits'),
        months: count(f, 'months'),
        mode: mode(f),
        autoRenew: f.get('autoRenew') === 'on',
        ...offer(f),
        ...drop(f),
      })
    ).summary,
  '/licenses/upgrade': async (f, c) =>
    (await c.upgrade({ licenseArn: field(f, 'licenseArn'), credits: count(f, 'credits'), ...drop(f) }))
      .summary,
  '/licenses/renew': async (f, c) => (await c.renew(termRequest(f))).summary,
  '/licenses/renew-new-license': async (f, c) => (await c.renewWithNewLicense(termRequest(f))).summary,
  '/licenses/replace': async (f, c) => (await c.replaceWithPrivateOffer(termRequest(f))).summary,
  '/licenses/cancel': async (f, c) =>
    (await c.cancel({ licenseArn: field(f, 'licenseArn'), ...drop(f) })).summary,
  // R12: an order from another channel, imported through the license API; its page shows the keys.
  '/orders': async (f, c) => {
    const lines = [1, 2, 3].flatMap((n) => {
      const service = f.get(`service${n}`)?.trim();
      if (!service) return [];
      const by = f.get(`by${n}`) ?? 'units';
      if (by !== 'units' && by !== 'credits') throw new ConsoleInputError(`Line ${n}: units or credits`);
      return [{ service, by, amount: whole(f, `amount${n}`), months: whole(f, `months${n}`) } as const];
    });
    const { created, order } = await c.importOrder({
      orderId: field(f, 'orderId').trim(),
      company: field(f, 'company'),
      country: f.get('country'),
      lines,
    });
    const done = `${created ? 'Imported' : 'Already imported:'} order ${order.orderId} with ${order.lines.length} line(s)`;
    return {
      location: `/orders?order=${encodeURIComponent(order.orderId)}&done=${encodeURIComponent(done)}`,
    };
  },
  '/licenses/auto-renew': async (f, c) => {
    const enabled = field(f, 'enabled');
    if (enabled !== 'true' && enabled !== 'false')
      throw new ConsoleInputError('enabled must be true or false');
    return (
      await c.setAutoRenew({ licenseArn: field(f, 'licenseArn'), enabled: enabled === 'true', ...drop(f) })
    ).summary;
  },
};

/** A new term: months, optional new credits, and the drop checkbox. */
function termRequest(f: Fields): {
  licenseArn: string;
  months: number;
  credits?: number;
  dropNotifications: boolean;
} {
  const credits = f.get('credits')?.trim() ? count(f, 'credits') : undefined;
  const request = { licenseArn: field(f, 'licenseArn'), months: count(f, 'months'), ...drop(f) };
  return credits === undefined ? request : { ...request, credits };
}

/** The "drop the notifications" checkbox of every action. */
const drop = (f: Fields): { dropNotifications: boolean } => ({ dropNotifications: f.get('drop') === 'on' });

/** The purchase's offer: `public` (default), `free-trial` or `channel-partner`. */
function offer(f: Fields): { freeTrial: boolean; channelPartner: boolean } {
  const value = f.get('offer') ?? 'public';
  if (value !== 'public' && value !== 'free-trial' && value !== 'channel-partner') {
    throw new ConsoleInputError('offer must be public, free-trial or channel-partner');
  }
  return { freeTrial: value === 'free-trial', channelPartner: value === 'channel-partner' };
}

const PAGES: Readonly<
  Record<string, (c: MarketplaceConsole, query: URLSearchParams) => Reply | Promise<Reply>>
> = {
  '/': (c, query) => {
    const state = c.state();
    // A token per render: the real button mints one per click, and tokens expire after hours.
    const tokens = new Map(
      state.licenses
        .filter((l) => l.status === 'active')
        .map((l) => [l.licenseArn, c.mintToken(l.licenseArn)]),
    );
    const flash = query.get('done')?.slice(0, 500);
    return {
      status: 200,
      body: homePage({
        state,
        products: c.products,
        defaultMode: c.defaultMode,
        setupUrl: c.setupUrl,
        productUrl: c.productUrl,
        tokens,
        flash,
      }),
    };
  },
  '/console': (c) => ({ status: 200, body: vendorConsolePage(c.productUrl) }),
  '/orders': async (c, query) => {
    const wanted = query.get('order')?.slice(0, 64);
    let order: ApiOrder | undefined;
    let recent: readonly ApiOrder[] = [];
    const problems: string[] = [];
    if (c.orders) {
      const [one, list] = await Promise.allSettled([
        wanted ? c.orders.order(wanted) : Promise.resolve(undefined),
        c.orders.recent(10),
      ]);
      if (one.status === 'fulfilled') order = one.value;
      else problems.push(`Order ${wanted}: ${describe(one.reason)}`);
      if (list.status === 'fulfilled') recent = list.value;
      else problems.push(`Recent orders: ${describe(list.reason)}`);
    }
    return {
      status: 200,
      body: ordersPage({
        products: c.products,
        available: c.orders !== undefined,
        registerUrl: c.registerUrl,
        newOrderId: newOrderId(),
        order,
        recent,
        flash: query.get('done')?.slice(0, 500),
        problem: problems.length > 0 ? problems.join(' ') : undefined,
      }),
    };
  },
  '/api/state': (c) => ({ status: 200, body: `${JSON.stringify(c.state(), null, 2)}\n`, json: true }),
};

/** Serves the console on a free loopback port unless told otherwise. */
export function startMarketplaceConsole(
  options: MarketplaceConsoleServerOptions,
): Promise<RunningMarketplaceConsole> {
  const host = options.host ?? '127.0.0.1';
  const csp = contentSecurityPolicy(options.console.setupUrl);
  const server = createServer((req, res) => {
    readBody(req, (body, tooLarge) => {
      handle(options.console, req, body, tooLarge)
        .catch((error: unknown) => errorReply(error))
        .then((reply) => send(res, reply, csp));
    });
  });
  return listenOn(server, host, options.port ?? 0);
}

async function handle(
  c: MarketplaceConsole,
  req: IncomingMessage,
  body: string,
  tooLarge: boolean,
): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://console.invalid');
  const page = PAGES[url.pathname];
  const action = ACTIONS[url.pathname];
  // A path may have both (GET /orders shows them, POST /orders imports one).
  if (page !== undefined && (req.method === 'GET' || action === undefined)) {
    return req.method === 'GET' ? page(c, url.searchParams) : notAllowed('GET', url);
  }
  if (action === undefined) {
    return error(
      404,
      'Page not found',
      `There is no page at ${url.pathname}.`,
      'Start from the marketplace page.',
    );
  }
  if (req.method !== 'POST') return notAllowed('POST', url);
  if (isCrossSite(req)) {
    return error(
      403,
      'Refused',
      'Only the console’s own pages can change the marketplace.',
      'Use its forms.',
    );
  }
  if (tooLarge) throw new PayloadTooLargeError(`Form bodies are limited to ${MAX_FORM_BYTES} bytes`);
  const done = await action(parseFormBody({ body, contentType: req.headers['content-type'] }), c);
  const location = typeof done === 'string' ? `/?done=${encodeURIComponent(done)}` : done.location;
  return { status: 303, headers: { location }, body: '' };
}

function notAllowed(allowed: 'GET' | 'POST', url: URL): Reply {
  const both = PAGES[url.pathname] !== undefined && ACTIONS[url.pathname] !== undefined;
  const allow = both ? 'GET, POST' : allowed;
  return {
    ...error(405, 'Method not allowed', `${url.pathname} accepts ${allow} only.`),
    headers: { allow },
  };
}

/** A license API answer in a sentence, for the orders page. */
function describe(caught: unknown): string {
  return caught instanceof OrdersApiError
    ? `${caught.message} (${caught.status} ${caught.code})`
    : 'the license API could not be reached';
}

/** A page elsewhere in the browser must not drive the local marketplace (CSRF). */
function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  // `null` is what browsers send for same-origin posts under Referrer-Policy: no-referrer.
  const origin = req.headers.origin;
  return origin !== undefined && origin !== 'null' && origin !== `http://${req.headers.host ?? ''}`;
}

function errorReply(caught: unknown): Reply {
  if (caught instanceof ConsoleInputError || caught instanceof MalformedBodyError) {
    return error(
      400,
      'That did not work',
      caught.message,
      'Nothing was changed. Correct the value and try again.',
    );
  }
  if (caught instanceof ConsoleNotFoundError) {
    return error(
      404,
      'Not found',
      caught.message,
      'Nothing was changed. Pick one from the marketplace page.',
    );
  }
  if (caught instanceof PayloadTooLargeError) {
    return error(413, 'Form too large', caught.message, 'Nothing was changed.');
  }
  if (caught instanceof UnsupportedMediaTypeError) {
    return error(415, 'Unsupported form', caught.message, 'Nothing was changed. Send an HTML form.');
  }
  if (caught instanceof OrdersApiError) {
    return caught.status < 500
      ? error(
          caught.status === 409 ? 409 : 400,
          'The license API refused the order',
          `${caught.message} (${caught.code})`,
          'Nothing was imported. Correct the order and try again: an order id imported before with other lines is refused.',
        )
      : error(
          502,
          'The license API failed',
          `${caught.message} (${caught.status})`,
          'Nothing was imported. Try again.',
        );
  }
  if (caught instanceof LicenseStateError || caught instanceof AgreementStateError) {
    return error(409, 'Not possible now', caught.message, 'Nothing was changed.');
  }
  if (caught instanceof NotificationPublishError) {
    return error(
      502,
      'Notification not queued',
      `${caught.message}. The change itself stands (the marketplace does not roll back).`,
      'Check that the notifications queue is running; the backend will catch up at the next notification for this license.',
    );
  }
  console.error('marketplace console: unexpected error', caught);
  return error(
    500,
    'Something went wrong',
    'The console failed unexpectedly; the details are in its log.',
    'Try again.',
  );
}

function error(status: number, title: string, message: string, next = ''): Reply {
  return { status, body: messagePage(title, message, next) };
}

function send(res: ServerResponse, reply: Reply, csp: string): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, {
    'content-type': reply.json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Pages carry live registration tokens.
    'cache-control': 'no-store',
    ...reply.headers,
    'content-length': String(body.length),
  });
  res.end(body);
}

// An oversized body is read to its end and dropped, so the client gets a clean 413 rather than a
// reset while still writing; past this multiple of the limit the connection is cut.
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
  // A client that goes away mid-request needs no answer.
  req.on('error', () => {});
}

function field(fields: Fields, name: string): string {
  const value = fields.get(name);
  if (value === undefined || value.trim() === '')
    throw new ConsoleInputError(`The form field ${name} is missing`);
  return value;
}

/** A whole number field of an order line; refused in the same words as `count`. */
function whole(fields: Fields, name: string): number {
  const text = field(fields, name).trim();
  if (!/^\d{1,9}$/.test(text))
    throw new ConsoleInputError(`${name} must be a whole number, got "${text.slice(0, 20)}"`);
  return Number(text);
}

/** Whole numbers only: `1e3`, `10.0` or ` 5x` are refused rather than guessed at. */
function count(fields: Fields, name: 'credits' | 'months'): number {
  const text = field(fields, name).trim();
  if (!/^\d{1,9}$/.test(text))
    throw new ConsoleInputError(`${name} must be a whole number, got "${text.slice(0, 20)}"`);
  return Number(text);
}

function mode(fields: Fields): NotificationMode | undefined {
  const value = fields.get('mode');
  if (value === undefined || value === '') return undefined;
  const known = NOTIFICATION_MODES.find((m) => m === value);
  if (known === undefined) throw new ConsoleInputError('mode must be sns or eventbridge');
  return known;
}

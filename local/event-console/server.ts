import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  MalformedBodyError,
  PayloadTooLargeError,
  parseFormBody,
  UnsupportedMediaTypeError,
} from '../../lib/adapters/http/form-body.js';
import { parseWebhookSecrets, verifyWebhook } from '../../lib/adapters/webhooks/signature.js';
import { listenOn } from '../http-server.js';
import {
  AWS_JSON_CONTENT_TYPE,
  AwsJsonError,
  GET_SECRET_VALUE_TARGET,
  getSecretValue,
  PUT_EVENTS_TARGET,
  parseAwsJson,
  putEvents,
  type SecretAnswer,
} from './aws-json.js';
import { CONTENT_SECURITY_POLICY, eventsPage, problemPage } from './page.js';
import { createEventLog, type EventLog, type ReceivedEvent } from './store.js';

export interface EventConsoleOptions {
  /** Interface to bind; loopback unless you mean to expose it. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /**
   * `whsec_…`, or two during a rotation: what GetSecretValue answers and what the webhook
   * receiver verifies with.
   */
  readonly webhookSecret: string;
  /** One line per event that arrives (and per request refused), for the stack's terminal. */
  readonly log?: (line: string) => void;
  /**
   * Starts the daily notices run (expiry notices, lapsed ledgers, sales digest) from the page's
   * button, as the schedule does once a day; the local stack passes it. It runs in the background:
   * its mails reach local SES and its events this page.
   */
  readonly runDailyNotices?: () => void;
  /** Starts the reconciliation sweep (what its daily schedule runs) or the one-time backfill. */
  readonly runSweep?: (action: 'incremental' | 'backfill') => void;
}

export interface RunningEventConsole {
  /** `http://host:port`, no trailing slash: the page, and the EventBridge and Secrets Manager endpoint. */
  readonly url: string;
  /** Where the backend delivers webhooks: `${url}/webhook`. */
  readonly webhookUrl: string;
  /** Every event and delivery attempt so far, oldest first (the page shows newest first). */
  received(): readonly ReceivedEvent[];
  clear(): void;
  /** The next `n` webhook deliveries are answered 503 (and kept, as failed attempts). */
  failNextWebhooks(n: number): void;
  /** Stops listening and drops keep-alive connections; safe to call twice. */
  stop(): Promise<void>;
}

interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

interface Console {
  readonly options: EventConsoleOptions;
  readonly keys: readonly Buffer[];
  readonly secret: SecretAnswer;
  readonly events: EventLog;
  readonly log: (line: string) => void;
  failures: number;
  url: string;
}

/** As a seller's endpoint might; the Standard Webhooks reference libraries set no limit. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Ten entries of up to 256 KB each, JSON-escaped: a body past this is no PutEvents AWS takes. */
const MAX_AWS_JSON_BYTES = 4 * 1024 * 1024;
const MAX_FORM_BYTES = 16 * 1024;
const MAX_INJECTED_FAILURES = 100;
// An oversized body is read to its end and dropped, so the client gets a clean 413 rather than a
// reset while still writing; past this multiple of the limit the connection is cut.
const DISCARD_LIMIT_FACTOR = 16;

/**
 * Where the backend's events end up on a laptop: an EventBridge bus and a Secrets Manager the
 * real SDK clients talk to (awsJson1_1 on `POST /`), a seller's webhook endpoint that checks
 * Standard Webhooks signatures (`POST /webhook`), and a page listing all of it (`GET /`).
 * The secret is parsed first, so a malformed one stops the start with its reason.
 */
export async function startEventConsole(options: EventConsoleOptions): Promise<RunningEventConsole> {
  const state: Console = {
    options,
    keys: parseWebhookSecrets(options.webhookSecret),
    secret: { secretString: options.webhookSecret, createdAt: new Date(), versionId: randomUUID() },
    events: createEventLog(),
    log: options.log ?? (() => {}),
    failures: 0,
    url: '',
  };
  const server = createServer((req, res) => {
    readBody(req, bodyLimit(req), (body, tooLarge) => {
      let reply: Reply;
      try {
        reply = handle(state, req, body, tooLarge);
      } catch (error) {
        state.log(`events  unexpected error: ${error instanceof Error ? error.message : String(error)}`);
        reply = htmlReply(500, problemPage('Something went wrong', 'The event console failed; see its log.'));
      }
      send(res, reply);
    });
  });
  const running = await listenOn(server, options.host ?? '127.0.0.1', options.port ?? 0);
  state.url = running.url;
  return {
    url: running.url,
    webhookUrl: `${running.url}/webhook`,
    received: () => state.events.all(),
    clear: () => state.events.clear(),
    failNextWebhooks: (n) => {
      state.failures = injectedFailures(n);
    },
    stop: running.close,
  };
}

function handle(state: Console, req: IncomingMessage, body: Buffer, tooLarge: boolean): Reply {
  const url = new URL(req.url ?? '/', 'http://events.invalid');
  if (!isServedHost(state, req)) {
    return htmlReply(403, problemPage('Refused', 'The event console answers to its loopback address only.'));
  }
  const route = ROUTES[url.pathname];
  if (route === undefined)
    return htmlReply(404, problemPage('Not found', `There is no page at ${url.pathname}.`));
  const method = req.method ?? '';
  const run = route[method as 'GET' | 'POST'];
  if (run === undefined) {
    const allow = Object.keys(route).join(', ');
    return {
      ...htmlReply(405, problemPage('Method not allowed', `${url.pathname} accepts ${allow}.`)),
      headers: { allow },
    };
  }
  if (method === 'POST' && isCrossSite(req)) {
    return htmlReply(403, problemPage('Refused', 'Only the event console’s own page can change it.'));
  }
  return run(state, { req, url, body, tooLarge });
}

interface Request {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly body: Buffer;
  readonly tooLarge: boolean;
}

type Route = Partial<Record<'GET' | 'POST', (state: Console, request: Request) => Reply>>;

const ROUTES: Readonly<Record<string, Route>> = {
  '/': {
    GET: (state, { url }) =>
      htmlReply(
        200,
        eventsPage({
          events: state.events.all().toReversed(),
          url: state.url,
          webhookUrl: `${state.url}/webhook`,
          pendingFailures: state.failures,
          canRunNotices: state.options.runDailyNotices !== undefined,
          canRunSweep: state.options.runSweep !== undefined,
          done: url.searchParams.get('done')?.slice(0, 200),
        }),
      ),
    POST: (state, request) => awsCall(state, request),
  },
  '/events.json': {
    GET: (state) => jsonReply(200, `${JSON.stringify(state.events.all().toReversed(), null, 2)}\n`),
  },
  '/webhook': { POST: (state, request) => receiveWebhook(state, request) },
  '/run-notices': {
    POST: (state) => {
      if (!state.options.runDailyNotices)
        return htmlReply(
          404,
          problemPage('Not here', 'This console was started without the notices function.'),
        );
      state.options.runDailyNotices();
      return back('Started the daily notices run: its mails go to local SES, its events appear here');
    },
  },
  '/run-sweep': {
    POST: (state, request) => {
      if (!state.options.runSweep)
        return htmlReply(
          404,
          problemPage('Not here', 'This console was started without the sweep function.'),
        );
      const backfill =
        new URLSearchParams(request.body.toString('utf8').slice(0, 200)).get('mode') === 'backfill';
      state.options.runSweep(backfill ? 'backfill' : 'incremental');
      return back(
        backfill
          ? 'Started the backfill: every agreement is read again; the stack log shows the drift report'
          : 'Started the reconciliation sweep; the stack log shows the drift report',
      );
    },
  },
  '/clear': {
    POST: (state) => {
      state.events.clear();
      return back('Cleared the list');
    },
  },
  '/webhook-failures': {
    POST: (state, { req, body, tooLarge }) => {
      let n: number;
      try {
        if (tooLarge) throw new PayloadTooLargeError(`Form bodies are limited to ${MAX_FORM_BYTES} bytes`);
        const fields = parseFormBody({
          body: body.toString('utf8'),
          contentType: req.headers['content-type'],
        });
        const text = (fields.get('n') ?? '').trim();
        n = injectedFailures(/^\d{1,3}$/.test(text) ? Number(text) : Number.NaN);
      } catch (error) {
        if (
          error instanceof PayloadTooLargeError ||
          error instanceof UnsupportedMediaTypeError ||
          error instanceof MalformedBodyError ||
          error instanceof RangeError
        ) {
          return htmlReply(400, problemPage('That did not work', `${error.message}. Nothing was changed.`));
        }
        throw error;
      }
      state.failures = n;
      return back(
        n === 0
          ? 'Webhook deliveries are answered normally again'
          : `The next ${n} webhook deliveries get 503`,
      );
    },
  },
};

function awsCall(state: Console, { req, body, tooLarge }: Request): Reply {
  try {
    if (tooLarge) throw new AwsJsonError('RequestEntityTooLargeException', 'Request body is too large.', 413);
    const target = header(req, 'x-amz-target');
    if (!(header(req, 'content-type') ?? '').startsWith(AWS_JSON_CONTENT_TYPE)) {
      throw new AwsJsonError('SerializationException', `Expected Content-Type ${AWS_JSON_CONTENT_TYPE}.`);
    }
    if (target === PUT_EVENTS_TARGET) {
      const receivedAt = new Date();
      const answer = putEvents(parseAwsJson(body), receivedAt);
      for (const entry of answer.accepted) {
        state.events.add({
          via: 'bus',
          bus: entry.bus,
          source: entry.source,
          detailType: entry.detailType,
          time: entry.time,
          id: stringField(parseObject(entry.detail), 'id'),
          eventId: entry.eventId,
          body: entry.detail,
          receivedAt: receivedAt.toISOString(),
        });
        state.log(`events  bus ${entry.bus}: ${entry.detailType} from ${entry.source}`);
      }
      for (const refused of answer.refused) state.log(`events  bus refused ${refused}`);
      return awsReply(200, answer.output);
    }
    if (target === GET_SECRET_VALUE_TARGET)
      return awsReply(200, getSecretValue(parseAwsJson(body), state.secret));
    throw new AwsJsonError(
      'UnknownOperationException',
      `The event console does not serve ${target ?? 'a call without X-Amz-Target'}.`,
    );
  } catch (error) {
    if (!(error instanceof AwsJsonError)) throw error;
    state.log(`events  refused an AWS call: ${error.errorType}: ${error.message}`);
    return {
      ...awsReply(error.statusCode, { __type: error.errorType, message: error.message }),
      headers: {
        'content-type': AWS_JSON_CONTENT_TYPE,
        'x-amzn-requestid': randomUUID(),
        'x-amzn-errortype': error.errorType,
      },
    };
  }
}

function receiveWebhook(state: Console, { req, body, tooLarge }: Request): Reply {
  if (tooLarge) {
    state.log(`events  webhook refused: body over ${MAX_WEBHOOK_BYTES} bytes`);
    return textReply(413, `Webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes.`);
  }
  const text = body.toString('utf8');
  const webhookId = header(req, 'webhook-id');
  const check = verifyWebhook(
    state.keys,
    {
      'webhook-id': webhookId,
      'webhook-timestamp': header(req, 'webhook-timestamp'),
      'webhook-signature': header(req, 'webhook-signature'),
    },
    text,
    new Date(),
  );
  const injectedFailure = state.failures > 0;
  if (injectedFailure) state.failures -= 1;
  const status = injectedFailure ? 503 : check.ok ? 204 : 401;
  const event = parseObject(text);
  const type = stringField(event, 'type');
  state.events.add({
    via: 'webhook',
    verified: check.ok,
    ...(check.ok ? {} : { reason: check.reason }),
    id: stringField(event, 'id') ?? webhookId,
    webhookId,
    type,
    status,
    injectedFailure,
    body: text,
    receivedAt: new Date().toISOString(),
  });
  state.log(
    `events  webhook ${type ?? '(no type)'} → ${status}${check.ok ? ' verified' : ` not verified: ${check.reason}`}${
      injectedFailure ? ' (failure injected)' : ''
    }`,
  );
  if (injectedFailure)
    return { ...textReply(503, 'Failure injected by the event console.'), headers: { 'retry-after': '1' } };
  return check.ok ? { status: 204, body: '' } : textReply(401, `Signature not verified: ${check.reason}.`);
}

function injectedFailures(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_INJECTED_FAILURES) {
    throw new RangeError(`The number of failures must be a whole number from 0 to ${MAX_INJECTED_FAILURES}`);
  }
  return n;
}

function bodyLimit(req: IncomingMessage): number {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/') return MAX_AWS_JSON_BYTES;
  if (path === '/webhook') return MAX_WEBHOOK_BYTES;
  return MAX_FORM_BYTES;
}

/**
 * Loopback names only (and the address it was started on): a page on a domain that resolves to
 * loopback (DNS rebinding) carries that domain as its Host, and must not read the events.
 */
function isServedHost(state: Console, req: IncomingMessage): boolean {
  const host = req.headers.host ?? '';
  return (
    /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host) ||
    (state.url !== '' && host === new URL(state.url).host)
  );
}

/**
 * A page elsewhere in the browser must not drive the console (CSRF), as on the other local pages.
 * The SDK and the webhook sender send neither header.
 */
function isCrossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  // `null` is what browsers send for same-origin posts under Referrer-Policy: no-referrer.
  const origin = req.headers.origin;
  return origin !== undefined && origin !== 'null' && origin !== `http://${req.headers.host ?? ''}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function stringField(object: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = object?.[name];
  return typeof value === 'string' ? value : undefined;
}

function back(done: string): Reply {
  return { status: 303, headers: { location: `/?${new URLSearchParams({ done })}` }, body: '' };
}

function htmlReply(status: number, body: string): Reply {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
    },
    body,
  };
}

function jsonReply(status: number, body: string): Reply {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

function awsReply(status: number, output: unknown): Reply {
  return {
    status,
    headers: { 'content-type': AWS_JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(output),
  };
}

function textReply(status: number, body: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

function send(res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    ...reply.headers,
    'content-length': String(body.length),
  });
  res.end(body);
}

function readBody(
  req: IncomingMessage,
  maxBytes: number,
  onComplete: (body: Buffer, tooLarge: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes * DISCARD_LIMIT_FACTOR) req.destroy();
    else if (size > maxBytes) chunks.length = 0;
    else chunks.push(chunk);
  });
  req.on('end', () => onComplete(size > maxBytes ? Buffer.alloc(0) : Buffer.concat(chunks), size > maxBytes));
  // A client that goes away mid-request needs no answer.
  req.on('error', () => {});
}

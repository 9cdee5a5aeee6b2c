import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { listenOn } from '../http-server.js';

export type FunctionUrlHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | string | undefined>;

export interface FunctionUrlServerOptions {
  readonly host: string;
  readonly port: number;
  /** Resolved per request, so the server can listen before the handler module is loaded. */
  readonly handler: () => FunctionUrlHandler;
  readonly context: () => Context;
  /** Lambda function URLs take at most 6 MB of request payload. */
  readonly maxBodyBytes?: number;
  /** Told about every request (method, path, status, ms); the local stack prints it. */
  readonly onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
  /** Told about a handler that threw: the browser gets a 502, as from a failed invocation. */
  readonly onError?: (error: unknown) => void;
}

export interface RunningFunctionUrl {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 6 * 1024 * 1024;
// Function URLs base64-encode every body but these (AWS: "Lambda function URLs … payload format").
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)|[^;]*\+(json|xml))/i;

/**
 * The front of a Lambda function URL on a laptop: each HTTP request becomes a payload 2.0
 * event (cookies split out of the Cookie header, non-text bodies base64-encoded, a request
 * context), the handler's structured result becomes the response (its `cookies` as
 * Set-Cookie headers). Nothing is checked for auth: locally the sales URL is open.
 */
export async function startFunctionUrlServer(options: FunctionUrlServerOptions): Promise<RunningFunctionUrl> {
  const server = createServer((req, res) => {
    const started = Date.now();
    serve(req, res, options)
      .catch((error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('The function failed (see the local stack output).\n');
        } else res.destroy();
      })
      .finally(() =>
        options.onRequest?.({
          method: req.method ?? '',
          path: (req.url ?? '/').split('?')[0] ?? '/',
          status: res.statusCode,
          ms: Date.now() - started,
        }),
      );
  });
  const running = await listenOn(server, options.host, options.port);
  return { url: running.url, server, close: running.close };
}

async function serve(req: IncomingMessage, res: ServerResponse, options: FunctionUrlServerOptions) {
  const body = await readBody(req, options.maxBodyBytes ?? MAX_BODY_BYTES);
  if (body === undefined) {
    res.writeHead(413, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Request Entity Too Large' }));
    return;
  }
  const event = toEvent(req, body);
  const result = await options.handler()(event, options.context());
  writeResult(res, result);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function toEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (name === 'cookie') {
      cookies = joined
        .split(';')
        .map((c) => c.trim())
        .filter(Boolean);
    } else headers[name] = joined;
  }
  headers['x-forwarded-proto'] ??= 'http';
  const method = req.method ?? 'GET';
  const now = new Date();
  const host = headers.host ?? 'localhost';
  const query = queryParameters(url.searchParams);
  const text = TEXT_TYPES.test(headers['content-type'] ?? '');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  };
}

function queryParameters(params: URLSearchParams): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const key of new Set(params.keys())) out[key] = params.getAll(key).join(',');
  return Object.keys(out).length > 0 ? out : undefined;
}

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2 | string | undefined) {
  // A bare value is JSON with status 200, as function URLs infer it.
  if (result === undefined || typeof result === 'string' || result.statusCode === undefined) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof result === 'string' ? result : JSON.stringify(result ?? null));
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body = result.body ?? '';
  res.writeHead(result.statusCode, headers);
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

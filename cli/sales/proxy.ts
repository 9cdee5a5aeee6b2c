import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  CredentialsError,
  isLoopbackHost,
  NetworkError,
  type SignedFetch,
  SignedFetchConfigError,
} from './signed-fetch.js';

export interface ProxyOptions {
  readonly signedFetch: SignedFetch;
  /** 0 picks a free port. */
  readonly port: number;
  /** Loopback only: the proxy signs whatever it receives with the caller's credentials. */
  readonly host: string;
  /** One line per request and per upstream failure. */
  readonly log?: (line: string) => void;
}

export interface RunningProxy {
  /** `http://127.0.0.1:8787` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The proxy could not start (port in use, not allowed to bind, …). */
export class ProxyStartError extends Error {
  override readonly name = 'ProxyStartError';
}

/**
 * Response headers worth passing on to the browser; everything else is dropped. The security
 * headers the function sets on every response (`lib/adapters/http/security-headers.ts`) go
 * through, so the HTML view keeps its CSP, nosniff and the rest behind the proxy too. Not
 * Strict-Transport-Security: it speaks for the function URL's https host, and a browser ignores
 * it on the proxy's plain-http loopback origin anyway (RFC 6797 §8.1).
 */
const FORWARDED_HEADERS = [
  'content-type',
  'content-disposition',
  'content-language',
  'last-modified',
  // The CSV's next-page cursor (`format=csv` has no room for it in the body).
  'x-next-cursor',
  'content-security-policy',
  'content-security-policy-report-only',
  'cross-origin-embedder-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'permissions-policy',
  'referrer-policy',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
] as const;

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(`${text}\n`);
}

/**
 * The Host header must name this proxy on loopback: a page on another site that rebinds its own
 * DNS name to 127.0.0.1 would otherwise read contracts through the sales person's credentials.
 */
function isOwnHost(header: string | undefined, port: number): boolean {
  if (!header) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.trim());
  if (!match?.[1]) return false;
  return isLoopbackHost(match[1]) && Number(match[2] ?? 80) === port;
}

async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  options: ProxyOptions,
  port: number,
): Promise<number> {
  if (req.method !== 'GET') {
    sendText(res, 405, 'Method not allowed: the sales proxy only forwards GET requests.', { allow: 'GET' });
    return 405;
  }
  if (!isOwnHost(req.headers.host, port)) {
    sendText(res, 403, 'Forbidden: unexpected Host header.');
    return 403;
  }
  const path = req.url ?? '/';
  if (!path.startsWith('/')) {
    sendText(res, 400, 'Bad request: expected a path.');
    return 400;
  }

  const upstreamAbort = new AbortController();
  res.on('close', () => upstreamAbort.abort());
  let upstream: Response;
  try {
    upstream = await options.signedFetch(path, {
      accept: req.headers.accept ?? '*/*',
      signal: upstreamAbort.signal,
    });
  } catch (error) {
    if (upstreamAbort.signal.aborted) return 499;
    if (error instanceof SignedFetchConfigError) {
      sendText(res, 400, `Bad request: ${error.message}`);
      return 400;
    }
    const message = error instanceof Error ? error.message : String(error);
    options.log?.(`  ${message}`);
    const status = error instanceof NetworkError ? 502 : error instanceof CredentialsError ? 500 : 502;
    sendText(res, status, message);
    return status;
  }

  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  for (const name of FORWARDED_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  res.writeHead(upstream.status, headers);
  if (!upstream.body) {
    res.end();
    return upstream.status;
  }
  try {
    await pipeline(Readable.fromWeb(upstream.body as NodeReadableStream<Uint8Array>), res);
  } catch {
    // The browser went away or the upstream stream broke mid-body: nothing left to tell anyone.
    res.destroy();
  }
  return upstream.status;
}

/**
 * A local HTTP server that forwards GET requests (path, query, Accept) to the function URL,
 * signed with the caller's credentials, and streams back status, content type and body: a
 * browser on http://127.0.0.1:8787/contracts gets the function's HTML view.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  if (!isLoopbackHost(options.host)) {
    throw new ProxyStartError(
      `Refusing to listen on ${options.host}: the proxy signs requests with your AWS credentials, ` +
        'so it only listens on loopback (127.0.0.1, ::1 or localhost).',
    );
  }
  let port = options.port;
  const server: Server = createServer((req, res) => {
    const started = Date.now();
    forward(req, res, options, port).then(
      (status) => options.log?.(`${req.method} ${req.url} → ${status} (${Date.now() - started} ms)`),
      (error: unknown) => {
        options.log?.(`${req.method} ${req.url} failed: ${error instanceof Error ? error.message : error}`);
        if (!res.headersSent) sendText(res, 500, 'Internal error in the sales proxy.');
        else res.destroy();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = `${options.host}:${options.port}`;
      if (error.code === 'EADDRINUSE') {
        reject(
          new ProxyStartError(
            `Port ${options.port} on ${options.host} is already in use: stop whatever listens on ${where} ` +
              'or pick another port with --port.',
          ),
        );
      } else if (error.code === 'EACCES') {
        reject(new ProxyStartError(`Not allowed to listen on ${where}: pick a port above 1023 with --port.`));
      } else {
        reject(new ProxyStartError(`Cannot listen on ${where}: ${error.message}`));
      }
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(options.port, options.host);
  });

  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(options.host)}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

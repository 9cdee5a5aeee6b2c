import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOn } from '../http-server.js';
import { errorResponse, type WireResponse } from './protocol.js';
import { ServiceError } from './service-error.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
// An oversized body is read to its end and discarded so the client sees a clean 413 rather
// than a reset while it is still writing; past this multiple the connection is dropped.
const DISCARD_LIMIT_FACTOR = 16;

/** A request as the HTTP layer hands it over: the body is empty when it was over the limit. */
export interface RawRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  bodyTooLarge: boolean;
}

export type RawRequestHandler = (request: RawRequest) => WireResponse;

export interface ListenOptions {
  /** Interface to bind; loopback unless you mean to expose the simulator. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxBodyBytes?: number;
}

export interface RunningSimulator {
  /** Base URL to pass as the SDK clients' `endpoint`. */
  endpoint: string;
  port: number;
  /** Stops listening and drops keep-alive connections; safe to call twice. */
  close(): Promise<void>;
}

export async function listen(
  handler: RawRequestHandler,
  options: ListenOptions = {},
): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const server = createServer((req, res) => {
    readBody(req, maxBodyBytes, (body, bodyTooLarge) => {
      send(
        res,
        handleSafely(handler, { method: req.method ?? '', headers: req.headers, body, bodyTooLarge }),
      );
    });
  });

  const running = await listenOn(server, host, options.port ?? 0);
  return { endpoint: running.url, port: running.port, close: running.close };
}

function readBody(
  req: IncomingMessage,
  maxBodyBytes: number,
  onComplete: (body: Buffer, bodyTooLarge: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBodyBytes * DISCARD_LIMIT_FACTOR) {
      req.destroy();
    } else if (size > maxBodyBytes) {
      chunks.length = 0;
    } else {
      chunks.push(chunk);
    }
  });
  req.on('end', () =>
    onComplete(size > maxBodyBytes ? Buffer.alloc(0) : Buffer.concat(chunks), size > maxBodyBytes),
  );
  // A client that goes away mid-request needs no answer.
  req.on('error', () => {});
}

function handleSafely(handler: RawRequestHandler, request: RawRequest): WireResponse {
  try {
    return handler(request);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return errorResponse(
      new ServiceError('InternalServiceErrorException', `Marketplace simulator failure: ${detail}`, 500),
    );
  }
}

function send(res: ServerResponse, response: WireResponse): void {
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.statusCode, { ...response.headers, 'content-length': String(body.length) });
  res.end(body);
}

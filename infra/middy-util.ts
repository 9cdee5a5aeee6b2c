/**
 * Replaces `@middy/util` in the Lambda bundles (an esbuild alias in `bundling.ts`): everything
 * is middy's own, but `createError`. middy's `HttpError` reads its default message from
 * `STATUS_CODES` of `node:http`, a static import that keeps `node:http` in every bundle whose
 * middlewares reference `createError` (`http-router` does, for its default not-found answer,
 * which our routers replace). Loading `node:http` at init cost the setup bundle about 20 % of
 * its cold start, measured in pairs. This `createError` builds the same error and loads
 * `node:http` only when an error is actually created.
 */
import { createRequire } from 'node:module';

export * from '../node_modules/@middy/util/index.js';

let statusCodes: Record<number, string | undefined> | undefined;
const statusText = (code: number): string | undefined => {
  statusCodes ??= (createRequire(import.meta.url)('node:http') as typeof import('node:http')).STATUS_CODES;
  return statusCodes[code];
};

/** middy's `HttpError`, with its `STATUS_CODES` read on first use. */
export class HttpError extends Error {
  readonly status: number;
  readonly statusCode: number;
  expose: boolean;

  constructor(code: number, message?: string, options: ErrorOptions & { expose?: boolean } = {}) {
    super(message ?? statusText(code), options);
    const name = (statusText(code) ?? 'Unknown').replace(/[^a-zA-Z]/g, '');
    this.name = name.endsWith('Error') ? name : `${name}Error`;
    this.status = this.statusCode = code;
    this.expose = options.expose ?? code < 500;
  }
}

export const createError = (
  code: number,
  message?: string,
  properties: ErrorOptions & { expose?: boolean } = {},
) => new HttpError(code, message, properties);

import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { MalformedBodyError, PayloadTooLargeError, UnsupportedMediaTypeError } from './form-body.js';
import { parseJsonBody } from './json-body.js';

/**
 * What the IAM-authenticated JSON APIs share (the license API, the support API): errors with a
 * stable code, strict bodies and queries, path parameters, the one error mapper, 404/405
 * answers that list the routes.
 */

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** A request the caller can correct: a stable `code`, a message, and details to act on. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const json = (status: number, body: unknown): Result => ({
  statusCode: status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** JSON only: nothing to load, nothing to frame. */
export const JSON_CSP_DIRECTIVES = { 'default-src': "'none'", 'frame-ancestors': "'none'" };

/** The value if the schema takes it, else a 400 naming the first field it refused. */
export function valid<T extends z.ZodMiniType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new ApiError(400, 'bad-request', `Invalid ${where}: ${issue?.message ?? 'bad value'}`);
}

/** The JSON body, checked by the route's schema (415, 413 and 400 before it). */
export function jsonBody<T extends z.ZodMiniType>(schema: T, event: Event): z.infer<T> {
  return valid(
    schema,
    parseJsonBody({
      body: event.body,
      isBase64Encoded: event.isBase64Encoded,
      contentType: event.headers['content-type'],
    }),
    'body',
  );
}

/** A route that takes no query parameters refuses any. */
export function noQuery(event: Event): void {
  if (event.rawQueryString) throw new ApiError(400, 'bad-request', 'This route takes no query parameters');
}

/** A path parameter, %-decoded; a malformed escape is the caller's mistake, not a 500. */
export function pathParam(event: Event, name: string): string {
  const raw = event.pathParameters?.[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, 'bad-request', `Invalid ${name}: malformed %-escape in the path`);
  }
}

/** Who is calling: the IAM identity the function URL verified (`local` on the local stack, which verifies none). */
export function callerOf(event: Event): string {
  const { authorizer } = event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } };
  const arn = authorizer?.iam?.userArn;
  return typeof arn === 'string' && arn.length > 0 ? arn : 'local';
}

/** Whether a concrete path fits a route template (`{name}` stands for one non-empty segment). */
export function routeMatches(template: string, path: string): boolean {
  const a = template.split('/');
  const b = path.replace(/\/$/, '').split('/');
  return a.length === b.length && a.every((part, i) => (part.startsWith('{') ? !!b[i] : part === b[i]));
}

/**
 * The router's answer for a path no route takes: 405 for a known path with another method, else
 * 404, both listing the routes. `echoPath: false` for an API whose paths can carry a code.
 */
export function notFoundAnswer(
  routes: readonly { readonly path: string }[],
  hint: string,
  { echoPath = true } = {},
) {
  return ({ method, path }: { method: string; path: string }): Result => {
    const known = routes.some((r) => routeMatches(r.path, path));
    const where = echoPath ? path : 'this route';
    return known
      ? json(405, { code: 'method-not-allowed', message: `${method} is not supported on ${where}; ${hint}` })
      : json(404, { code: 'not-found', message: `No route ${echoPath ? path : 'here'}; ${hint}` });
  };
}

/** The body errors every JSON route shares. */
function bodyErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof PayloadTooLargeError) return new ApiError(413, 'payload-too-large', error.message);
  if (error instanceof UnsupportedMediaTypeError)
    return new ApiError(415, 'unsupported-media-type', error.message);
  if (error instanceof MalformedBodyError) return new ApiError(400, 'bad-request', error.message);
  return undefined;
}

/**
 * The one error mapper at the end of a JSON API's chain: an ApiError (or what `mapError` makes
 * of a domain error) is its status and `{ code, message, …details }`, with `Retry-After` when
 * the details carry `retryAfterSeconds`; anything else is a logged 500 with the request id. The
 * log keeps only the error's name and message: a DynamoDB error can quote an item, and items
 * hold codes (R11).
 */
export function jsonErrors(
  logger: Logger,
  what: string,
  mapError: (error: unknown) => ApiError | undefined,
): MiddlewareObj<Event, Result, Error, Context> {
  return {
    onError: (request) => {
      const { error } = request;
      const mapped = error instanceof ApiError ? error : (mapError(error) ?? bodyErrorOf(error));
      if (mapped) {
        const retryAfter = mapped.details.retryAfterSeconds;
        const answer = json(mapped.status, { code: mapped.code, message: mapped.message, ...mapped.details });
        request.response =
          typeof retryAfter === 'number'
            ? { ...answer, headers: { ...answer.headers, 'retry-after': String(retryAfter) } }
            : answer;
        return;
      }
      logger.error(`${what} request failed`, {
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      request.response = json(500, {
        code: 'internal',
        message: `Internal error; request id ${request.context.awsRequestId}`,
        requestId: request.context.awsRequestId,
      });
    },
  };
}

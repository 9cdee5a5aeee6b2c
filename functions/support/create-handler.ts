import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import {
  ApiError,
  callerOf,
  JSON_CSP_DIRECTIVES,
  json,
  jsonBody,
  jsonErrors,
  noQuery,
  notFoundAnswer,
  pathParam,
  valid,
} from '../../lib/adapters/http/json-api.js';
import { securityHeaders } from '../../lib/adapters/http/security-headers.js';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import { LedgerContentionError, UnknownBusinessError } from '../../lib/domain/credits/errors.js';
import {
  BadCodeError,
  BusinessMovedError,
  CodeReplacedError,
  CodeTargetMismatchError,
  KeyRegisteredError,
  LicenseEndedError,
  SameBusinessError,
  StaleCodeError,
  SupportContentionError,
  TooManyItemsError,
  UnknownCodeError,
  UnknownLicenseError,
} from '../../lib/domain/support/errors.js';
import {
  codeRecord,
  replaceCode,
  type SupportDeps,
  transferLicense,
} from '../../lib/domain/support/use-cases.js';
import { codeInputSchema, replaceCodeBodySchema, transferBodySchema } from './schema.js';

export interface SupportOptions extends SupportDeps {
  readonly logger: Logger;
}

export type SupportEvent = APIGatewayProxyEventV2;
export type SupportResult = APIGatewayProxyStructuredResultV2;
type Event = SupportEvent;
type Result = SupportResult;

/**
 * The support API: the one audited operation that moves a license between businesses (R3) and
 * the replacement of a lost or stolen code (R11), behind its own IAM-authenticated function URL
 * (only principals with the support invoke policy reach it; the buyer's pages and the license
 * API cannot). The chain: `logContext`, `http-header-normalizer`, `securityHeaders`, the one
 * error mapper (`jsonErrors` with `supportErrorOf`); the router ends it. Codes never reach a log line: the event is
 * not logged, and no error message carries one.
 */
export function supportMiddlewares(options: SupportOptions) {
  return [
    logContext(options.logger),
    httpHeaderNormalizer(),
    securityHeaders(JSON_CSP_DIRECTIVES),
    jsonErrors(options.logger, 'Support', supportErrorOf),
  ];
}

const ROUTES_HINT = 'routes: POST /transfers, POST /codes/replace, GET /codes/{code}';

export function supportRouter(options: SupportOptions) {
  const routes = supportRoutes(options);
  // The path is not echoed: `/codes/{code}` carries a code, and answers repeat no code.
  return httpRouterHandler<Event, Result>({
    routes,
    notFoundResponse: notFoundAnswer(routes, ROUTES_HINT, { echoPath: false }),
  });
}

export const createSupportHandler = (options: SupportOptions) =>
  middy<Event, Result, Error, Context>().use(supportMiddlewares(options)).handler(supportRouter(options));

/** The support API's domain errors, each with its stable code. */
function supportErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof UnknownLicenseError)
    return new ApiError(404, 'unknown-license', error.message, { license: error.license, reason: error.why });
  if (error instanceof UnknownBusinessError)
    return new ApiError(404, 'unknown-business', error.message, { businessId: error.businessId });
  if (error instanceof SameBusinessError)
    return new ApiError(409, 'same-business', error.message, { businessId: error.businessId });
  if (error instanceof BusinessMovedError)
    return new ApiError(409, 'business-moved', error.message, {
      expectedBusinessId: error.expectedBusinessId,
      currentBusinessId: error.currentBusinessId,
    });
  if (error instanceof LicenseEndedError)
    return new ApiError(409, 'license-ended', error.message, { endedAt: error.endedAt });
  if (error instanceof TooManyItemsError)
    return new ApiError(409, 'too-many-items', error.message, { items: error.items, limit: error.limit });
  if (error instanceof BadCodeError)
    return new ApiError(400, 'bad-code', error.message, { reason: error.reason });
  if (error instanceof UnknownCodeError) return new ApiError(404, 'unknown-code', error.message);
  if (error instanceof CodeReplacedError)
    return new ApiError(409, 'code-replaced', error.message, {
      ...(error.replacedBy ? { replacedBy: error.replacedBy } : {}),
      ...(error.replacedAt ? { replacedAt: error.replacedAt } : {}),
    });
  if (error instanceof KeyRegisteredError)
    return new ApiError(409, 'key-registered', error.message, {
      orderId: error.orderId,
      lineNo: error.lineNo,
      ...(error.licenseReference ? { license: `direct~${error.licenseReference}` } : {}),
    });
  if (error instanceof CodeTargetMismatchError) return new ApiError(409, 'code-mismatch', error.message);
  if (error instanceof StaleCodeError) return new ApiError(409, 'stale-code', error.message);
  if (error instanceof SupportContentionError || error instanceof LedgerContentionError)
    return new ApiError(503, 'busy', 'Too many changes at once; retry');
  return undefined;
}

function supportRoutes(options: SupportOptions): Route<Event, Result>[] {
  const body = jsonBody;

  return [
    {
      method: 'POST',
      path: '/transfers',
      handler: async (event: Event) => {
        noQuery(event);
        const input = body(transferBodySchema, event);
        const outcome = await transferLicense(options, {
          license: input.license,
          toBusinessId: input.toBusinessId,
          ...(input.expectedFromBusinessId ? { expectedFromBusinessId: input.expectedFromBusinessId } : {}),
          actor: { by: callerOf(event), reason: input.reason, ticket: input.ticket },
        });
        return json(200, outcome);
      },
    },
    {
      method: 'POST',
      path: '/codes/replace',
      handler: async (event: Event) => {
        noQuery(event);
        const input = body(replaceCodeBodySchema, event);
        const outcome = await replaceCode(options, {
          code: input.code,
          actor: { by: callerOf(event), reason: input.reason, ticket: input.ticket },
        });
        return json(200, outcome);
      },
    },
    {
      method: 'GET',
      path: '/codes/{code}',
      handler: async (event: Event) => {
        noQuery(event);
        const code = valid(codeInputSchema, pathParam(event, 'code'), 'code');
        return json(200, { record: await codeRecord(options, code) });
      },
    },
  ];
}

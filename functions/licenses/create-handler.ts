import type { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import {
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../lib/adapters/http/form-body.js';
import { parseJsonBody } from '../../lib/adapters/http/json-body.js';
import { securityHeaders } from '../../lib/adapters/http/security-headers.js';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import {
  InsufficientCreditsError,
  LedgerContentionError,
  LicenseReferenceConflictError,
  OverAllocatedError,
  UnknownBusinessError,
  UnknownServiceError,
} from '../../lib/domain/credits/errors.js';
import { estimateCredits } from '../../lib/domain/credits/estimate.js';
import { creditUsage } from '../../lib/domain/credits/ledger.js';
import {
  addOtherChannelLicense,
  businessCredits,
  businessLicenses,
  type CreditsDeps,
  setServiceAllocation,
  UnknownProductCodeError,
} from '../../lib/domain/credits/use-cases.js';
import { servicesOf } from '../../lib/domain/product/catalog.js';
import {
  allocationBodySchema,
  businessIdSchema,
  directLicenseBodySchema,
  emailQuerySchema,
  estimateBodySchema,
  serviceIdSchema,
} from './schema.js';

export interface LicensesOptions extends CreditsDeps {
  readonly logger: Logger;
}

export type LicensesEvent = APIGatewayProxyEventV2;
export type LicensesResult = APIGatewayProxyStructuredResultV2;
type Event = LicensesEvent;
type Result = LicensesResult;

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

const json = (status: number, body: unknown): Result => ({
  statusCode: status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** JSON only: nothing to load, nothing to frame. */
const CSP_DIRECTIVES = { 'default-src': "'none'", 'frame-ancestors': "'none'" };

/**
 * The license API for the vendor's product backend, behind an IAM-authenticated function URL
 * (payload 2.0, JSON): businesses, their licenses and credit usage, allocations of services
 * (R9), licenses from other channels (R2) and the estimate (R14). The chain: `logContext`,
 * `http-header-normalizer`, `securityHeaders`, the one error mapper `licensesErrors`; the
 * router ends it.
 */
export function licensesMiddlewares(options: LicensesOptions) {
  return [
    logContext(options.logger),
    httpHeaderNormalizer(),
    securityHeaders(CSP_DIRECTIVES),
    licensesErrors(options.logger),
  ];
}

const ROUTES_HINT =
  'routes: GET /services, POST /estimate, GET /businesses?email=, GET /businesses/{id}, GET /businesses/{id}/licenses, GET /businesses/{id}/usage, PUT|DELETE /businesses/{id}/allocations/{service}, POST /businesses/{id}/licenses';

export function licensesRouter(options: LicensesOptions) {
  const routes = licensesRoutes(options);
  return httpRouterHandler<Event, Result>({
    routes,
    notFoundResponse: ({ method, path }) => {
      const known = routes.some((r) => matches(r.path, path));
      return known
        ? json(405, {
            code: 'method-not-allowed',
            message: `${method} is not supported on ${path}; ${ROUTES_HINT}`,
          })
        : json(404, { code: 'not-found', message: `No route ${path}; ${ROUTES_HINT}` });
    },
  });
}

export const createLicensesHandler = (options: LicensesOptions) =>
  middy<Event, Result, Error, Context>().use(licensesMiddlewares(options)).handler(licensesRouter(options));

function licensesErrors(logger: Logger): MiddlewareObj<Event, Result, Error, Context> {
  return {
    onError: (request) => {
      const { error } = request;
      const mapped = apiErrorOf(error);
      if (mapped) {
        request.response = json(mapped.status, {
          code: mapped.code,
          message: mapped.message,
          ...mapped.details,
        });
        return;
      }
      logger.error('License API request failed', { error });
      request.response = json(500, {
        code: 'internal',
        message: `Internal error; request id ${request.context.awsRequestId}`,
        requestId: request.context.awsRequestId,
      });
    },
  };
}

function apiErrorOf(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof InsufficientCreditsError)
    return new ApiError(409, 'insufficient-credits', error.message, {
      needed: error.needed,
      available: error.available,
    });
  if (error instanceof OverAllocatedError)
    return new ApiError(409, 'over-allocated', error.message, { overBy: error.overBy });
  if (error instanceof UnknownServiceError)
    return new ApiError(404, 'unknown-service', error.message, { service: error.service });
  if (error instanceof UnknownBusinessError)
    return new ApiError(404, 'unknown-business', error.message, { businessId: error.businessId });
  if (error instanceof UnknownProductCodeError)
    return new ApiError(400, 'unknown-product', error.message, { productCode: error.productCode });
  if (error instanceof LicenseReferenceConflictError)
    return new ApiError(409, 'license-reference-conflict', error.message, { reference: error.reference });
  if (error instanceof LedgerContentionError)
    return new ApiError(503, 'busy', 'Too many changes at once; retry');
  if (error instanceof PayloadTooLargeError) return new ApiError(413, 'payload-too-large', error.message);
  if (error instanceof UnsupportedMediaTypeError)
    return new ApiError(415, 'unsupported-media-type', error.message);
  if (error instanceof MalformedBodyError) return new ApiError(400, 'bad-request', error.message);
  return undefined;
}

function licensesRoutes(options: LicensesOptions): Route<Event, Result>[] {
  const businessId = (event: Event) => valid(businessIdSchema, pathParam(event, 'businessId'), 'business id');
  const body = <T extends z.ZodMiniType>(schema: T, event: Event) =>
    valid(
      schema,
      parseJsonBody({
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        contentType: event.headers['content-type'],
      }),
      'body',
    );
  const noQuery = (event: Event) => {
    if (event.rawQueryString) throw new ApiError(400, 'bad-request', 'This route takes no query parameters');
  };
  const allocation = async (event: Event, units: number): Promise<Result> => {
    noQuery(event);
    const id = businessId(event);
    const service = valid(serviceIdSchema, pathParam(event, 'service'), 'service');
    const outcome = await setServiceAllocation(options, id, service, units);
    // The ledger the write returned is the state after it: no second read.
    return json(200, {
      changed: outcome.changed,
      ...(outcome.allocation ? { allocation: outcome.allocation } : {}),
      usage: creditUsage(outcome.ledger, options.clock.now()),
    });
  };

  return [
    {
      method: 'GET',
      path: '/services',
      handler: async (event: Event) => {
        noQuery(event);
        return json(200, { services: servicesOf(options.catalog) });
      },
    },
    {
      method: 'POST',
      path: '/estimate',
      handler: async (event: Event) => {
        noQuery(event);
        return json(200, estimateCredits(options.catalog, body(estimateBodySchema, event).lines));
      },
    },
    {
      method: 'GET',
      path: '/businesses',
      handler: async (event: Event) => {
        const { email } = valid(emailQuerySchema, event.queryStringParameters ?? {}, 'query');
        const business = await options.businesses.findByEmail(email);
        if (!business) throw new ApiError(404, 'unknown-business', 'No business has this primary email');
        return json(200, { business });
      },
    },
    {
      method: 'GET',
      path: '/businesses/{businessId}',
      handler: async (event: Event) => {
        noQuery(event);
        return json(200, await businessCredits(options, businessId(event)));
      },
    },
    {
      method: 'GET',
      path: '/businesses/{businessId}/usage',
      handler: async (event: Event) => {
        noQuery(event);
        const id = businessId(event);
        const { usage } = await businessCredits(options, id);
        return json(200, { businessId: id, usage });
      },
    },
    {
      method: 'GET',
      path: '/businesses/{businessId}/licenses',
      handler: async (event: Event) => {
        noQuery(event);
        const id = businessId(event);
        const { licenses } = await businessLicenses(options, id);
        return json(200, { businessId: id, licenses });
      },
    },
    {
      method: 'POST',
      path: '/businesses/{businessId}/licenses',
      handler: async (event: Event) => {
        noQuery(event);
        const id = businessId(event);
        const input = body(directLicenseBodySchema, event);
        if (!(Date.parse(input.expiresAt) > options.clock.now().getTime()))
          throw new ApiError(
            400,
            'bad-request',
            'Invalid expiresAt: the license must not have ended already',
          );
        const result = await addOtherChannelLicense(options, id, {
          reference: input.reference,
          productCode: input.productCode,
          credits: input.credits,
          expiresAt: input.expiresAt,
          ...(input.description ? { description: input.description } : {}),
        });
        return json(result.created ? 201 : 200, result);
      },
    },
    {
      method: 'PUT',
      path: '/businesses/{businessId}/allocations/{service}',
      handler: async (event: Event) => allocation(event, body(allocationBodySchema, event).units),
    },
    {
      method: 'DELETE',
      path: '/businesses/{businessId}/allocations/{service}',
      handler: async (event: Event) => allocation(event, 0),
    },
  ];
}

function valid<T extends z.ZodMiniType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new ApiError(400, 'bad-request', `Invalid ${where}: ${issue?.message ?? 'bad value'}`);
}

/** A path parameter, %-decoded; a malformed escape is the caller's mistake, not a 500. */
function pathParam(event: Event, name: string): string {
  const raw = event.pathParameters?.[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, 'bad-request', `Invalid ${name}: malformed %-escape in the path`);
  }
}

/** Whether a concrete path fits a route template (`{name}` stands for one non-empty segment). */
function matches(template: string, path: string): boolean {
  const a = template.split('/');
  const b = path.replace(/\/$/, '').split('/');
  return a.length === b.length && a.every((part, i) => (part.startsWith('{') ? !!b[i] : part === b[i]));
}

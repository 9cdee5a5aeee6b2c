import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { InvalidOrderCursorError } from '../../lib/adapters/dynamodb/order-store.js';
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
import type { RandomBytes } from '../../lib/domain/codes/codes.js';
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
import {
  CodeLookupLimitError,
  CodeReplacedError,
  InvalidCodeError,
  InvalidOrderError,
  OrderConflictError,
} from '../../lib/domain/orders/errors.js';
import { importOrder } from '../../lib/domain/orders/import-order.js';
import { orderViewOf } from '../../lib/domain/orders/model.js';
import type { CodeReader, OrderStore } from '../../lib/domain/orders/ports.js';
import { lookupCode } from '../../lib/domain/orders/register-order.js';
import { servicesOf } from '../../lib/domain/product/catalog.js';
import type { BudgetCounter, SetupLimits } from '../../lib/domain/setup/limits.js';
import {
  allocationBodySchema,
  businessIdSchema,
  codeLookupBodySchema,
  directLicenseBodySchema,
  emailQuerySchema,
  estimateBodySchema,
  orderBodySchema,
  orderIdSchema,
  orderListQuerySchema,
  serviceIdSchema,
} from './schema.js';

export interface LicensesOptions extends CreditsDeps {
  readonly logger: Logger;
  /** Orders from other channels and their codes (R11, R12). */
  readonly orders: OrderStore & CodeReader;
  /** The wrong-code budget of code lookups (R11). */
  readonly budgets: BudgetCounter;
  readonly limits?: SetupLimits;
  /** A CSPRNG in production: Registration Keys are drawn from it (R11). */
  readonly random: RandomBytes;
  readonly codePrefix?: string;
}

export type LicensesEvent = APIGatewayProxyEventV2;
export type LicensesResult = APIGatewayProxyStructuredResultV2;
type Event = LicensesEvent;
type Result = LicensesResult;

/**
 * The license API for the vendor's product backend, behind an IAM-authenticated function URL
 * (payload 2.0, JSON): businesses, their licenses and credit usage, allocations of services
 * (R9), licenses from other channels (R2) and the estimate (R14). The chain: `logContext`,
 * `http-header-normalizer`, `securityHeaders`, the one error mapper (`jsonErrors` with `licensesErrorOf`); the
 * router ends it.
 */
export function licensesMiddlewares(options: LicensesOptions) {
  return [
    logContext(options.logger),
    httpHeaderNormalizer(),
    securityHeaders(JSON_CSP_DIRECTIVES),
    jsonErrors(options.logger, 'License API', licensesErrorOf),
  ];
}

const ROUTES_HINT =
  'routes: GET /services, POST /estimate, GET /businesses?email=, GET /businesses/{id}, GET /businesses/{id}/licenses, GET /businesses/{id}/usage, PUT|DELETE /businesses/{id}/allocations/{service}, POST /businesses/{id}/licenses, POST|GET /orders, GET /orders/{id}, POST /codes/lookup';

export function licensesRouter(options: LicensesOptions) {
  const routes = licensesRoutes(options);
  return httpRouterHandler<Event, Result>({ routes, notFoundResponse: notFoundAnswer(routes, ROUTES_HINT) });
}

export const createLicensesHandler = (options: LicensesOptions) =>
  middy<Event, Result, Error, Context>().use(licensesMiddlewares(options)).handler(licensesRouter(options));

/** The license API's domain errors, each with its stable code. */
function licensesErrorOf(error: unknown): ApiError | undefined {
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
  if (error instanceof InvalidOrderError)
    return new ApiError(400, 'invalid-order', error.message, { fields: error.fields });
  if (error instanceof OrderConflictError)
    return new ApiError(409, 'order-conflict', error.message, { orderId: error.orderId });
  if (error instanceof InvalidOrderCursorError) return new ApiError(400, 'bad-request', error.message);
  if (error instanceof InvalidCodeError)
    return error.reason === 'unknown'
      ? new ApiError(404, 'unknown-code', error.message)
      : new ApiError(400, 'bad-code', error.message, { reason: error.reason });
  if (error instanceof CodeReplacedError) return new ApiError(410, 'code-replaced', error.message);
  if (error instanceof CodeLookupLimitError)
    return new ApiError(429, 'too-many-codes', error.message, { retryAfterSeconds: error.retryAfterSeconds });
  return undefined;
}

function licensesRoutes(options: LicensesOptions): Route<Event, Result>[] {
  const businessId = (event: Event) => valid(businessIdSchema, pathParam(event, 'businessId'), 'business id');
  const body = jsonBody;
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
    // R12: an order from another channel, imported by sales or the vendor's backend; the same
    // order again is a 200 with the stored order and its keys, changing nothing.
    {
      method: 'POST',
      path: '/orders',
      handler: async (event: Event) => {
        noQuery(event);
        const input = body(orderBodySchema, event);
        const result = await importOrder(
          {
            orderId: input.orderId,
            company: input.company,
            lines: input.lines,
            importedBy: callerOf(event),
          },
          options,
        );
        return json(result.created ? 201 : 200, {
          created: result.created,
          order: orderViewOf(result.order),
        });
      },
    },
    {
      method: 'GET',
      path: '/orders',
      handler: async (event: Event) => {
        const q = valid(orderListQuerySchema, event.queryStringParameters ?? {}, 'query');
        const page = await options.orders.list({
          limit: q.limit === undefined ? 50 : Number(q.limit),
          ...(q.state ? { state: q.state } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
        return json(200, {
          orders: page.orders.map(orderViewOf),
          ...(page.cursor ? { nextCursor: page.cursor } : {}),
        });
      },
    },
    {
      method: 'GET',
      path: '/orders/{orderId}',
      handler: async (event: Event) => {
        noQuery(event);
        const orderId = valid(orderIdSchema, pathParam(event, 'orderId'), 'order id');
        const order = await options.orders.get(orderId);
        if (!order) throw new ApiError(404, 'unknown-order', `No order ${orderId}`, { orderId });
        return json(200, { order: orderViewOf(order) });
      },
    },
    // R11: what a code opens, for the product's own activation screen. Budgeted per caller and
    // the end client it names (its user's address or id), so codes cannot be enumerated.
    {
      method: 'POST',
      path: '/codes/lookup',
      handler: async (event: Event) => {
        noQuery(event);
        const input = body(codeLookupBodySchema, event);
        const caller = callerOf(event);
        const client = `${caller}|${input.client ?? '-'}`;
        // The caller's budget is its role's: a new role session name gets no fresh budget.
        const role = caller.replace(/^(arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[^/]+)\/.*$/, '$1');
        const record = await lookupCode(
          input.code,
          client,
          { ...options, codes: options.orders },
          undefined,
          role,
        );
        if (record.target.kind === 'registration-key') {
          const order = await options.orders.get(record.target.orderId);
          if (!order) throw new ApiError(404, 'unknown-order', `No order ${record.target.orderId}`);
          const line = order.lines.find((l) => l.lineNo === (record.target as { lineNo: number }).lineNo);
          return json(200, {
            code: record.code,
            kind: 'registration-key',
            orderId: record.target.orderId,
            lineNo: record.target.lineNo,
            registered: Boolean(line?.registeredBy),
            ...(line?.registeredBy ? { businessId: line.registeredBy } : {}),
          });
        }
        return json(200, {
          code: record.code,
          kind: 'activation-code',
          licenseId: record.target.licenseId,
          itemNo: record.target.itemNo,
        });
      },
    },
  ];
}

import type { Logger } from '@aws-lambda-powertools/logger';
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import type {
  ContractListQuery,
  ContractRow,
  OrderRow,
  SalesReader,
} from '../../lib/adapters/dynamodb/sales-reader.js';
import { CONTRACT_STATUSES, InvalidCursorError } from '../../lib/adapters/dynamodb/sales-reader.js';
import { toCsv } from '../../lib/adapters/http/csv.js';
import { securityHeaders } from '../../lib/adapters/http/security-headers.js';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import type { ContractStatus } from '../../lib/domain/contract/model.js';
import type { Clock } from '../../lib/domain/contract/ports.js';
import { ORDER_ID, ORDER_STATES } from '../../lib/domain/orders/model.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import {
  BLANKABLE_FILTERS,
  businessesQuerySchema,
  businessIdSchema,
  contractsCsvQuerySchema,
  contractsQuerySchema,
  detailQuerySchema,
  setupsQuerySchema,
} from './schema.js';
import {
  businessHtml,
  contractHtml,
  contractsHtml,
  orderHtml,
  ordersHtml,
  overAllocatedHtml,
  setupsHtml,
  summaryHtml,
} from './views.js';

/** `/orders`: the setups list's limit, cursor and format, and an order state instead (R12). */
const ordersQuerySchema = z.extend(setupsQuerySchema, {
  state: z.optional(z.enum(ORDER_STATES)),
});
/** The form's `any` state comes empty: no filter. */
const BLANKABLE_ORDER_FILTERS: ReadonlySet<string> = new Set(['state']);

export interface SalesOptions {
  readonly reader: SalesReader;
  readonly catalog: ProductCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
}

export type SalesEvent = APIGatewayProxyEventV2;
export type SalesResult = APIGatewayProxyStructuredResultV2;
type Event = SalesEvent;
type Result = SalesResult;
type Format = 'json' | 'csv' | 'html';

class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

/** The contract list's CSV columns: the first twelve as they always were, the terms' after them. */
const CONTRACT_CSV: readonly (readonly [string, (c: ContractRow) => unknown])[] = [
  ['contractId', (c) => c.contractId],
  ['productCode', (c) => c.productCode],
  ['status', (c) => c.status],
  ['activeCredits', (c) => c.activeCredits],
  ['expiresAt', (c) => c.expiresAt],
  ['customerAWSAccountId', (c) => c.customerAWSAccountId],
  ['activatedBy', (c) => c.activatedBy],
  ['businessName', (c) => c.businessName],
  ['freeTrial', (c) => c.freeTrial],
  ['autoRenew', (c) => c.autoRenew],
  ['createdAt', (c) => c.createdAt],
  ['updatedAt', (c) => c.updatedAt],
  ['contractValue', (c) => c.contractValue?.amount],
  ['currency', (c) => c.contractValue?.currency],
  ['endBehavior', (c) => c.endBehavior?.type],
  ['endBehaviorReason', (c) => c.endBehavior?.reasonCode],
  ['termsUnavailable', (c) => c.termsUnavailable],
  ['overAllocatedBy', (c) => c.overAllocatedBy],
  ['previousContractId', (c) => c.previousContractId],
  ['nextContractId', (c) => c.nextContractId],
];
/** The CSV download holds at most this many contracts (read 100 a page); a header says where to go on. */
export const CSV_MAX_ROWS = 5000;
const CSV_PAGE = 100;
const contractsCsv = (rows: readonly ContractRow[]) =>
  toCsv(
    CONTRACT_CSV.map(([name]) => name),
    rows.map((row) => CONTRACT_CSV.map(([, get]) => get(row))),
  );
const OVER_ALLOCATED_CSV = [
  'businessId',
  'name',
  'primaryEmail',
  'total',
  'allocated',
  'balance',
  'overAllocatedBy',
  'overAllocatedSince',
] as const;
/**
 * The order list's CSV: one row per line, so each Registration Key has its row (sales hands
 * them to the reseller); the order's fields repeat on each of its lines.
 */
const ORDER_CSV: readonly (readonly [string, (o: OrderRow, l: OrderRow['lines'][number]) => unknown])[] = [
  ['orderId', (o) => o.orderId],
  ['company', (o) => o.company.name],
  ['companyEmail', (o) => o.company.email],
  ['companyCountry', (o) => o.company.country],
  ['orderState', (o) => o.state],
  ['importedAt', (o) => o.importedAt],
  ['importedBy', (o) => o.importedBy],
  ['lineNo', (_, l) => l.lineNo],
  ['productCode', (_, l) => l.productCode],
  ['service', (_, l) => l.service],
  ['units', (_, l) => l.units],
  ['credits', (_, l) => l.credits],
  ['startsAt', (_, l) => l.startsAt],
  ['expiresAt', (_, l) => l.expiresAt],
  ['registrationKey', (_, l) => l.registrationKey],
  ['registeredBy', (_, l) => l.registeredBy],
  ['registeredAt', (_, l) => l.registeredAt],
  ['licenseId', (_, l) => l.licenseId],
];
const ordersCsv = (orders: readonly OrderRow[]) =>
  toCsv(
    ORDER_CSV.map(([name]) => name),
    orders.flatMap((order) => order.lines.map((line) => ORDER_CSV.map(([, get]) => get(order, line)))),
  );
const SETUP_CSV = [
  'createdAt',
  'expiresAt',
  'step',
  'email',
  'customerAWSAccountId',
  'productCode',
  'contractId',
] as const;

const headers = (type: string) => ({ 'content-type': type, 'cache-control': 'no-store' });
const json = (status: number, body: unknown): Result => ({
  statusCode: status,
  headers: headers('application/json'),
  body: JSON.stringify(body),
});
const respond = (
  format: Format,
  body: { json: unknown; csv?: () => string; html: () => string; nextCursor?: string | undefined },
): Result => {
  if (format === 'csv' && !body.csv)
    throw new BadRequestError('CSV is offered for the lists /contracts, /orders, /setups and /businesses');
  return format === 'csv' && body.csv
    ? {
        statusCode: 200,
        // CSV has no room for the cursor: it travels in a header, empty on the last page.
        headers: { ...headers('text/csv; charset=utf-8'), 'x-next-cursor': body.nextCursor ?? '' },
        body: body.csv(),
      }
    : format === 'html'
      ? { statusCode: 200, headers: headers('text/html; charset=utf-8'), body: body.html() }
      : json(200, body.json);
};

/** The HTML view's tables carry inline styles only; nothing may frame them. */
const CSP_DIRECTIVES = {
  'default-src': "'none'",
  'style-src': "'unsafe-inline'",
  'frame-ancestors': "'none'",
};

/**
 * The sales view behind an IAM-authenticated function URL (payload 2.0): contracts, one
 * contract with items, audit, business and its credits, orders from other channels and one
 * order with its keys and history (R12), setups that did not finish, a summary, one business
 * with its credits and licenses, and the over-allocated businesses.
 * JSON by default, CSV with `format=csv`, an HTML table for browsers. The chain's middlewares:
 * `logContext`, `http-header-normalizer`, `securityHeaders` (on every response), the one error
 * mapper `salesErrors` (400 with the reason, else 500 with the request id); `salesRouter` ends it.
 */
export function salesMiddlewares(options: SalesOptions) {
  return [
    logContext(options.logger),
    httpHeaderNormalizer(),
    securityHeaders(CSP_DIRECTIVES),
    salesErrors(options.logger),
  ];
}

/** The handler at the end of the chain: `http-router` over the routes; JSON 404 and 405. */
export function salesRouter(options: SalesOptions) {
  return httpRouterHandler<Event, Result>({
    routes: salesRoutes(options),
    notFoundResponse: ({ method, path }) =>
      method === 'GET'
        ? json(404, {
            message: `No route ${path}: try /contracts, /contracts.csv, /contracts/{id}, /orders, /orders/{orderId}, /setups, /summary, /businesses/{id}, /businesses?overAllocated=true`,
          })
        : json(405, { message: 'Only GET is supported' }),
  });
}

/** The chain handler.ts builds, over other dependencies (tests, bench). */
export const createSalesHandler = (options: SalesOptions) =>
  middy<Event, Result, Error, Context>().use(salesMiddlewares(options)).handler(salesRouter(options));

function salesErrors(logger: Logger): MiddlewareObj<Event, Result, Error, Context> {
  return {
    onError: (request) => {
      const { error } = request;
      if (error instanceof BadRequestError || error instanceof InvalidCursorError) {
        request.response = json(400, { message: error.message });
        return;
      }
      logger.error('Sales request failed', { error });
      request.response = json(500, { message: `Internal error; request id ${request.context.awsRequestId}` });
    },
  };
}

function salesRoutes(options: SalesOptions): Route<Event, Result>[] {
  const productCodes = options.catalog.products.map((p) => p.productCode);
  const query = (event: Event) => new URLSearchParams(event.rawQueryString ?? '');
  const detailFormat = (event: Event) => formatOf(event, parse(detailQuerySchema, event).format);

  /** The reader's query of a list's filters; an unknown product is the caller's mistake. */
  const listQuery = (
    q: z.infer<typeof contractsCsvQuerySchema>,
    limit: number,
    withOverAllocation: boolean,
  ): ContractListQuery => {
    if (q.product && !productCodes.includes(q.product))
      throw new BadRequestError(`Unknown product ${q.product}`);
    const search = q.q
      ? /^\d{12}$/.test(q.q)
        ? ({ kind: 'account', accountId: q.q } as const)
        : ({ kind: 'name', text: q.q } as const)
      : undefined;
    return {
      productCodes: q.product ? [q.product] : productCodes,
      statuses: q.status ? [q.status as ContractStatus] : CONTRACT_STATUSES,
      ...(q.expiringBefore ? { expiringBefore: q.expiringBefore } : {}),
      ...(q.business ? { businessId: q.business } : {}),
      ...(q.freeTrial !== undefined ? { freeTrial: q.freeTrial } : {}),
      ...(q.autoRenew !== undefined ? { autoRenew: q.autoRenew } : {}),
      ...(search ? { search } : {}),
      limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
      withOverAllocation,
      now: options.clock.now(),
    };
  };

  const contracts = async (event: Event): Promise<Result> => {
    const q = parse(contractsQuerySchema, event, BLANKABLE_FILTERS);
    const format = formatOf(event, q.format);
    // Over-allocation costs a BatchGet of ledgers: for the views a person reads, not the JSON API.
    const page = await options.reader.listContracts(listQuery(q, q.limit, format !== 'json'));
    return respond(format, {
      json: page,
      nextCursor: page.nextCursor,
      csv: () => contractsCsv(page.contracts),
      html: () =>
        contractsHtml({
          contracts: page.contracts,
          nextCursor: page.nextCursor,
          query: query(event),
          filters: q,
          productCodes,
          statuses: CONTRACT_STATUSES,
          csvMaxRows: CSV_MAX_ROWS,
        }),
    });
  };

  /**
   * Every contract of the filtered list, up to CSV_MAX_ROWS, read page by page (each page the
   * list's cost at 100 rows, plus its ledgers): one file, the header once. When the cap stops
   * it, `x-truncated: true` and `x-next-cursor` say where a second download goes on.
   */
  const contractsCsvDownload = async (event: Event): Promise<Result> => {
    const q = parse(contractsCsvQuerySchema, event, BLANKABLE_FILTERS);
    const rows: ContractRow[] = [];
    let cursor = q.cursor;
    do {
      const page = await options.reader.listContracts(
        listQuery(
          { ...q, ...(cursor ? { cursor } : {}) },
          Math.min(CSV_PAGE, CSV_MAX_ROWS - rows.length),
          true,
        ),
      );
      rows.push(...page.contracts);
      cursor = page.nextCursor;
    } while (cursor && rows.length < CSV_MAX_ROWS);
    const day = options.clock.now().toISOString().slice(0, 10);
    return {
      statusCode: 200,
      headers: {
        ...headers('text/csv; charset=utf-8'),
        'content-disposition': `attachment; filename="contracts-${day}.csv"`,
        'x-next-cursor': cursor ?? '',
        'x-truncated': cursor ? 'true' : 'false',
      },
      body: contractsCsv(rows),
    };
  };

  return [
    { method: 'GET', path: '/', handler: contracts },
    { method: 'GET', path: '/contracts', handler: contracts },
    { method: 'GET', path: '/contracts.csv', handler: contractsCsvDownload },
    {
      method: 'GET',
      path: '/contracts/{id}',
      handler: async (event: Event) => {
        const contractId = decodePathId(event.pathParameters?.id ?? '', 'contract');
        const format = detailFormat(event);
        const found = await options.reader.getContract(contractId, options.clock.now());
        if (!found) return json(404, { message: `No contract ${contractId}` });
        return respond(format, {
          json: found,
          html: () => contractHtml(found),
        });
      },
    },
    {
      method: 'GET',
      path: '/orders',
      handler: async (event: Event) => {
        const q = parse(ordersQuerySchema, event, BLANKABLE_ORDER_FILTERS);
        const page = await options.reader.listOrders({
          limit: q.limit,
          ...(q.state ? { state: q.state } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
        return respond(formatOf(event, q.format), {
          json: page,
          nextCursor: page.nextCursor,
          csv: () => ordersCsv(page.orders),
          html: () =>
            ordersHtml({
              orders: page.orders,
              nextCursor: page.nextCursor,
              query: query(event),
              states: ORDER_STATES,
            }),
        });
      },
    },
    {
      method: 'GET',
      path: '/orders/{orderId}',
      handler: async (event: Event) => {
        // Decoded (an id may hold `:`, which links escape), then checked before any read.
        const orderId = decodePathId(event.pathParameters?.orderId ?? '', 'order');
        if (!ORDER_ID.test(orderId))
          throw new BadRequestError(
            'Invalid order id: letters, digits and . _ : - (at most 64), starting with a letter or digit',
          );
        const format = detailFormat(event);
        const found = await options.reader.getOrder(orderId);
        if (!found) return json(404, { message: `No order ${orderId}` });
        return respond(format, { json: found, html: () => orderHtml(found) });
      },
    },
    {
      method: 'GET',
      path: '/setups',
      handler: async (event: Event) => {
        const q = parse(setupsQuerySchema, event);
        const page = await options.reader.listSetups({
          state: q.state,
          limit: q.limit,
          now: options.clock.now(),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
        return respond(formatOf(event, q.format), {
          json: page,
          nextCursor: page.nextCursor,
          csv: csvOf(SETUP_CSV, page.setups),
          html: () => setupsHtml(q.state, page.setups, page.nextCursor, query(event)),
        });
      },
    },
    {
      method: 'GET',
      path: '/summary',
      handler: async (event: Event) => {
        const format = detailFormat(event);
        const now = options.clock.now();
        // The page's charts cost a bounded read of the expiry index (sales-reader summaryWithCharts);
        // the JSON stays the counters-only summary.
        if (format === 'html') {
          const { summary, charts } = await options.reader.summaryWithCharts({ productCodes, now });
          return respond(format, { json: summary, html: () => summaryHtml(summary, charts) });
        }
        const summary = await options.reader.summary({ productCodes, now });
        return respond(format, { json: summary, html: () => '' });
      },
    },
    {
      method: 'GET',
      path: '/businesses',
      handler: async (event: Event) => {
        const q = parse(businessesQuerySchema, event);
        if (!q.overAllocated) {
          throw new BadRequestError(
            'Listing every business is not supported: ask /businesses?overAllocated=true, or one business at /businesses/{businessId}',
          );
        }
        const list = await options.reader.listOverAllocated({ now: options.clock.now(), limit: q.limit });
        return respond(formatOf(event, q.format), {
          json: list,
          csv: csvOf(OVER_ALLOCATED_CSV, list.businesses),
          html: () => overAllocatedHtml(list),
        });
      },
    },
    {
      method: 'GET',
      path: '/businesses/{businessId}',
      handler: async (event: Event) => {
        // The raw segment: a valid id has nothing to decode, so a %-escape is simply not one.
        const id = businessIdSchema.safeParse(event.pathParameters?.businessId ?? '');
        if (!id.success) throw new BadRequestError(`Invalid business id: ${id.error.issues[0]?.message}`);
        const format = detailFormat(event);
        const found = await options.reader.getBusiness(id.data, options.clock.now());
        if (!found) return json(404, { message: `No business ${id.data}` });
        return respond(format, { json: found, html: () => businessHtml(found) });
      },
    },
  ];
}

/** A list's CSV, one column per field named. */
function csvOf<T, K extends keyof T & string>(columns: readonly K[], rows: readonly T[]): () => string {
  return () =>
    toCsv(
      columns,
      rows.map((row) => columns.map((k) => row[k])),
    );
}

function formatOf(event: Event, requested: Format | undefined): Format {
  if (requested) return requested;
  return (event.headers.accept ?? '').includes('text/html') ? 'html' : 'json';
}

/** Parses the query; parameters named in `blankable` that came empty (a form's `any`) are left out. */
function parse<T extends z.ZodMiniType>(
  schema: T,
  event: Event,
  blankable: ReadonlySet<string> = new Set(),
): z.infer<T> {
  const params = Object.fromEntries(
    Object.entries(event.queryStringParameters ?? {}).filter(([k, v]) => !(blankable.has(k) && v === '')),
  );
  const parsed = schema.safeParse(params);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BadRequestError(`Invalid ${String(issue?.path[0] ?? 'query')}: ${issue?.message ?? 'bad value'}`);
}

/** An id from the path; a malformed %-escape is the caller's mistake, not a 500. */
function decodePathId(segment: string, what: 'contract' | 'order'): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError(`Invalid ${what} id: malformed %-escape in the path`);
  }
}

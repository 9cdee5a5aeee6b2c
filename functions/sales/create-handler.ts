import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { ContractRow, SalesReader, SetupRow } from '../../lib/adapters/dynamodb/sales-reader.js';
import { CONTRACT_STATUSES, InvalidCursorError } from '../../lib/adapters/dynamodb/sales-reader.js';
import { toCsv } from '../../lib/adapters/http/csv.js';
import { withLogContext } from '../../lib/adapters/lambda/with-log-context.js';
import type { ContractStatus } from '../../lib/domain/contract/model.js';
import type { Clock } from '../../lib/domain/contract/ports.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { contractsQuerySchema, setupsQuerySchema } from './schema.js';
import { contractHtml, contractsHtml, setupsHtml, summaryHtml } from './views.js';

export interface SalesOptions {
  readonly reader: SalesReader;
  readonly catalog: ProductCatalog;
  readonly clock: Clock;
  readonly logger: Logger;
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;
type Format = 'json' | 'csv' | 'html';

class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

const CONTRACT_CSV = [
  'contractId',
  'productCode',
  'status',
  'activeCredits',
  'expiresAt',
  'customerAWSAccountId',
  'activatedBy',
  'businessName',
  'freeTrial',
  'autoRenew',
  'createdAt',
  'updatedAt',
] as const;
const SETUP_CSV = [
  'createdAt',
  'expiresAt',
  'step',
  'email',
  'customerAWSAccountId',
  'productCode',
  'contractId',
] as const;

const headers = (type: string) => ({
  'content-type': type,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
});
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
    throw new BadRequestError('CSV is offered for the lists /contracts and /setups');
  return format === 'csv' && body.csv
    ? {
        statusCode: 200,
        // CSV has no room for the cursor: it travels in a header, empty on the last page.
        headers: { ...headers('text/csv; charset=utf-8'), 'x-next-cursor': body.nextCursor ?? '' },
        body: body.csv(),
      }
    : format === 'html'
      ? {
          statusCode: 200,
          headers: {
            ...headers('text/html; charset=utf-8'),
            'content-security-policy':
              "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
          },
          body: body.html(),
        }
      : json(200, body.json);
};

/**
 * The sales view behind an IAM-authenticated function URL (payload 2.0): contracts, one
 * contract with items, audit and business, setups that did not finish, and a summary.
 * JSON by default, CSV with `format=csv`, an HTML table for browsers.
 */
export function createSalesHandler(options: SalesOptions) {
  const productCodes = options.catalog.products.map((p) => p.productCode);

  function formatOf(event: Event, requested: Format | undefined): Format {
    if (requested) return requested;
    return (event.headers.accept ?? '').includes('text/html') ? 'html' : 'json';
  }

  function parse<T extends z.ZodMiniType>(schema: T, event: Event): z.infer<T> {
    const parsed = schema.safeParse(event.queryStringParameters ?? {});
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new BadRequestError(
      `Invalid ${String(issue?.path[0] ?? 'query')}: ${issue?.message ?? 'bad value'}`,
    );
  }

  async function route(event: Event): Promise<Result> {
    if (event.requestContext.http.method !== 'GET') return json(405, { message: 'Only GET is supported' });
    const path = event.rawPath.replace(/\/+$/, '') || '/';
    const query = new URLSearchParams(event.rawQueryString ?? '');

    if (path === '/contracts' || path === '/') {
      const q = parse(contractsQuerySchema, event);
      if (q.product && !productCodes.includes(q.product))
        throw new BadRequestError(`Unknown product ${q.product}`);
      const page = await options.reader.listContracts({
        productCodes: q.product ? [q.product] : productCodes,
        statuses: q.status ? [q.status as ContractStatus] : CONTRACT_STATUSES,
        ...(q.expiringBefore ? { expiringBefore: q.expiringBefore } : {}),
        ...(q.business ? { businessId: q.business } : {}),
        ...(q.freeTrial !== undefined ? { freeTrial: q.freeTrial } : {}),
        limit: q.limit,
        ...(q.cursor ? { cursor: q.cursor } : {}),
      });
      return respond(formatOf(event, q.format), {
        json: page,
        nextCursor: page.nextCursor,
        csv: () =>
          toCsv(
            CONTRACT_CSV,
            page.contracts.map((c: ContractRow) => CONTRACT_CSV.map((k) => c[k])),
          ),
        html: () => contractsHtml(page.contracts, page.nextCursor, query),
      });
    }

    const detail = /^\/contracts\/([^/]+)$/.exec(path);
    if (detail?.[1]) {
      const contractId = decodeURIComponent(detail[1]);
      const found = await options.reader.getContract(contractId);
      if (!found) return json(404, { message: `No contract ${contractId}` });
      return respond(formatOf(event, formatParam(query)), {
        json: found,
        html: () => contractHtml(found),
      });
    }

    if (path === '/setups') {
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
        csv: () =>
          toCsv(
            SETUP_CSV,
            page.setups.map((s: SetupRow) => SETUP_CSV.map((k) => s[k])),
          ),
        html: () => setupsHtml(q.state, page.setups, page.nextCursor, query),
      });
    }

    if (path === '/summary') {
      const summary = await options.reader.summary({ productCodes, now: options.clock.now() });
      return respond(formatOf(event, formatParam(query)), {
        json: summary,
        html: () => summaryHtml(summary),
      });
    }

    return json(404, { message: `No route ${path}: try /contracts, /contracts/{id}, /setups, /summary` });
  }

  return withLogContext(options.logger, async (event: Event, context: Context): Promise<Result> => {
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof BadRequestError || error instanceof InvalidCursorError)
        return json(400, { message: error.message });
      options.logger.error('Sales request failed', { error: error as Error });
      return json(500, { message: `Internal error; request id ${context.awsRequestId}` });
    }
  });
}

function formatParam(query: URLSearchParams): Format | undefined {
  const format = query.get('format');
  if (format === null) return undefined;
  if (format === 'json' || format === 'csv' || format === 'html') return format;
  throw new BadRequestError('Invalid format: use json, csv or html');
}

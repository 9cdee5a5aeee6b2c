import { randomBytes } from 'node:crypto';
import type { SignedFetch } from '../../cli/sales/signed-fetch.js';
import type { OrderLineView, OrderView } from '../../lib/domain/orders/model.js';

/**
 * Orders from other channels (R12) for the local marketplace page: a reseller's or a direct
 * sale's order is imported through the license API (`POST /orders`), signed as the product
 * stand-in signs its calls, and each line comes back with its Registration Key (R11), which
 * the buyer then enters on the setup function's /register page.
 */

/** An order, and one of its lines, as the license API answers them: the domain's view. */
export type ApiOrder = OrderView;
export type ApiOrderLine = OrderLineView;

/** The body of `POST /orders` (events/license-api/16-import-order.json). */
export interface OrderImport {
  readonly orderId: string;
  readonly company: { readonly name: string; readonly country?: string };
  readonly lines: readonly {
    readonly productCode: string;
    readonly service: string;
    readonly units?: number;
    readonly credits?: number;
    readonly expiresAt: string;
  }[];
}

export interface OrdersApi {
  /** Imports the order; the same order again answers the stored one (`created` false). */
  importOrder(order: OrderImport): Promise<{ readonly created: boolean; readonly order: ApiOrder }>;
  order(orderId: string): Promise<ApiOrder>;
  /** The newest orders first. */
  recent(limit: number): Promise<readonly ApiOrder[]>;
}

/** The license API refused (4xx) or failed (5xx): its `code` and message, as it sent them. */
export class OrdersApiError extends Error {
  override readonly name = 'OrdersApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createOrdersApi(fetch: SignedFetch): OrdersApi {
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const response = await fetch(path, {
      method,
      accept: 'application/json',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new OrdersApiError(
        response.status,
        'not-json',
        `The license API answered ${response.status} without JSON`,
      );
    }
    if (response.ok) return parsed as T;
    const { code, message } = (parsed ?? {}) as { code?: unknown; message?: unknown };
    throw new OrdersApiError(
      response.status,
      typeof code === 'string' ? code : `http-${response.status}`,
      typeof message === 'string' ? message : `HTTP ${response.status}`,
    );
  };
  return {
    importOrder: (order) => call('POST', '/orders', order),
    order: async (orderId) =>
      (await call<{ order: ApiOrder }>('GET', `/orders/${encodeURIComponent(orderId)}`)).order,
    recent: async (limit) => (await call<{ orders: ApiOrder[] }>('GET', `/orders?limit=${limit}`)).orders,
  };
}

/** A fresh order id for the form, like a sales system's: `SO-` and eight random hex digits. */
export function newOrderId(): string {
  return `SO-${randomBytes(4).toString('hex').toUpperCase()}`;
}

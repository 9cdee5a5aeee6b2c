import type { SignedFetch } from '../../cli/sales/signed-fetch.js';
import type { CreditUsage } from '../../lib/domain/credits/ledger.js';
import type { LicenseView } from '../../lib/domain/credits/licenses.js';
import type { Service } from '../../lib/domain/product/catalog.js';
import type { Business } from '../../lib/domain/setup/model.js';

/**
 * What the product stand-in asks of the license API, as the vendor's product would: each call
 * one signed request (SigV4 through `createSignedFetch`), each answer the API's JSON as is.
 */
export interface LicenseApi {
  findBusiness(email: string): Promise<Business>;
  business(businessId: string): Promise<{ business: Business; usage: CreditUsage }>;
  licenses(businessId: string): Promise<readonly LicenseView[]>;
  services(): Promise<readonly Service[]>;
  /** Enables or resizes a service (PUT); `changed` false when it already had these units. */
  allocate(businessId: string, service: string, units: number): Promise<AllocationAnswer>;
  /** Disables a service (DELETE): its credits go back to the balance. */
  release(businessId: string, service: string): Promise<AllocationAnswer>;
}

export interface AllocationAnswer {
  readonly changed: boolean;
  readonly usage: CreditUsage;
}

/** The license API refused (4xx) or failed (5xx): its stable `code` and its message, as it sent them. */
export class LicenseApiError extends Error {
  override readonly name = 'LicenseApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export function createLicenseApi(fetch: SignedFetch): LicenseApi {
  const call = async <T>(
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    body?: Record<string, unknown>,
  ): Promise<T> => {
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
      throw new LicenseApiError(
        response.status,
        'not-json',
        `The license API answered ${response.status} without JSON`,
      );
    }
    if (response.ok) return parsed as T;
    const { code, message, Message, ...details } = (parsed ?? {}) as Record<string, unknown>;
    throw new LicenseApiError(
      response.status,
      typeof code === 'string' ? code : `http-${response.status}`,
      typeof message === 'string'
        ? message
        : typeof Message === 'string'
          ? Message
          : `HTTP ${response.status}`,
      details,
    );
  };
  const segment = encodeURIComponent;
  return {
    findBusiness: async (email) =>
      (await call<{ business: Business }>('GET', `/businesses?email=${segment(email)}`)).business,
    business: (id) => call('GET', `/businesses/${segment(id)}`),
    licenses: async (id) =>
      (await call<{ licenses: LicenseView[] }>('GET', `/businesses/${segment(id)}/licenses`)).licenses,
    services: async () => (await call<{ services: Service[] }>('GET', '/services')).services,
    allocate: (id, service, units) =>
      call('PUT', `/businesses/${segment(id)}/allocations/${segment(service)}`, { units }),
    release: (id, service) => call('DELETE', `/businesses/${segment(id)}/allocations/${segment(service)}`),
  };
}

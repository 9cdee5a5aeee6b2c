import type {
  AddLicenseResponse,
  AllocationResponse,
  BusinessResponse,
  ImportOrderResponse,
  LicensesResponse,
  OrderView,
  ServicesResponse,
} from '../../../cli/licenses/main.js';
import type { Estimate } from '../../../lib/domain/credits/estimate.js';
import type { CreditUsage } from '../../../lib/domain/credits/ledger.js';
import { type RawRequest, rawTarget, verifyRequest } from '../sales-cli/sigv4-reference.js';

export const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
export const LOCAL_URL = 'http://127.0.0.1:3998';
export const FUNCTION_URL = 'https://abcdefghij0123456789klmnopqrstuv.lambda-url.eu-west-1.on.aws/';
export const BUSINESS_ID = 'biz-Xq3vA1b2C3d4E5f6G7h8';

export const SERVICES: ServicesResponse = {
  services: [
    {
      id: 'endpoint-security',
      name: 'Endpoint Security',
      unit: 'endpoint',
      creditsPerUnit: 3,
      productCode: 'prod-credits',
    },
    {
      id: 'email-security',
      name: 'Email Security',
      unit: 'mailbox',
      creditsPerUnit: 2,
      productCode: 'prod-credits',
    },
  ],
};

export const ESTIMATE: Estimate = {
  lines: [
    { ...(SERVICES.services[0] as ServicesResponse['services'][number]), units: 50, credits: 150 },
    { ...(SERVICES.services[1] as ServicesResponse['services'][number]), units: 200, credits: 400 },
  ],
  total: 550,
};

export const USAGE: CreditUsage = {
  total: 1200,
  allocated: 150,
  balance: 1050,
  overAllocatedBy: 0,
  distribution: [
    {
      service: 'endpoint-security',
      productCode: 'prod-credits',
      units: 50,
      credits: 150,
      updatedAt: '2026-04-02T08:00:00.000Z',
      share: 1,
    },
  ],
  expiringSoon: [
    {
      sourceId: 'direct~deal-7',
      kind: 'direct',
      productCode: 'prod-credits',
      credits: 200,
      expiresAt: '2026-05-20T23:59:59.000Z',
    },
  ],
  expiringCredits: 200,
  horizonDays: 60,
};

export const OVER_USAGE: CreditUsage = {
  ...USAGE,
  total: 100,
  balance: -50,
  overAllocatedBy: 50,
  overAllocatedSince: '2026-04-03T09:30:00.000Z',
};

export const BUSINESS: BusinessResponse = {
  business: {
    businessId: BUSINESS_ID,
    name: 'Acme GmbH',
    country: 'DE',
    dataCenterRegion: 'eu',
    timeZone: 'Europe/Berlin',
    primaryEmail: 'ops@acme.example',
    createdAt: '2026-03-01T00:00:00.000Z',
  },
  usage: USAGE,
};

export const LICENSES: LicensesResponse = {
  businessId: BUSINESS_ID,
  licenses: [
    {
      licenseId: 'direct~deal-7',
      origin: 'other-channel',
      productCode: 'prod-credits',
      status: 'active',
      credits: 200,
      expiresAt: '2026-05-20T23:59:59.000Z',
      reference: 'deal-7',
      description: 'Partner deal',
      items: [
        {
          itemNo: 1,
          origin: 'other-channel',
          credits: 200,
          createdAt: '2026-04-01T00:00:00.000Z',
          expiresAt: '2026-05-20T23:59:59.000Z',
          state: 'active',
        },
      ],
    },
    {
      licenseId: 'prod-credits~L~l-abc',
      origin: 'marketplace',
      productCode: 'prod-credits',
      status: 'active',
      credits: 1000,
      expiresAt: '2027-03-31T23:59:59.000Z',
      items: [
        {
          itemNo: 1,
          origin: 'purchase',
          credits: 800,
          createdAt: '2026-03-01T00:00:00.000Z',
          expiresAt: '2027-03-31T23:59:59.000Z',
          state: 'ended',
          endReason: 'superseded',
        },
        {
          itemNo: 2,
          origin: 'adjustment',
          credits: 1000,
          createdAt: '2026-03-15T00:00:00.000Z',
          expiresAt: '2027-03-31T23:59:59.000Z',
          state: 'active',
        },
      ],
    },
  ],
};

export const ALLOCATED: AllocationResponse = {
  changed: true,
  allocation: {
    service: 'endpoint-security',
    productCode: 'prod-credits',
    units: 50,
    credits: 150,
    updatedAt: '2026-04-02T08:00:00.000Z',
  },
  usage: USAGE,
};

export const ADDED: AddLicenseResponse = {
  created: true,
  license: {
    reference: 'deal-8',
    businessId: BUSINESS_ID,
    productCode: 'prod-credits',
    credits: 500,
    expiresAt: '2027-03-31T23:59:59.000Z',
    description: 'Renewal deal',
    createdAt: '2026-04-02T08:00:00.000Z',
  },
  usage: { ...USAGE, total: 1700, balance: 1550 },
};

/** An order as sales imports it (events/license-api/16-import-order.json). */
export const ORDER_INPUT = {
  orderId: 'SO-2026-0042',
  company: { name: 'Example Customer GmbH', email: 'it@customer.example', country: 'DE' },
  lines: [
    {
      productCode: 'a1b2c3d4e5credits0example',
      service: 'endpoint-security',
      units: 200,
      expiresAt: '2027-04-01T00:00:00Z',
    },
    {
      productCode: 'a1b2c3d4e5credits0example',
      service: 'cloud-posture',
      credits: 800,
      startsAt: '2026-04-01T00:00:00Z',
      expiresAt: '2027-04-01T00:00:00Z',
    },
  ],
};

/** The order as the API answers it, nothing registered yet. */
export const ORDER: OrderView = {
  orderId: 'SO-2026-0042',
  company: { name: 'Example Customer GmbH', email: 'it@customer.example', country: 'DE' },
  state: 'open',
  importedAt: '2026-04-01T10:00:00.000Z',
  importedBy: 'arn:aws:sts::123456789012:assumed-role/Sales/alice',
  lines: [
    {
      lineNo: 1,
      productCode: 'a1b2c3d4e5credits0example',
      service: 'endpoint-security',
      units: 200,
      credits: 600,
      startsAt: '2026-04-01T10:00:00.000Z',
      expiresAt: '2027-04-01T00:00:00.000Z',
      registrationKey: 'PC-2230-3815-4044-5327',
    },
    {
      lineNo: 2,
      productCode: 'a1b2c3d4e5credits0example',
      service: 'cloud-posture',
      credits: 800,
      startsAt: '2026-04-01T00:00:00.000Z',
      expiresAt: '2027-04-01T00:00:00.000Z',
      registrationKey: 'PC-8690-8121-9272-7070',
    },
  ],
};

/** The same order once its first line was registered to BUSINESS_ID. */
export const PARTLY_REGISTERED: OrderView = {
  ...ORDER,
  state: 'partly-registered',
  lines: [
    {
      ...(ORDER.lines[0] as OrderView['lines'][number]),
      registeredBy: BUSINESS_ID,
      registeredAt: '2026-04-03T09:15:00.000Z',
      licenseId: 'direct~order~SO-2026-0042~1',
    },
    ORDER.lines[1] as OrderView['lines'][number],
  ],
};

export const IMPORTED: ImportOrderResponse = { created: true, order: ORDER };

/** Another order, for lists: `n` makes its id and company distinct. */
export function orderNo(n: number, overrides: Partial<OrderView> = {}): OrderView {
  return {
    ...ORDER,
    orderId: `SO-2026-${String(n).padStart(4, '0')}`,
    company: { name: `Customer ${n} Ltd` },
    importedAt: `2026-04-${String(n).padStart(2, '0')}T08:30:00.000Z`,
    ...overrides,
  };
}

export interface Sent {
  readonly method: string;
  readonly url: string;
  /** Path as sent (percent-encoded), without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The independent SigV4 reference's verdict on the request as it went on the wire. */
  readonly verified: ReturnType<typeof verifyRequest>;
}

export type Answer = { readonly status?: number; readonly body: unknown } | Response;

/**
 * A fetch standing in for the license API's function URL: it records each request as sent
 * (with the Host header fetch itself would add), checks its signature with the reference
 * implementation, and answers what `route` says.
 */
export function fakeApi(route: (sent: Sent) => Answer, region = 'us-east-1') {
  const sent: Sent[] = [];
  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    const headers: Record<string, string> = { host: new URL(url).host };
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = typeof init?.body === 'string' ? init.body : '';
    const method = init?.method ?? 'GET';
    const raw: RawRequest = { method, ...rawTarget(url), headers, body };
    const request: Sent = {
      method,
      url,
      path: rawTarget(url).rawPath,
      query: new URL(url).searchParams,
      headers,
      body,
      verified: verifyRequest(
        raw,
        (key) => (key === CREDENTIALS.accessKeyId ? CREDENTIALS.secretAccessKey : undefined),
        {
          region,
          service: 'lambda',
        },
      ),
    };
    sent.push(request);
    const answer = route(request);
    if (answer instanceof Response) return answer;
    return Response.json(answer.body, { status: answer.status ?? 200 });
  }) as typeof fetch;
  return { fetch: fakeFetch, sent };
}

export function sink() {
  const out = {
    text: '',
    write(chunk: string) {
      out.text += chunk;
      return true;
    },
  };
  return out;
}

/** A stdin standing in for the process's: yields `chunks` (strings or bytes) and counts what was read. */
export function fakeStdin(chunks: Iterable<string | Uint8Array>) {
  const state = { read: 0 };
  const stdin = {
    async *[Symbol.asyncIterator]() {
      for (const chunk of chunks) {
        state.read += 1;
        yield chunk;
      }
    },
  };
  return { stdin, state };
}

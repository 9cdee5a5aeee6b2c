import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSBatchResponse } from 'aws-lambda';
import { createSetupHandler } from '../functions/setup/create-handler.js';
import { nodeSecrets } from '../lib/adapters/crypto/node-secrets.js';
import { createBudgetCounter } from '../lib/adapters/dynamodb/budgets.js';
import { createContractStore } from '../lib/adapters/dynamodb/contract-store.js';
import { createLedgerStore } from '../lib/adapters/dynamodb/ledger-store.js';
import { createSetupStore } from '../lib/adapters/dynamodb/setup-store.js';
import { createSesClient } from '../lib/adapters/email/clients.js';
import { createSesMailer } from '../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient, createMeteringClient } from '../lib/adapters/marketplace/clients.js';
import { BUYER_RETRY, createCustomerResolver } from '../lib/adapters/marketplace/customer-resolver.js';
import { createEntitlementReader } from '../lib/adapters/marketplace/entitlement-reader.js';
import type { License } from '../local/marketplace-simulator/index.js';
import {
  BENCH_CATALOG,
  BENCH_PRODUCT,
  type BenchEnvironment,
  type BenchTable,
  createBenchTable,
  functionUrlContext,
  LICENSE_CATALOG,
  lambdaContext,
  licenseEvent,
  licensesHandler,
  marketplaceEventsHandler,
  salesHandler,
  seedBusiness,
  silentLogger,
  sqsRecord,
} from './support.js';

/** DynamoDB calls one flow made; `writes` counts single-item and batch writes, not transactions. */
export interface FlowCalls {
  readonly flow: string;
  readonly reads: number;
  readonly writes: number;
  readonly transactWrites: number;
  readonly calls: Record<string, number>;
  /** Items the flow's Queries read (ScannedCount). */
  readonly itemsRead: number;
}

const CONSOLE_URL = 'https://console.example.com/welcome';
/** The license flows' business holds this many activated contracts (issue 13: usage at 50 licenses). */
export const BUSINESS_LICENSES = 50;

/** The flows of the license API, by the names the goals look them up. */
export const LICENSE_FLOWS = {
  allocationRoute: 'allocation: PUT /businesses/{id}/allocations/{service} (the whole route)',
  allocation: 'allocation: the ledger store alone (a new service)',
  resize: 'allocation resize: the ledger store alone',
  usage: `credit usage, ${BUSINESS_LICENSES} licenses: GET /businesses/{id}/usage`,
  licenses: `licenses, ${BUSINESS_LICENSES} licenses: GET /businesses/{id}/licenses`,
} as const;

/**
 * DynamoDB calls per flow, counted by command name on the DocumentClient the real handler uses
 * (the production wiring with DynamoDB Local, the simulator and local SES). Each flow's counter
 * is reset right before the one request that makes it, so nothing else is counted. Each change
 * is its `License … - Manufacturer` EventBridge event alone, one second after the previous one,
 * as the marketplace sends them; the agreement events that travel with it are left out.
 */
export async function measureDynamoDbCalls(env: BenchEnvironment): Promise<FlowCalls[]> {
  const table = await createBenchTable(env.dynamoEndpoint, 'bench-calls');
  try {
    const deliver = marketplaceEventsHandler(env, table);
    const flows: FlowCalls[] = [];
    const count = async (flow: string, act: () => Promise<void>) => {
      table.resetCalls();
      await act();
      flows.push({ flow, ...table.counts() });
    };
    const notify = async (body: string) => expectSynced(await deliver([sqsRecord(body)]));
    const start = Date.now();
    const at = (step: number) => new Date(start + step * 1000);

    const license = env.simulator.purchase({
      productCode: BENCH_PRODUCT,
      quantities: { Credits: 1000 },
      months: 12,
    });
    const purchased = licenseEvent('Updated', license, at(0));
    await count('first purchase', () => notify(purchased));
    await count('duplicate notification', () => notify(purchased));
    env.simulator.upgrade(license.licenseArn, { Credits: 500 });
    await count('upgrade', () => notify(licenseEvent('Updated', license, at(1))));
    env.simulator.renew(license.licenseArn, { months: 12 });
    await count('renewal', () => notify(licenseEvent('Updated', license, at(2))));
    env.simulator.cancel(license.licenseArn);
    await count('cancellation', () => notify(licenseEvent('Deprovisioned', license, at(3))));

    const second = env.simulator.purchase({
      productCode: BENCH_PRODUCT,
      quantities: { Credits: 200 },
      months: 12,
    });
    await notify(licenseEvent('Updated', second, at(4)));
    const buyer = await reachReview(env, table, second);
    await count('activation', async () => {
      const done = await buyer.submit('/setup/activate');
      if (done.statusCode !== 303 || done.headers?.location !== CONSOLE_URL)
        throw new Error(`Activation did not reach the console (status ${done.statusCode})`);
    });

    const sales = salesHandler(table);
    const page = async (query: Record<string, string>) => {
      const response = await sales('/contracts', query);
      if (response.statusCode !== 200) throw new Error(`GET /contracts answered ${response.statusCode}`);
    };
    await count('sales first page', () => page({}));
    await count('sales filtered page (status=active)', () => page({ status: 'active' }));

    // The license API on a business holding BUSINESS_LICENSES activated contracts.
    const businessId = `biz-bench${randomUUID().replaceAll('-', '').slice(0, 15)}`;
    await seedBusiness(table, businessId, { licenses: BUSINESS_LICENSES, creditsEach: 1000 });
    const api = licensesHandler(env, table);
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await api(method, path, body);
      if (response.statusCode !== 200)
        throw new Error(`${method} ${path} answered ${response.statusCode}: ${response.body}`);
    };
    await count(LICENSE_FLOWS.allocationRoute, () =>
      call('PUT', `/businesses/${businessId}/allocations/svc-000`, { units: 100 }),
    );
    const ledgers = createLedgerStore({ client: table.client, tableName: table.tableName });
    const allocate = async (service: string, units: number) => {
      const rate = LICENSE_CATALOG.products[0]?.services?.[service];
      const productCode = LICENSE_CATALOG.products[0]?.productCode ?? '';
      if (!rate) throw new Error(`No service ${service} in the bench's license catalog`);
      const outcome = await ledgers.setAllocation(
        businessId,
        { service, productCode, units, creditsPerUnit: rate.creditsPerUnit },
        new Date(),
      );
      if (!outcome.changed) throw new Error(`Allocating ${units} of ${service} changed nothing`);
    };
    await count(LICENSE_FLOWS.allocation, () => allocate('svc-001', 100));
    await count(LICENSE_FLOWS.resize, () => allocate('svc-001', 150));
    await count(LICENSE_FLOWS.usage, () => call('GET', `/businesses/${businessId}/usage`));
    await count(LICENSE_FLOWS.licenses, () => call('GET', `/businesses/${businessId}/licenses`));
    return flows;
  } finally {
    await table.drop();
  }
}

function expectSynced(response: SQSBatchResponse): void {
  if (response.batchItemFailures.length > 0)
    throw new Error('The notification failed: the flow is not counted');
}

/** A buyer through the setup pages (marketplace POST, email, code, business) up to the review page. */
async function reachReview(
  env: BenchEnvironment,
  table: BenchTable,
  license: License,
): Promise<SetupBrowser> {
  const documents = { client: table.client, tableName: table.tableName };
  const handler = createSetupHandler({
    catalog: BENCH_CATALOG,
    resolver: createCustomerResolver({
      client: createMeteringClient({ endpoint: env.marketplaceEndpoint }),
      retry: BUYER_RETRY,
    }),
    contracts: createContractStore(documents),
    entitlements: createEntitlementReader({
      client: createEntitlementClient({ endpoint: env.marketplaceEndpoint }),
      retry: BUYER_RETRY,
    }),
    setups: createSetupStore(documents),
    budgets: createBudgetCounter(documents),
    secrets: nodeSecrets,
    mailer: createSesMailer({
      client: createSesClient({ endpoint: env.ses.endpoint }),
      from: 'no-reply@vendor.example',
    }),
    clock: { now: () => new Date() },
    logger: silentLogger('setup'),
    productName: 'Bench Platform',
    supportEmail: 'support@vendor.example',
    consoleUrl: CONSOLE_URL,
    dataCenterRegions: [{ id: 'eu', label: 'Europe (Frankfurt)' }],
    timeZones: ['UTC', 'Europe/Berlin'],
  });
  const buyer = new SetupBrowser((event) => handler(event, lambdaContext()));
  const email = `buyer-${randomUUID().slice(0, 8)}@example.com`;
  await buyer.post('/', { 'x-amzn-marketplace-token': env.simulator.mintToken(license.licenseArn) });
  await buyer.get('/setup');
  await buyer.submit('/setup/email', { email });
  await buyer.get('/setup');
  const mail = (await env.ses.emails()).filter((m) => m.destination.to.includes(email)).at(-1);
  const code = /code is (\d{6})/.exec(mail?.body.text ?? '')?.[1];
  if (!code) throw new Error(`No code mailed to ${email}`);
  await buyer.submit('/setup/code', { code });
  await buyer.get('/setup');
  await buyer.submit('/setup/business', {
    name: 'Bench Corp',
    country: 'Germany',
    dataCenterRegion: 'eu',
    timeZone: 'Europe/Berlin',
  });
  const review = await buyer.get('/setup');
  if (!review.body?.includes('/setup/activate')) throw new Error('The buyer did not reach the review page');
  return buyer;
}

type Result = APIGatewayProxyStructuredResultV2;

/** One buyer's browser in front of the setup function URL: keeps its cookies, reads the CSRF token. */
class SetupBrowser {
  readonly #cookies = new Map<string, string>();
  #lastPage = '';

  constructor(private readonly handler: (event: APIGatewayProxyEventV2) => Promise<Result>) {}

  get(path: string): Promise<Result> {
    return this.#request('GET', path);
  }

  post(path: string, fields: Record<string, string>): Promise<Result> {
    return this.#request('POST', path, new URLSearchParams(fields).toString());
  }

  /** Posts a form of the last page, with its CSRF token. */
  submit(path: string, fields: Record<string, string> = {}): Promise<Result> {
    const csrf = /name="csrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf"/.exec(this.#lastPage);
    const token = csrf?.[1] ?? csrf?.[2];
    if (!token) throw new Error(`No CSRF token on the last page before ${path}`);
    return this.post(path, { csrf: token, ...fields });
  }

  async #request(method: string, path: string, body?: string): Promise<Result> {
    const result = await this.handler({
      version: '2.0',
      routeKey: '$default',
      rawPath: path,
      rawQueryString: '',
      cookies: [...this.#cookies].map(([name, value]) => `${name}=${value}`),
      headers: {
        host: 'setup.example',
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      requestContext: functionUrlContext('setup', method, path),
      isBase64Encoded: false,
      ...(body !== undefined ? { body } : {}),
    });
    for (const cookie of result.cookies ?? []) {
      const [pair = ''] = cookie.split(';');
      const [name = '', ...value] = pair.split('=');
      if (/Max-Age=0\b/.test(cookie)) this.#cookies.delete(name);
      else this.#cookies.set(name, value.join('='));
    }
    if (result.statusCode !== 303) this.#lastPage = result.body ?? '';
    return result;
  }
}

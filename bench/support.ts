import { randomBytes, randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLicensesHandler } from '../functions/licenses/create-handler.js';
import { createMarketplaceEventsHandler } from '../functions/marketplace-events/create-handler.js';
import { createSalesHandler } from '../functions/sales/create-handler.js';
import { cryptoRandomBytes } from '../lib/adapters/crypto/code-random.js';
import { createBudgetCounter } from '../lib/adapters/dynamodb/budgets.js';
import { createDocumentClient } from '../lib/adapters/dynamodb/client.js';
import { createContractStore } from '../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory, createLedgerStore } from '../lib/adapters/dynamodb/ledger-store.js';
import { createOrderStore } from '../lib/adapters/dynamodb/order-store.js';
import { createSalesReader } from '../lib/adapters/dynamodb/sales-reader.js';
import { contractTableDefinition } from '../lib/adapters/dynamodb/table.js';
import { createSesClient } from '../lib/adapters/email/clients.js';
import { createCreditNotices } from '../lib/adapters/email/credit-notices.js';
import { createSesMailer } from '../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient } from '../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../lib/adapters/marketplace/entitlement-reader.js';
import { DEFAULT_RETRY } from '../lib/adapters/marketplace/retry.js';
import type { StoredContract } from '../lib/domain/contract/model.js';
import { type ContractChange, reconcile } from '../lib/domain/contract/reconcile.js';
import type { ProductCatalog } from '../lib/domain/product/catalog.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { printedLicenseArn } from '../local/marketplace-console/notifications.js';
import { type License, MarketplaceSimulator } from '../local/marketplace-simulator/index.js';
import { type RunningSesLocal, startSesLocal } from '../local/ses-local.js';
import { activatedContract, creation, creditsCatalog, registerBusiness } from '../test/support/credits.js';

/** What every measurement module runs against: one DynamoDB Local, one simulator, one local SES. */
export interface BenchEnvironment {
  readonly dynamoEndpoint: string;
  readonly simulator: MarketplaceSimulator;
  readonly marketplaceEndpoint: string;
  readonly ses: RunningSesLocal;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Starts the three local services side by side; if one fails, the others are stopped again. */
export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const simulator = new MarketplaceSimulator();
  const started = await Promise.allSettled([
    startDynamoDbLocal({ inMemory: true, sharedDb: true }),
    simulator.start(),
    startSesLocal(),
  ]);
  const [db, marketplace, ses] = started;
  const stop = async () => {
    await Promise.allSettled([
      db.status === 'fulfilled' ? db.value.stop() : undefined,
      marketplace.status === 'fulfilled' ? marketplace.value.close() : undefined,
      ses.status === 'fulfilled' ? ses.value.close() : undefined,
    ]);
  };
  if (db.status === 'rejected' || marketplace.status === 'rejected' || ses.status === 'rejected') {
    await stop();
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    throw failed?.reason;
  }
  return {
    dynamoEndpoint: db.value.endpoint,
    simulator,
    marketplaceEndpoint: marketplace.value.endpoint,
    ses: ses.value,
    stop,
  };
}

// The middleware sees the low-level names (GetItemCommand); the DocumentClient's are listed too.
const READS = new Set([
  'GetCommand',
  'GetItemCommand',
  'QueryCommand',
  'BatchGetCommand',
  'BatchGetItemCommand',
  'TransactGetCommand',
  'TransactGetItemsCommand',
]);
const WRITES = new Set([
  'PutCommand',
  'PutItemCommand',
  'UpdateCommand',
  'UpdateItemCommand',
  'DeleteCommand',
  'DeleteItemCommand',
  'BatchWriteCommand',
  'BatchWriteItemCommand',
]);
const TRANSACT_WRITES = new Set(['TransactWriteCommand', 'TransactWriteItemsCommand']);

export interface CallCounts {
  readonly reads: number;
  /** Single-item writes and batch writes; transactions are counted apart. */
  readonly writes: number;
  readonly transactWrites: number;
  /** Every command sent, by the name the SDK gives it. */
  readonly calls: Record<string, number>;
  /** Items the Queries read (ScannedCount), before filters. */
  readonly itemsRead: number;
}

/** A fresh table with the production definition, and a DocumentClient that counts what it sends. */
export interface BenchTable {
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
  counts(): CallCounts;
  resetCalls(): void;
  drop(): Promise<void>;
}

export async function createBenchTable(endpoint: string, prefix = 'bench'): Promise<BenchTable> {
  const tableName = `${prefix}-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({ endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
  // Without the stream: in AWS it costs a write nothing, but DynamoDB Local keeps every record
  // and slows down as they pile up (10,000 rows: 6.4 s without, 8.9 s and then 21 s with), which
  // would measure the emulator, not our code. The event bench reads no stream.
  const { StreamSpecification: _stream, ...definition } = contractTableDefinition(tableName);
  await admin.send(new CreateTableCommand(definition));
  const client = createDocumentClient({ endpoint, region: REGION });
  const calls = new Map<string, number>();
  let itemsRead = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const result = await next(args);
      const scanned = (result.output as { ScannedCount?: number }).ScannedCount;
      if (typeof scanned === 'number') itemsRead += scanned;
      return result;
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );
  const sum = (names: Set<string>) =>
    [...calls].filter(([name]) => names.has(name)).reduce((total, [, n]) => total + n, 0);
  return {
    tableName,
    client,
    counts: () => ({
      reads: sum(READS),
      writes: sum(WRITES),
      transactWrites: sum(TRANSACT_WRITES),
      calls: Object.fromEntries([...calls].sort(([a], [b]) => a.localeCompare(b))),
      itemsRead,
    }),
    resetCalls: () => {
      calls.clear();
      itemsRead = 0;
    },
    drop: async () => {
      await admin.send(new DeleteTableCommand({ TableName: tableName }));
      admin.destroy();
      client.destroy();
    },
  };
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Linear interpolation between the closest ranks; `p` in 0..100. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return at(low) + (at(high) - at(low)) * (rank - low);
}

/** Milliseconds `fn` took, by the monotonic clock. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Two products, so the sales list merges more than one partition per status, as a real seller's would. */
export const BENCH_CATALOG: ProductCatalog = {
  products: [
    {
      productCode: 'benchcredits0000000000001',
      productId: 'prod-benchcredits1',
      creditsPerUnit: { Credits: 1 },
    },
    {
      productCode: 'benchcredits0000000000002',
      productId: 'prod-benchcredits2',
      creditsPerUnit: { Credits: 1 },
    },
  ],
};
export const BENCH_PRODUCT = BENCH_CATALOG.products[0]?.productCode ?? '';

export const silentLogger = (serviceName: string) => new Logger({ serviceName, logLevel: 'SILENT' });

/** The marketplace-events handler wired as functions/marketplace-events/handler.ts does, on `table`. */
export function marketplaceEventsHandler(env: BenchEnvironment, table: BenchTable) {
  const entitlementClient = createEntitlementClient({ endpoint: env.marketplaceEndpoint });
  const handler = createMarketplaceEventsHandler({
    catalog: BENCH_CATALOG,
    contracts: createContractStore({ client: table.client, tableName: table.tableName }),
    entitlementsFor: (remainingMs) =>
      createEntitlementReader({ client: entitlementClient, retry: { ...DEFAULT_RETRY, remainingMs } }),
    clock: { now: () => new Date() },
    logger: silentLogger('marketplace-events'),
  });
  return (records: SQSRecord[]) => handler({ Records: records } satisfies SQSEvent, lambdaContext());
}

/** The sales handler wired as functions/sales/handler.ts does, on `table`. */
export function salesHandler(table: BenchTable) {
  const handler = createSalesHandler({
    reader: createSalesReader({ client: table.client, tableName: table.tableName }),
    catalog: BENCH_CATALOG,
    clock: { now: () => new Date() },
    logger: silentLogger('sales'),
  });
  return (path: string, query: Record<string, string> = {}) =>
    handler(salesRequest(path, query), lambdaContext());
}

/** A function URL GET (payload 2.0) as the signed sales CLI sends it, asking for JSON. */
export function salesRequest(path: string, query: Record<string, string> = {}): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(query).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: { accept: 'application/json', host: 'sales.example' },
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: functionUrlContext('sales', 'GET', path),
    isBase64Encoded: false,
  };
}

/** A random private IPv4 address. */
function benchSourceIp(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `10.${a}.${b}.${c}`;
}

/** The request context a function URL gives a payload 2.0 event. */
export function functionUrlContext(
  apiId: string,
  method: string,
  path: string,
): APIGatewayProxyEventV2['requestContext'] {
  return {
    accountId: 'anonymous',
    apiId,
    domainName: `${apiId}.example`,
    domainPrefix: apiId,
    // A fresh source per request: the bench's many POSTs must not spend one address's budget.
    http: { method, path, protocol: 'HTTP/1.1', sourceIp: benchSourceIp(), userAgent: 'bench' },
    requestId: randomUUID(),
    routeKey: '$default',
    stage: '$default',
    time: '',
    timeEpoch: Date.now(),
  };
}

/** A Lambda context with a minute left, so retries inside the handler are never cut short. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456512334:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * `License Updated/Deprovisioned - Manufacturer` for a simulator license, shaped like
 * events/eventbridge/license-updated.json (and the marketplace page's events). EventBridge
 * prints whole seconds, so two events in one second carry the same time.
 */
export function licenseEvent(kind: 'Updated' | 'Deprovisioned', license: License, at = new Date()): string {
  const agreementId = `agmt-${license.licenseArn.slice(-25)}`;
  return JSON.stringify({
    version: '0',
    id: randomUUID(),
    'detail-type': `License ${kind} - Manufacturer`,
    source: 'aws.agreement-marketplace',
    account: '123456512334',
    time: `${at.toISOString().slice(0, 19)}Z`,
    region: REGION,
    resources: [`arn:aws:aws-marketplace::aws:agreement:${agreementId}`],
    detail: {
      requestId: randomUUID(),
      catalog: 'AWSMarketplace',
      agreement: { id: agreementId },
      product: { code: license.productCode },
      license: { arn: printedLicenseArn(license.licenseArn) },
      acceptor: { accountId: license.customerAWSAccountId },
      proposer: { accountId: '123456512334' },
      offer: { id: 'offer-benchoffer000000000001' },
    },
  });
}

/** Wraps a body into an SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(body: string, sentAt = new Date()): SQSRecord {
  const messageId = randomUUID();
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentAt.getTime()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(sentAt.getTime()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456512334:marketplace-events',
    awsRegion: REGION,
  };
}

/**
 * A contract's rows exactly as lib/adapters/dynamodb/contract-store.ts writes them (its row
 * builders are not exported; these use the same key builders from keys.ts and the same
 * attributes), for seeding without going through a transaction per contract.
 */
export { auditRow, contractRow, itemRow } from '../lib/adapters/dynamodb/rows.js';

export interface Purchase {
  readonly productCode: string;
  /** `l-` and 32 hex digits, as the marketplace's license ids. */
  readonly licenseId: string;
  readonly customerAWSAccountId: string;
  readonly credits: number;
  readonly expiresAt: Date;
}

/** A new contract as the first sync of a purchase creates it: the domain's own `reconcile`, at `now`. */
export function purchasedContract(
  purchase: Purchase,
  now: Date,
): StoredContract & { changes: readonly ContractChange[] } {
  const product = BENCH_CATALOG.products.find((p) => p.productCode === purchase.productCode);
  if (!product) throw new Error(`${purchase.productCode} is not in the bench catalog`);
  const licenseArn = `arn:aws:license-manager::${purchase.customerAWSAccountId}:license:${purchase.licenseId}`;
  const result = reconcile(
    undefined,
    {
      key: { kind: 'license', productCode: purchase.productCode, licenseId: purchase.licenseId },
      entitlements: [
        {
          productCode: purchase.productCode,
          dimension: 'Credits',
          quantity: purchase.credits,
          expiresAt: purchase.expiresAt.toISOString(),
          licenseArn,
          customerAWSAccountId: purchase.customerAWSAccountId,
        },
      ],
      facts: {},
      observedAt: now.toISOString(),
    },
    product,
    now,
  );
  if (!result.changed) throw new Error('A live purchase must create a contract');
  return { ...result.next, changes: result.changes };
}

/** A product with a hundred 1-credit services (`svc-000` …) and two priced ones: the license API's catalog here. */
export const LICENSE_CATALOG: ProductCatalog = creditsCatalog;

/** The license API handler wired as functions/licenses/handler.ts does (local SES for its mails), on `table`. */
export function licensesHandler(env: BenchEnvironment, table: BenchTable, catalog = LICENSE_CATALOG) {
  const documents = { client: table.client, tableName: table.tableName };
  const logger = silentLogger('licenses');
  const handler = createLicensesHandler({
    catalog,
    orders: createOrderStore(documents),
    budgets: createBudgetCounter(documents),
    random: cryptoRandomBytes,
    ledgers: createLedgerStore(documents),
    businesses: createBusinessDirectory(documents),
    notices: createCreditNotices({
      businesses: createBusinessDirectory(documents),
      mailer: createSesMailer({
        client: createSesClient({ endpoint: env.ses.endpoint }),
        from: 'no-reply@vendor.example',
      }),
      productName: 'Bench Platform',
      logger,
    }),
    clock: { now: () => new Date() },
    logger,
  });
  return (method: string, path: string, body?: unknown) =>
    handler(licenseApiRequest(method, path, body), lambdaContext());
}

/** A function URL request (payload 2.0) to the license API, with a JSON body when given. */
export function licenseApiRequest(method: string, path: string, body?: unknown): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'licenses.example',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    requestContext: functionUrlContext('licenses', method, path),
    isBase64Encoded: false,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  };
}

/**
 * A registered business holding `licenses` activated marketplace contracts of `creditsEach`
 * credits, each saved as the contract store saves an activated contract (the contract, its
 * item and its business's ledger in one transaction), ending a year from now.
 */
export async function seedBusiness(
  table: Pick<BenchTable, 'client' | 'tableName'>,
  businessId: string,
  { licenses, creditsEach }: { licenses: number; creditsEach: number },
): Promise<void> {
  const now = new Date();
  await registerBusiness(table, businessId, `${businessId}@example.com`, now);
  const store = createContractStore({ client: table.client, tableName: table.tableName });
  const expiresAt = new Date(now.getTime() + 365 * 24 * 3600 * 1000);
  for (let i = 0; i < licenses; i++) {
    const licenseId = `l-${randomBytes(16).toString('hex')}`;
    await store.save(creation(activatedContract(licenseId, creditsEach, expiresAt, now, businessId)));
  }
}

/** One BatchWriteItem of up to 25 rows, sent again with what DynamoDB left unprocessed until none is left (seeding). */
export async function batchWriteRows(
  client: DynamoDBDocumentClient,
  tableName: string,
  rows: readonly Record<string, unknown>[],
): Promise<void> {
  let pending: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {
    [tableName]: rows.map((Item) => ({ PutRequest: { Item } })),
  };
  while (pending && Object.keys(pending).length > 0) {
    const out = await client.send(new BatchWriteCommand({ RequestItems: pending }));
    pending = out.UnprocessedItems as typeof pending;
  }
}

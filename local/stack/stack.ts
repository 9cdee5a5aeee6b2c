import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { createSignedFetch } from '../../cli/sales/signed-fetch.js';
import { type DeploymentConfig, parseDeploymentConfig } from '../../infra/config.js';
import { functionEnvironment } from '../../infra/functions.js';
import { startDynamoDbLocal } from '../dynamodb-local.js';
import { startEventConsole } from '../event-console/index.js';
import {
  createMarketplaceConsole,
  createOrdersApi,
  type NotificationMode,
  startMarketplaceConsole,
} from '../marketplace-console/index.js';
import { MarketplaceSimulator } from '../marketplace-simulator/index.js';
import { createLicenseApi, startProductConsole } from '../product-console/index.js';
import { startSesLocal } from '../ses-local.js';
import { startSqsLocal } from '../sqs-local.js';
import { type FunctionUrlHandler, startFunctionUrlServer } from './function-url-server.js';
import { invocationContext } from './invocation.js';
import { type BatchReport, type SqsHandler, startPoller } from './poller.js';
import { assertPortsFree, PortInUseError, type Ports } from './ports.js';
import { type StreamBatchReport, type StreamStart, startStreamPoller } from './stream-poller.js';
import { contractTableStreamArn, ensureContractTable } from './table.js';

export interface LocalStackOptions {
  readonly ports: Ports;
  /**
   * The support function URL's port. By default the one after the event console's (3010 with
   * the default base, `--port-base N` gives N + 10), or `ports.support` once ports.ts lists it.
   */
  readonly supportPort?: number;
  /** Folder for everything kept across restarts (DynamoDB files, the marketplace's state). */
  readonly dataDir: string;
  /** Delete the data folder's contents first. */
  readonly fresh: boolean;
  /** The cdk.json stage whose config (products, emails, regions) the functions get. */
  readonly stage: string;
  /** What the marketplace page selects by default for new purchases. */
  readonly notifications: NotificationMode;
  /** Seconds before a failed notification is received again (the deployed queue: 360). */
  readonly visibilityTimeoutSeconds: number;
  /** Handler log level (Powertools): WARN keeps the terminal readable, INFO shows every sync. */
  readonly logLevel: string;
  /** One line per event worth a human's attention. */
  readonly log: (line: string) => void;
}

export interface LocalStackUrls {
  readonly marketplace: string;
  readonly setup: string;
  readonly sales: string;
  readonly licenses: string;
  /** The support function URL (license transfers R3, code replacement R11): `npm run support -- --local`. */
  readonly support: string;
  /** The vendor's product stand-in: where activation lands; it calls the license API. */
  readonly product: string;
  readonly ses: string;
  readonly marketplaceApi: string;
  readonly sqs: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly dynamodb: string;
  /** The event console: events put on the bus and webhooks received, and the daily notices button. */
  readonly events: string;
  readonly deliveryQueueUrl: string;
  readonly deliveryDeadLetterQueueUrl: string;
  readonly streamDeadLetterQueueUrl: string;
}

export interface RunningLocalStack {
  readonly urls: LocalStackUrls;
  readonly tableName: string;
  readonly config: DeploymentConfig;
  /** Stops every part, newest first; safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
export const LOCAL_TABLE_NAME = 'contracts-local';
const SELLER_ACCOUNT_ID = '123456512334';
const ROOT = resolve(new URL('../../', import.meta.url).pathname);

let started = false;

/**
 * Starts the whole backend on loopback: DynamoDB Local (persisted), local SQS with the
 * deployed queue and DLQ, local SES, the marketplace simulator and its buyer page, the setup,
 * sales and license API function URLs, the product stand-in (where activation lands, a client of
 * the license API), and the SQS poller, all running the very handler modules that
 * Lambda runs (`functions/<name>/handler.ts`, configured through their environment).
 * One per process: the handler modules read their environment once, at import.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  if (started) throw new Error('The local stack is already running in this process');
  started = true;
  const config = loadConfig(options.stage);
  await assertPortsFree(HOST, options.ports);
  const dataDir = resolve(options.dataDir);
  if (options.fresh) {
    rmSync(join(dataDir, 'dynamodb'), { recursive: true, force: true });
    rmSync(join(dataDir, 'marketplace.json'), { force: true });
    rmSync(join(dataDir, CHECKPOINT_FILE), { force: true });
  }

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) {
      await s().catch((error: unknown) => options.log(`stop: ${String(error)}`));
    }
  };
  try {
    const dynamo = await startDynamoDbLocal({
      port: options.ports.dynamodb,
      inMemory: false,
      dbPath: join(dataDir, 'dynamodb'),
      sharedDb: true,
    });
    stops.push(() => dynamo.stop());
    await ensureContractTable(dynamo.endpoint, LOCAL_TABLE_NAME);
    const streamArn = await contractTableStreamArn(dynamo.endpoint, LOCAL_TABLE_NAME);

    const sqs = await startSqsLocal({
      host: HOST,
      port: options.ports.sqs,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });
    stops.push(() => sqs.close());
    const ses = await startSesLocal({ host: HOST, port: options.ports.ses });
    stops.push(() => ses.close());
    // The seller's side of events: a bus and a webhook endpoint that verifies signatures, with a
    // fresh signing secret per start (what Secrets Manager holds in AWS).
    const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const runNotices: { run?: () => void } = {};
    const runSweep: { run?: (action: 'incremental' | 'backfill') => void } = {};
    const eventConsole = await startEventConsole({
      host: HOST,
      port: options.ports.events,
      webhookSecret,
      log: options.log,
      runDailyNotices: () => runNotices.run?.(),
      runSweep: (action) => runSweep.run?.(action),
    });
    stops.push(() => eventConsole.stop());
    const simulator = new MarketplaceSimulator();
    const api = await simulator.start({ host: HOST, port: options.ports.marketplaceApi });
    stops.push(() => api.close());

    // The function URLs listen first (their handlers load below), so that their URLs can go
    // into the setup function's environment and onto the marketplace page.
    const handlers: {
      setup?: FunctionUrlHandler;
      sales?: FunctionUrlHandler;
      licenses?: FunctionUrlHandler;
      support?: FunctionUrlHandler;
    } = {};
    const front = (name: 'setup' | 'sales' | 'licenses' | 'support', port: number) =>
      startFunctionUrlServer({
        host: HOST,
        port,
        handler: () => {
          const handler = handlers[name];
          if (!handler) throw new Error(`${name} handler is not loaded yet`);
          return handler;
        },
        context: () => invocationContext(name),
        // A code in the support URL's path (GET /codes/{code}) never reaches the terminal (R11).
        onRequest: ({ method, path, status, ms }) =>
          options.log(
            `${name}  ${method} ${name === 'support' ? path.replace(/^\/codes\/.+$/, '/codes/…') : path} → ${status} (${ms} ms)`,
          ),
        onError: (error) => options.log(`${name}  invocation failed: ${describe(error)}`),
      });
    const setupUrl = await front('setup', options.ports.setup);
    stops.push(() => setupUrl.close());
    const salesUrl = await front('sales', options.ports.sales);
    stops.push(() => salesUrl.close());
    const licensesUrl = await front('licenses', options.ports.licenses);
    stops.push(() => licensesUrl.close());
    const supportPort = supportPortOf(options);
    const supportUrl = await front('support', supportPort).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
      throw new PortInUseError(
        `Port ${supportPort} in use on ${HOST} (support function URL). Stop what is using it, or pick other ports: \`npm start -- --port-base 4000\`.`,
      );
    });
    stops.push(() => supportUrl.close());

    // The vendor's product: it signs its license API requests as a deployed product would
    // (placeholder credentials on loopback, which the local URL does not check).
    const product = await startProductConsole({
      host: HOST,
      port: options.ports.product,
      api: createLicenseApi(createSignedFetch({ url: licensesUrl.url, region: config.region })),
      productName: config.productName,
      licensesUrl: licensesUrl.url,
    });
    stops.push(() => product.close());

    const marketplaceConsole = createMarketplaceConsole({
      simulator,
      products: config.products,
      sellerAccountId: SELLER_ACCOUNT_ID,
      setupUrl: `${setupUrl.url}/`,
      productUrl: `${product.url}/`,
      // Orders from other channels (R12) go through the license API, signed as the product signs.
      orders: createOrdersApi(createSignedFetch({ url: licensesUrl.url, region: config.region })),
      publish: async (body) => {
        await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: body }));
      },
      stateFile: join(dataDir, 'marketplace.json'),
      defaultMode: options.notifications,
    });
    const page = await startMarketplaceConsole({
      host: HOST,
      port: options.ports.marketplace,
      console: marketplaceConsole,
    });
    stops.push(() => page.close());

    const eventSources = {
      tableName: LOCAL_TABLE_NAME,
      eventBusName: 'marketplace-credits-local',
      deliveryQueueUrl: sqs.delivery.queueUrl,
      webhookUrl: eventConsole.webhookUrl,
      webhookSecretId: 'marketplace-credits/webhook',
    };
    const environment = {
      ...functionEnvironment('marketplace-events', config, { tableName: LOCAL_TABLE_NAME }),
      ...functionEnvironment('sales', config, { tableName: LOCAL_TABLE_NAME }),
      ...functionEnvironment('licenses', config, { tableName: LOCAL_TABLE_NAME }),
      ...functionEnvironment('support', config, { tableName: LOCAL_TABLE_NAME }),
      ...functionEnvironment('setup', config, {
        tableName: LOCAL_TABLE_NAME,
        consoleUrl: `${product.url}/`,
      }),
      ...functionEnvironment('reconcile', config, { tableName: LOCAL_TABLE_NAME }),
      ...functionEnvironment('notices', config, {
        tableName: LOCAL_TABLE_NAME,
        consoleUrl: `${product.url}/`,
      }),
      ...functionEnvironment('event-publisher', config, eventSources),
      ...functionEnvironment('event-delivery', config, eventSources),
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      EVENTBRIDGE_ENDPOINT: eventConsole.url,
      SECRETS_ENDPOINT: eventConsole.url,
      SQS_ENDPOINT: sqs.endpoint,
      // Retries of a failing webhook after 2, 4, 8 … seconds, so a recovery can be watched.
      DELIVERY_RETRY_BASE_SECONDS: '2',
      MARKETPLACE_ENDPOINT: api.endpoint,
      SES_ENDPOINT: ses.endpoint,
      // Every client in this process talks to a local stand-in: never sign with real credentials.
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: options.logLevel,
      POWERTOOLS_DEV: 'true',
    };
    Object.assign(process.env, environment);
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;

    const [events, setup, sales, licenses, publisher, delivery, notices, reconcile, support] =
      await Promise.all([
        import('../../functions/marketplace-events/handler.js'),
        import('../../functions/setup/handler.js'),
        import('../../functions/sales/handler.js'),
        import('../../functions/licenses/handler.js'),
        import('../../functions/event-publisher/handler.js'),
        import('../../functions/event-delivery/handler.js'),
        import('../../functions/notices/handler.js'),
        import('../../functions/reconcile/handler.js'),
        import('../../functions/support/handler.js'),
      ]);
    handlers.setup = setup.handler as unknown as FunctionUrlHandler;
    handlers.sales = sales.handler as unknown as FunctionUrlHandler;
    handlers.licenses = licenses.handler as unknown as FunctionUrlHandler;
    handlers.support = support.handler as unknown as FunctionUrlHandler;
    const poller = startPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      queueArn: sqs.queueArn,
      handler: events.handler as unknown as SqsHandler,
      context: () => invocationContext('marketplace-events'),
      onBatch: (report) => options.log(batchLine(report)),
      onError: (error) => options.log(`queue  poll failed: ${describe(error)}`),
    });
    stops.push(() => poller.stop());

    // The table's stream → the publisher, as the event source mapping does; where it got to is
    // kept across restarts (DynamoDB Local keeps the stream), so a restart republishes nothing.
    const streams = new DynamoDBStreamsClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    stops.push(async () => streams.destroy());
    const checkpoints = createCheckpoints(join(dataDir, CHECKPOINT_FILE), streamArn);
    const streamPoller = startStreamPoller({
      client: streams,
      streamArn,
      handler: publisher.handler,
      context: () => invocationContext('event-publisher'),
      startAt: checkpoints.start(),
      onCheckpoint: checkpoints.save,
      onBatch: (report) => {
        const line = streamLine(report);
        if (line) options.log(line);
      },
      onFailure: async (info) => {
        options.log(
          `stream  records ${info.startSequenceNumber}…${info.endSequenceNumber} not published: stream DLQ`,
        );
        await sqs.client.send(
          new SendMessageCommand({
            QueueUrl: sqs.streamDeadLetterQueueUrl,
            MessageBody: JSON.stringify({
              requestContext: { condition: info.reason },
              DDBStreamBatchInfo: info,
            }),
          }),
        );
      },
      onError: (error) => options.log(`stream  read failed: ${describe(error)}`),
    });
    stops.push(() => streamPoller.stop());

    const deliveryPoller = startPoller({
      client: sqs.client,
      queueUrl: sqs.delivery.queueUrl,
      queueArn: sqs.delivery.queueArn,
      handler: delivery.handler as unknown as SqsHandler,
      context: () => invocationContext('event-delivery'),
      onBatch: (report) => {
        if (report.failed.length > 0 || report.invocationError !== undefined)
          options.log(
            `delivery  ${report.failed.length} of ${report.size} failed: retried with backoff, then its DLQ`,
          );
      },
      onError: (error) => options.log(`delivery  poll failed: ${describe(error)}`),
    });
    stops.push(() => deliveryPoller.stop());

    // The daily schedule: once at start, then every 24 hours, and on the event console's button.
    let running: Promise<void> | undefined;
    runNotices.run = () => {
      running ??= notices
        .handler({}, invocationContext('notices'))
        .then((report) => {
          const sent = report.expiry?.sent ?? 0;
          options.log(
            `notices  daily run: ${sent} expiry notice${sent === 1 ? '' : 's'}, ${report.lapsed?.refreshed ?? 0} lapsed ledgers, digest ${report.digest?.mailed ? 'sent' : 'not needed'}`,
          );
        })
        .catch((error: unknown) => options.log(`notices  daily run failed: ${describe(error)}`))
        .finally(() => {
          running = undefined;
        });
    };
    const daily = setInterval(() => runNotices.run?.(), 24 * 60 * 60 * 1000);
    daily.unref();
    stops.push(async () => {
      clearInterval(daily);
      await running;
    });
    setTimeout(() => runNotices.run?.(), 1000).unref();

    // The reconciliation sweep (issue 15): daily, and from the event console's buttons (a run or
    // the one-time backfill). The lease in the table keeps two runs from overlapping.
    let sweeping: Promise<void> | undefined;
    runSweep.run = (action) => {
      sweeping ??= reconcile
        .handler({ action }, invocationContext('reconcile'))
        .then((result) => {
          const c = result.progress?.counts;
          options.log(
            result.status === 'busy'
              ? 'sweep  another run holds the lease: nothing done'
              : `sweep  ${action} ${result.status}: ${c?.agreements ?? 0} agreements, ${c?.contracts ?? 0} contracts read; drift ${result.drift} (created ${c?.created ?? 0}, changed ${c?.changed ?? 0}, ended ${c?.ended ?? 0}, continued ${c?.continued ?? 0})`,
          );
        })
        .catch((error: unknown) => options.log(`sweep  run failed: ${describe(error)}`))
        .finally(() => {
          sweeping = undefined;
        });
    };
    const dailySweep = setInterval(() => runSweep.run?.('incremental'), 24 * 60 * 60 * 1000);
    dailySweep.unref();
    stops.push(async () => {
      clearInterval(dailySweep);
      await sweeping;
    });

    return {
      urls: {
        marketplace: page.url,
        setup: setupUrl.url,
        sales: salesUrl.url,
        licenses: licensesUrl.url,
        support: supportUrl.url,
        product: product.url,
        ses: ses.endpoint,
        marketplaceApi: api.endpoint,
        sqs: sqs.endpoint,
        queueUrl: sqs.queueUrl,
        deadLetterQueueUrl: sqs.deadLetterQueueUrl,
        dynamodb: dynamo.endpoint,
        events: eventConsole.url,
        deliveryQueueUrl: sqs.delivery.queueUrl,
        deliveryDeadLetterQueueUrl: sqs.delivery.deadLetterQueueUrl,
        streamDeadLetterQueueUrl: sqs.streamDeadLetterQueueUrl,
      },
      tableName: LOCAL_TABLE_NAME,
      config,
      stop,
    };
  } catch (error) {
    await stop();
    started = false;
    throw error;
  }
}

/**
 * The support URL's port: `ports.support` when ports.ts lists the service, else the option, else
 * the one after the event console's (3010 by default); 0 when every port is picked freely.
 */
function supportPortOf(options: LocalStackOptions): number {
  const listed = (options.ports as Partial<Record<string, number>>).support;
  if (listed !== undefined) return listed;
  if (options.supportPort !== undefined) return options.supportPort;
  return options.ports.events === 0 ? 0 : options.ports.events + 1;
}

/** Where the stream poller got to, per shard, under the data folder. */
const CHECKPOINT_FILE = 'stream-checkpoints.json';

function createCheckpoints(file: string, streamArn: string) {
  let saved: { streamArn: string; checkpoints: Record<string, string> } = { streamArn, checkpoints: {} };
  try {
    const read = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as typeof saved) : undefined;
    if (read?.streamArn === streamArn && read.checkpoints) saved = read;
  } catch {
    // An unreadable file: start from the stream's oldest record (duplicates, which consumers drop by id).
  }
  return {
    start: (): StreamStart =>
      Object.keys(saved.checkpoints).length > 0 ? { checkpoints: saved.checkpoints } : 'TRIM_HORIZON',
    save: (shardId: string, sequenceNumber: string) => {
      saved.checkpoints[shardId] = sequenceNumber;
      writeFileSync(`${file}.tmp`, JSON.stringify(saved));
      renameSync(`${file}.tmp`, file);
    },
  };
}

function streamLine(report: StreamBatchReport): string | undefined {
  if (report.invocationError !== undefined)
    return `stream  batch of ${report.size} failed: ${describe(report.invocationError)}`;
  if (report.retryFrom) return `stream  batch of ${report.size}: retried from ${report.retryFrom}`;
  return undefined;
}

function loadConfig(stage: string): DeploymentConfig {
  const cdk = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context?: { stages?: Record<string, unknown> };
  };
  return parseDeploymentConfig(cdk.context?.stages?.[stage], stage);
}

function batchLine(report: BatchReport): string {
  const receives = Math.max(...report.receiveCounts);
  const retry = receives > 1 ? `, receive #${receives}` : '';
  if (report.invocationError !== undefined) {
    return `queue  batch of ${report.size} failed as a whole${retry}: ${describe(report.invocationError)}`;
  }
  const failed = report.failed.length > 0 ? `, ${report.failed.length} left for retry/DLQ` : '';
  return `queue  batch of ${report.size}: ${report.succeeded} synced${failed}${retry}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

import type { DeploymentConfig } from './config.js';

/**
 * What the CDK app and the local stack both need to know about the functions and the
 * notification queue, in one place so a laptop run cannot drift from a deployment.
 */

export type FunctionName =
  | 'marketplace-events'
  | 'setup'
  | 'sales'
  | 'licenses'
  | 'event-publisher'
  | 'event-delivery'
  | 'notices'
  | 'reconcile'
  | 'support';

export interface FunctionSettings {
  /** Folder under `functions/`, holding `handler.ts`. */
  readonly folder: FunctionName;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
}

export const FUNCTIONS: Readonly<Record<FunctionName, FunctionSettings>> = {
  'marketplace-events': { folder: 'marketplace-events', timeoutSeconds: 60, memoryMb: 512 },
  setup: { folder: 'setup', timeoutSeconds: 15, memoryMb: 512 },
  sales: { folder: 'sales', timeoutSeconds: 15, memoryMb: 512 },
  licenses: { folder: 'licenses', timeoutSeconds: 15, memoryMb: 512 },
  'event-publisher': { folder: 'event-publisher', timeoutSeconds: 30, memoryMb: 512 },
  'event-delivery': { folder: 'event-delivery', timeoutSeconds: 30, memoryMb: 256 },
  notices: { folder: 'notices', timeoutSeconds: 900, memoryMb: 512 },
  reconcile: { folder: 'reconcile', timeoutSeconds: 900, memoryMb: 512 },
  support: { folder: 'support', timeoutSeconds: 15, memoryMb: 512 },
};

/** The delivery queue (webhooks, sales mails): each message retried with backoff for about a day, then its DLQ. */
export const DELIVERY_QUEUE = {
  retentionDays: 4,
  dlqRetentionDays: 14,
  /** Six times the function's timeout; a failure sets its own, longer, backoff. */
  visibilityTimeoutSeconds: 6 * 30,
  batchSize: 10,
  /** Deliveries in flight at most (Lambda's SQS concurrency cap: 2 … 1000), whatever the backlog. */
  maxConcurrency: 5,
} as const;

/** The notifications queue, its DLQ and the event source mapping that feeds the consumer. */
export const NOTIFICATION_QUEUE = {
  retentionDays: 14,
  /** Six times the consumer's timeout, as AWS advises for an SQS event source. */
  visibilityTimeoutSeconds: 6 * FUNCTIONS['marketplace-events'].timeoutSeconds,
  /** Receives before SQS moves a message to the DLQ. */
  maxReceiveCount: 5,
  batchSize: 10,
} as const;

/**
 * The table's stream as the event publisher reads it. Only outbox records reach the function:
 * a contract's audit entries and notice claims when written, a business's ledger when written
 * or changed (Lambda event filters; the local stack applies the same patterns).
 */
export const EVENT_STREAM = {
  batchSize: 100,
  maxBatchingWindowSeconds: 1,
  /**
   * Retries of a failing batch (halved each time): -1, no limit (Lambda's default), so a target
   * that is down is waited for; what ends the retries is the record's age.
   */
  retryAttempts: -1,
  /**
   * A record older than this goes to the DLQ: 6 hours, so the runbook has the stream's other 18
   * hours (it keeps records 24) to read the range again and republish it.
   */
  maxRecordAgeSeconds: 6 * 60 * 60,
  filters: [
    {
      eventName: ['INSERT'],
      dynamodb: {
        Keys: { sk: { S: [{ prefix: 'AUDIT#' }, { prefix: 'NOTICE#' }, { prefix: 'HISTORY#' }] } },
      },
    },
    { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: ['LEDGER'] } } } },
  ],
} as const;

/** The CloudWatch namespace of the sweep's drift metric (embedded metric format) and its alarm. */
export const SWEEP_METRICS_NAMESPACE = 'MarketplaceCredits';

/** The sweep's schedules: the daily start, and a frequent "go on" that resumes a run that ran out of time. */
export const SWEEP = {
  continueEveryMinutes: 15,
  /** Never two at once: one instance (and a lease in the table, should an invocation outlive it). */
  reservedConcurrency: 1,
} as const;

/** Where the deployment-specific parts of the environment come from; the rest is config. */
export interface EnvironmentSources {
  readonly tableName: string;
  /** The setup function's redirect after activation; the config's consoleUrl unless overridden (local stack). */
  readonly consoleUrl?: string;
  /** The stack's event bus, when the config asks for one. */
  readonly eventBusName?: string;
  readonly deliveryQueueUrl?: string;
  /** The webhook endpoint; the config's unless overridden (local stack's receiver). */
  readonly webhookUrl?: string;
  readonly webhookSecretId?: string;
}

/** Each function's environment, from the deployment config: the CDK app and the local stack both call this. */
export function functionEnvironment(
  name: FunctionName,
  config: DeploymentConfig,
  sources: EnvironmentSources,
): Record<string, string> {
  const common = { TABLE_NAME: sources.tableName, PRODUCTS: JSON.stringify(config.products) };
  const webhookUrl = sources.webhookUrl ?? config.events.webhook?.url;
  const salesEmails: Record<string, string> =
    config.salesEmails.length > 0 ? { SALES_EMAILS: config.salesEmails.join(',') } : {};
  if (name === 'event-publisher') {
    return {
      ...(sources.eventBusName
        ? { EVENT_BUS_NAME: sources.eventBusName, EVENT_SOURCE: config.events.source }
        : {}),
      ...(sources.deliveryQueueUrl && (webhookUrl || config.salesEmails.length > 0)
        ? { DELIVERY_QUEUE_URL: sources.deliveryQueueUrl }
        : {}),
      ...(webhookUrl ? { WEBHOOK_URL: webhookUrl } : {}),
      ...salesEmails,
    };
  }
  if (name === 'event-delivery') {
    return {
      TABLE_NAME: sources.tableName,
      DELIVERY_QUEUE_URL: sources.deliveryQueueUrl ?? '',
      ...(webhookUrl
        ? {
            WEBHOOK_URL: webhookUrl,
            WEBHOOK_SECRET_ID: sources.webhookSecretId ?? config.events.webhook?.secretName ?? '',
          }
        : {}),
      ...salesEmails,
      SENDER_EMAIL: config.senderEmail,
      PRODUCT_NAME: config.productName,
    };
  }
  if (name === 'notices') {
    return {
      ...common,
      ...salesEmails,
      SENDER_EMAIL: config.senderEmail,
      PRODUCT_NAME: config.productName,
      CONSOLE_URL: sources.consoleUrl ?? config.consoleUrl,
    };
  }
  if (name === 'sales') return common;
  // Support moves licenses and replaces codes (R3, R11); a transfer can leave the old business
  // over-allocated, and its primary user is mailed (R9). It needs no product catalog.
  if (name === 'support') {
    return {
      TABLE_NAME: sources.tableName,
      SENDER_EMAIL: config.senderEmail,
      PRODUCT_NAME: config.productName,
    };
  }
  if (name === 'reconcile') {
    return {
      ...common,
      ...(config.agreementApi ? {} : { AGREEMENT_API: 'off' }),
      SENDER_EMAIL: config.senderEmail,
      PRODUCT_NAME: config.productName,
      SWEEP_CALLS_PER_SECOND: String(config.sweep.callsPerSecond),
      METRICS_NAMESPACE: SWEEP_METRICS_NAMESPACE,
    };
  }
  // The consumer and the license API mail a business that became over-allocated (R9).
  const mail = { SENDER_EMAIL: config.senderEmail, PRODUCT_NAME: config.productName };
  const agreementApi: Record<string, string> = config.agreementApi ? {} : { AGREEMENT_API: 'off' };
  if (name !== 'setup') return { ...common, ...mail, ...agreementApi };
  return {
    ...common,
    SENDER_EMAIL: config.senderEmail,
    SUPPORT_EMAIL: config.supportEmail,
    CONSOLE_URL: sources.consoleUrl ?? config.consoleUrl,
    PRODUCT_NAME: config.productName,
    DATA_CENTER_REGIONS: config.dataCenterRegions.map((r) => `${r.id}=${r.label}`).join(','),
  };
}

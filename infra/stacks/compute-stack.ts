import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Effect, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  FilterCriteria,
  FunctionUrlAuthType,
  LoggingFormat,
  Runtime,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INDEXES } from '../../lib/adapters/dynamodb/keys.js';
import { MARKETPLACE_DETAIL_TYPES, marketplaceTopicArn } from '../../lib/adapters/marketplace/event-types.js';
import { DELIVERY_RETRY } from '../../lib/domain/events/delivery.js';
import { FUNCTION_BUNDLING } from '../bundling.js';
import type { DeploymentConfig } from '../config.js';
import {
  DELIVERY_QUEUE,
  EVENT_STREAM,
  FUNCTIONS,
  type FunctionName,
  functionEnvironment,
  NOTIFICATION_QUEUE,
  SWEEP,
  SWEEP_METRICS_NAMESPACE,
} from '../functions.js';

export { MARKETPLACE_DETAIL_TYPES };

export interface ComputeStackProps extends StackProps {
  readonly config: DeploymentConfig;
  readonly table: ITableV2;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Stateless compute: the four functions, the notification queue and its DLQ, the EventBridge
 * rule (and optionally the legacy SNS subscriptions), the function URLs and the alarms.
 */
export class ComputeStack extends Stack {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { config, table } = props;
    // Events out (issue 14): the bus and the delivery queue exist only when the config asks.
    const eventBus = config.events.bus
      ? new EventBus(this, 'Events', { description: 'Contract and credit events for the vendor product' })
      : undefined;
    const deliveryWanted = config.events.webhook !== undefined || config.salesEmails.length > 0;
    const deliveryDlq = deliveryWanted
      ? new Queue(this, 'EventDeliveryDlq', {
          retentionPeriod: Duration.days(DELIVERY_QUEUE.dlqRetentionDays),
          encryption: QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
        })
      : undefined;
    const deliveryQueue = deliveryDlq
      ? new Queue(this, 'EventDeliveryQueue', {
          retentionPeriod: Duration.days(DELIVERY_QUEUE.retentionDays),
          visibilityTimeout: Duration.seconds(DELIVERY_QUEUE.visibilityTimeoutSeconds),
          encryption: QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          deadLetterQueue: { queue: deliveryDlq, maxReceiveCount: DELIVERY_RETRY.maxReceiveCount },
        })
      : undefined;
    const sources = {
      tableName: table.tableName,
      ...(eventBus ? { eventBusName: eventBus.eventBusName } : {}),
      ...(deliveryQueue ? { deliveryQueueUrl: deliveryQueue.queueUrl } : {}),
    };
    const fn = (name: FunctionName, reservedConcurrentExecutions?: number) => {
      const settings = FUNCTIONS[name];
      const id = name.replace(/(^|-)([a-z])/g, (_, _dash, c: string) => c.toUpperCase());
      const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS });
      // Its own role, without AWSLambdaBasicExecutionRole (which may create any log group and
      // write to every one): the function may write only to its own group, which exists.
      const role = new Role(this, `${id}Role`, {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the ${name} function`,
      });
      role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );
      grantTable(table, role, TABLE_ACCESS[name]);
      return new NodejsFunction(this, id, {
        role,
        entry: `${root}functions/${settings.folder}/handler.ts`,
        projectRoot: root,
        depsLockFilePath: `${root}package-lock.json`,
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: settings.memoryMb,
        timeout: Duration.seconds(settings.timeoutSeconds),
        bundling: FUNCTION_BUNDLING,
        logGroup,
        loggingFormat: LoggingFormat.JSON,
        // No source maps and no --enable-source-maps: with a linked map (2.1 MB for setup) the flag
        // cost 18 % of the setup cold start, measured in pairs; stack traces name minified code.
        environment: functionEnvironment(name, config, sources),
        ...(reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions }),
      });
    };

    // Notifications in: SQS with a DLQ; the consumer reports partial batch failures.
    this.deadLetterQueue = new Queue(this, 'NotificationsDlq', {
      retentionPeriod: Duration.days(NOTIFICATION_QUEUE.retentionDays),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Notifications', {
      retentionPeriod: Duration.days(NOTIFICATION_QUEUE.retentionDays),
      visibilityTimeout: Duration.seconds(NOTIFICATION_QUEUE.visibilityTimeoutSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: NOTIFICATION_QUEUE.maxReceiveCount },
    });

    new Rule(this, 'MarketplaceEventsRule', {
      description: 'AWS Marketplace agreement and license events for the configured products',
      eventPattern: { source: ['aws.agreement-marketplace'], detailType: [...MARKETPLACE_DETAIL_TYPES] },
      targets: [new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue })],
    });
    if (config.legacySns) {
      for (const { productCode } of config.products) {
        for (const kind of ['entitlement', 'subscription'] as const) {
          const topic = Topic.fromTopicArn(
            this,
            `Legacy${kind}${productCode}`,
            marketplaceTopicArn(kind, productCode),
          );
          topic.addSubscription(new SqsSubscription(this.queue, { deadLetterQueue: this.deadLetterQueue }));
        }
      }
    }

    const marketplaceEvents = fn('marketplace-events');
    marketplaceEvents.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: NOTIFICATION_QUEUE.batchSize,
        reportBatchItemFailures: true,
      }),
    );

    const senderIdentity = config.senderEmail;
    // Reserved concurrency caps what a flood of anonymous POSTs can take from the account and
    // keeps that much for buyers whatever the other functions do (issue 12, item 4).
    const setup = fn('setup', config.setupReservedConcurrency || undefined);
    const licenses = fn('licenses');
    // The audited support operations (R3 transfers, R11 code replacement), behind their own URL.
    const support = fn('support');
    // Setup mails codes and confirmations; the consumer and the license API mail a business
    // that became over-allocated (R9). Only from the configured sender's identity.
    // Events out: the table's stream (only outbox records pass the filters) → the publisher →
    // the bus and the delivery queue; the delivery function POSTs webhooks and mails sales.
    const publisher = fn('event-publisher');
    const streamDlq = new Queue(this, 'EventStreamDlq', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    publisher.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: EVENT_STREAM.batchSize,
        maxBatchingWindow: Duration.seconds(EVENT_STREAM.maxBatchingWindowSeconds),
        bisectBatchOnError: true,
        // -1 (no limit) is the mapping's default, and CDK takes only 0 … 10,000: left out then.
        ...(EVENT_STREAM.retryAttempts >= 0 ? { retryAttempts: EVENT_STREAM.retryAttempts } : {}),
        maxRecordAge: Duration.seconds(EVENT_STREAM.maxRecordAgeSeconds),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(streamDlq),
        filters: EVENT_STREAM.filters.map((pattern) => FilterCriteria.filter(pattern)),
      }),
    );
    if (eventBus) {
      eventBus.grantPutEventsTo(publisher);
      // Kept 30 days: a consumer that lost events replays them from the archive.
      eventBus.archive('EventsArchive', {
        description: 'Every event of the bus, for replay',
        eventPattern: { source: [config.events.source] },
        retention: Duration.days(30),
      });
      new CfnOutput(this, 'EventBusName', {
        value: eventBus.eventBusName,
        description: 'Route events from this bus with rules',
      });
      new CfnOutput(this, 'EventBusArn', { value: eventBus.eventBusArn });
    }
    const delivery = deliveryQueue ? fn('event-delivery') : undefined;
    if (deliveryQueue && delivery && deliveryDlq) {
      deliveryQueue.grantSendMessages(publisher);
      delivery.addEventSource(
        new SqsEventSource(deliveryQueue, {
          batchSize: DELIVERY_QUEUE.batchSize,
          reportBatchItemFailures: true,
          // A burst of events (the daily run's notices) reaches the seller's endpoint a few at a time.
          maxConcurrency: DELIVERY_QUEUE.maxConcurrency,
        }),
      );
      if (config.events.webhook) {
        Secret.fromSecretNameV2(this, 'WebhookSecret', config.events.webhook.secretName).grantRead(delivery);
      }
      new CfnOutput(this, 'EventDeliveryDlqUrl', { value: deliveryDlq.queueUrl });
    }
    new CfnOutput(this, 'EventStreamDlqUrl', { value: streamDlq.queueUrl });

    // The daily notices: expiry mails (R10, R13), lapsed ledgers, the sales digest.
    const notices = fn('notices');
    const noticesDlq = new Queue(this, 'NoticesScheduleDlq', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    // A run that fails is retried twice by Lambda (the schedule invokes it asynchronously), then
    // its event goes to the DLQ; the rule's own retries and DLQ cover an invocation that fails.
    notices.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
      onFailure: new SqsDestination(noticesDlq),
    });
    new Rule(this, 'DailyNotices', {
      description: 'Expiry notices, lapsed ledgers and the sales digest, once a day',
      schedule: Schedule.expression(config.noticesSchedule),
      targets: [
        new LambdaFunction(notices, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: noticesDlq,
        }),
      ],
    });

    // The reconciliation sweep (issue 15): daily, plus a frequent "go on" that resumes a run that
    // ran out of time (and does nothing otherwise); one instance at a time, and a lease besides.
    const reconcile = fn('reconcile', SWEEP.reservedConcurrency);
    const reconcileDlq = new Queue(this, 'ReconcileScheduleDlq', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    reconcile.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
      onFailure: new SqsDestination(reconcileDlq),
    });
    const sweepTarget = (input?: Record<string, string>) =>
      new LambdaFunction(reconcile, {
        retryAttempts: 2,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: reconcileDlq,
        ...(input ? { event: RuleTargetInput.fromObject(input) } : {}),
      });
    new Rule(this, 'DailyReconciliation', {
      description: 'Re-syncs agreements updated since the last run and contracts not synced for a day',
      schedule: Schedule.expression(config.sweep.schedule),
      targets: [sweepTarget()],
    });
    new Rule(this, 'ReconciliationContinue', {
      description: 'Resumes a reconciliation run that ran out of time; nothing otherwise',
      schedule: Schedule.rate(Duration.minutes(SWEEP.continueEveryMinutes)),
      targets: [sweepTarget({ action: 'continue' })],
    });
    // The Agreement API actions used: terms (DescribeAgreement, GetAgreementTerms) and the
    // sweep's and chains' SearchAgreements. They take no resource-level permissions.
    const agreementActions = [
      'aws-marketplace:DescribeAgreement',
      'aws-marketplace:GetAgreementTerms',
      'aws-marketplace:SearchAgreements',
    ];
    reconcile.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['aws-marketplace:GetEntitlements', ...(config.agreementApi ? agreementActions : [])],
        resources: ['*'],
      }),
    );
    if (config.agreementApi) {
      marketplaceEvents.addToRolePolicy(
        new PolicyStatement({ effect: Effect.ALLOW, actions: agreementActions, resources: ['*'] }),
      );
    }

    for (const f of [
      setup,
      marketplaceEvents,
      licenses,
      support,
      notices,
      reconcile,
      ...(delivery ? [delivery] : []),
    ]) {
      f.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['ses:SendEmail'],
          resources: [
            `arn:aws:ses:${this.region}:${this.account}:identity/${senderIdentity}`,
            `arn:aws:ses:${this.region}:${this.account}:identity/${senderIdentity.split('@')[1] ?? senderIdentity}`,
          ],
        }),
      );
    }

    // Only the setup function resolves registration tokens; both read entitlements.
    marketplaceEvents.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['aws-marketplace:GetEntitlements'],
        resources: ['*'],
      }),
    );
    setup.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['aws-marketplace:GetEntitlements', 'aws-marketplace:ResolveCustomer'],
        resources: ['*'],
      }),
    );

    const sales = fn('sales');

    const setupUrl = setup.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    const salesUrl = sales.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    const licensesUrl = licenses.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    const supportUrl = support.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    new CfnOutput(this, 'FulfillmentUrl', {
      value: setupUrl.url,
      description: 'Enter this as the fulfillment URL in the AWS Marketplace Management Portal',
    });
    new CfnOutput(this, 'SalesUrl', {
      value: salesUrl.url,
      description: 'SALES_URL for npm run sales (IAM-signed)',
    });
    new CfnOutput(this, 'LicensesUrl', {
      value: licensesUrl.url,
      description: "LICENSES_URL: the license API for the vendor's product backend (IAM-signed)",
    });
    new CfnOutput(this, 'SupportUrl', {
      value: supportUrl.url,
      description: 'SUPPORT_URL for npm run support: license transfers and code replacement (IAM-signed)',
    });
    // What a caller's role needs for an IAM-authenticated URL. Function URLs created since
    // October 2025 check lambda:InvokeFunction as well as lambda:InvokeFunctionUrl; each is
    // granted only through the URL (not the Invoke API) and only for that function.
    const invokePolicy = (id: string, description: string, target: NodejsFunction) =>
      new ManagedPolicy(this, id, {
        description,
        statements: [
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['lambda:InvokeFunctionUrl'],
            resources: [target.functionArn],
            conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': FunctionUrlAuthType.AWS_IAM } },
          }),
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ['lambda:InvokeFunction'],
            resources: [target.functionArn],
            conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
          }),
        ],
      });
    const salesInvoke = invokePolicy(
      'SalesInvokePolicy',
      'Lets a sales role read contracts through the IAM-authenticated sales function URL',
      sales,
    );
    new CfnOutput(this, 'SalesInvokePolicyArn', {
      value: salesInvoke.managedPolicyArn,
      description: 'Attach this managed policy to the role (or permission set) sales uses',
    });
    const licensesInvoke = invokePolicy(
      'LicensesInvokePolicy',
      "Lets the vendor's product backend call the IAM-authenticated license API function URL",
      licenses,
    );
    new CfnOutput(this, 'LicensesInvokePolicyArn', {
      value: licensesInvoke.managedPolicyArn,
      description: "Attach this managed policy to the role the vendor's product backend uses",
    });
    // Its own policy: moving a license (R3) or replacing a code (R11) is a permission of its own,
    // which neither the product's role (license API) nor sales' role has.
    const supportInvoke = invokePolicy(
      'SupportInvokePolicy',
      'Lets a support role transfer licenses and replace codes through the IAM-authenticated support function URL',
      support,
    );
    new CfnOutput(this, 'SupportInvokePolicyArn', {
      value: supportInvoke.managedPolicyArn,
      description: 'Attach this managed policy only to the role (or permission set) support staff use',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });

    for (const dlq of [streamDlq, noticesDlq, reconcileDlq]) {
      Validations.of(dlq).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SQS3',
        reason:
          'It is a DLQ: of the stream event source (on-failure destination) or of the schedule target, which cdk-nag does not see as one.',
      });
    }
    for (const f of [marketplaceEvents, setup, reconcile]) {
      Validations.of(f.role ?? f).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'aws-marketplace:GetEntitlements, ResolveCustomer and the Agreement API actions support no resource-level permissions.',
      });
    }

    // Alarms: anything in the DLQ, function errors and throttles, a queue that stops draining.
    // No SSE: alarm notifications carry no customer data, and SSE would need a KMS key
    // CloudWatch may use.
    const alarmTopic = new Topic(this, 'Alarms', { enforceSSL: true });
    if (config.alarmEmail) alarmTopic.addSubscription(new EmailSubscription(config.alarmEmail));
    const alarm = (name: string, metric: IMetric, threshold: number, description: string) =>
      new Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(new SnsAction(alarmTopic));
    alarm(
      'DlqNotEmpty',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      1,
      'Marketplace notifications reached the DLQ: see the runbook in README (Deploy → Redrive).',
    );
    alarm(
      'QueueStuck',
      this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5) }),
      15 * 60,
      'The oldest notification waits more than 15 minutes: the consumer is failing or throttled.',
    );
    alarm(
      'EventStreamDlqNotEmpty',
      streamDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      1,
      'Stream records the publisher could not publish: see the runbook in README (Events → Redrive).',
    );
    alarm(
      'EventsBehind',
      publisher.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(5) }),
      10 * 60 * 1000,
      'The event publisher is more than 10 minutes behind the table: it is failing or throttled.',
    );
    if (deliveryDlq) {
      alarm(
        'EventDeliveryDlqNotEmpty',
        deliveryDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        1,
        'Webhooks or sales mails failed for about a day: see the runbook in README (Events → Redrive).',
      );
    }
    alarm(
      'NoticesScheduleDlqNotEmpty',
      noticesDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      1,
      'The daily notices run failed three times or could not be invoked: see the runbook in README (Events).',
    );
    alarm(
      'ReconcileScheduleDlqNotEmpty',
      reconcileDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      1,
      'The reconciliation sweep failed three times or could not be invoked: see the runbook in README (Reconciliation).',
    );
    // The sweep corrected something the notifications had missed: a notification was lost or
    // the consumer is misconfigured. The drift report in the reconcile logs names the contracts.
    alarm(
      'ReconciliationDrift',
      new Metric({
        namespace: SWEEP_METRICS_NAMESPACE,
        metricName: 'SweepDrift',
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
      1,
      'The reconciliation sweep corrected contracts that notifications had missed: see the drift report in the reconcile logs.',
    );
    for (const [name, f] of [
      ['Reconcile', reconcile],
      ['MarketplaceEvents', marketplaceEvents],
      ['Setup', setup],
      ['Sales', sales],
      ['Licenses', licenses],
      ['Support', support],
      ['EventPublisher', publisher],
      ['Notices', notices],
      ...(delivery ? ([['EventDelivery', delivery]] as const) : []),
    ] as const) {
      alarm(`${name}Errors`, f.metricErrors({ period: Duration.minutes(5) }), 1, `${name} function errors`);
      alarm(
        `${name}Throttles`,
        f.metricThrottles({ period: Duration.minutes(5) }),
        1,
        `${name} function throttles`,
      );
    }
  }
}

/** What one function may do on the table: the actions, on the table and these indexes only. */
export interface TableAccess {
  readonly actions: readonly string[];
  readonly indexes: readonly (keyof typeof INDEXES)[];
}

/**
 * Each function's table access, read from its code (lib/adapters/dynamodb/*). A transaction
 * needs no action of its own: each Put or Update in a TransactWriteItems is authorized as
 * PutItem or UpdateItem, and a ConditionCheck as ConditionCheckItem (only the order registration
 * has one). Nobody scans or writes in batches; only a notice claim whose mail failed is deleted
 * (TTL removes the rest).
 */
export const TABLE_ACCESS: Readonly<Record<FunctionName, TableAccess>> = {
  // contract-store: load (Query on the table), findContractIds (Query on byAccount for
  // agreement events, byCustomer for SNS), the business's ledger (GetItem), save
  // (TransactWriteItems: Puts and the summary counters' Update).
  'marketplace-events': {
    actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    indexes: ['byAccount', 'byCustomer'],
  },
  // setup-store: sessions, users, businesses (GetItem, PutItem, TransactWriteItems of Puts and
  // Updates), the budget and attempt counters (UpdateItem); contract-store as above, a legacy
  // customer's contracts by byCustomer (a license is read by its key); the signed-in buyer's
  // licenses (Query on byBusiness); order-store: a key's code and its order (GetItem), the
  // registration (TransactWriteItems of Puts, and a ConditionCheck that the session's
  // Registration Key is still valid).
  setup: {
    actions: [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
    ],
    indexes: ['byCustomer', 'byBusiness'],
  },
  // ledger-store: ledgers, businesses and users (GetItem), allocations (UpdateItem, or PutItem
  // of the whole ledger), direct licenses (TransactWriteItems of Puts), a business's licenses
  // (Query on byBusiness); order-store: an import (TransactWriteItems of Puts), an order and a
  // code (GetItem), the orders list (Query on byStatus, partition ORDERS); the code lookups'
  // wrong-code budget (UpdateItem).
  licenses: {
    actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    indexes: ['byBusiness', 'byStatus'],
  },
  // support-store: a contract with its items (Query on the table), licenses, orders, codes,
  // ledgers and businesses (GetItem); a transfer (TransactWriteItems of Puts, Updates of a
  // direct license and its order line, and of the old codes' records with Puts of the new ones)
  // and a code replacement (Updates and Puts). No index: a
  // transfer writes the index keys, it never reads an index.
  support: {
    actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    indexes: [],
  },
  // sales-reader: lists (Query on byStatus, byExpiry, byBusiness; byAccount for a search by AWS account), a contract (Query on the
  // table, GetItem of its business), the summary counters (BatchGetItem).
  sales: {
    actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
    indexes: ['byStatus', 'byExpiry', 'byBusiness', 'byAccount'],
  },
  // Reads only the stream (granted by its event source), never the table.
  'event-publisher': { actions: [], indexes: [] },
  // sales-notices: the business (GetItem), a claim per event and address (PutItem with a
  // condition, UpdateItem when sent, DeleteItem when the mail failed).
  'event-delivery': {
    actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    indexes: [],
  },
  // sweep-store: the lease (UpdateItem), stale contracts (Query on byStatus), the sync time
  // (UpdateItem); contract-store as for marketplace-events (byAccount for chains, byCustomer).
  reconcile: {
    actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    indexes: ['byStatus', 'byAccount', 'byCustomer'],
  },
  // notice-store: expiring licenses and stuck setups (Query on byStatus), lapsed ledgers (Query
  // on byExpiry), their refresh (GetItem, TransactWriteItems of Puts), the over-allocated list
  // (Query, BatchGetItem), businesses (GetItem), claims (PutItem, UpdateItem, DeleteItem).
  notices: {
    actions: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    indexes: ['byStatus', 'byExpiry'],
  },
};

/** The access on the table and the named indexes only (no `index/*`). */
function grantTable(table: ITableV2, role: Role, access: TableAccess): void {
  if (access.actions.length === 0) return;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: [...access.actions],
      resources: [
        table.tableArn,
        ...access.indexes.map((index) => `${table.tableArn}/index/${INDEXES[index].name}`),
      ],
    }),
  );
}

import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, FunctionUrlAuthType, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { INDEXES } from '../../lib/adapters/dynamodb/keys.js';
import { MARKETPLACE_DETAIL_TYPES, marketplaceTopicArn } from '../../lib/adapters/marketplace/event-types.js';
import { FUNCTION_BUNDLING } from '../bundling.js';
import type { DeploymentConfig } from '../config.js';
import { FUNCTIONS, type FunctionName, functionEnvironment, NOTIFICATION_QUEUE } from '../functions.js';

export { MARKETPLACE_DETAIL_TYPES };

export interface ComputeStackProps extends StackProps {
  readonly config: DeploymentConfig;
  readonly table: ITableV2;
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Stateless compute: the three functions, the notification queue and its DLQ, the EventBridge
 * rule (and optionally the legacy SNS subscriptions), the function URLs and the alarms.
 */
export class ComputeStack extends Stack {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { config, table } = props;
    const fn = (name: FunctionName) => {
      const settings = FUNCTIONS[name];
      const id = name.replace(/(^|-)([a-z])/g, (_, _dash, c: string) => c.toUpperCase());
      const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.THREE_MONTHS });
      return new NodejsFunction(this, id, {
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
        environment: functionEnvironment(name, config, { tableName: table.tableName }),
      });
    };

    // Notifications in: SQS with a DLQ; the consumer reports partial batch failures.
    this.deadLetterQueue = new Queue(this, 'NotificationsDlq', {
      retentionPeriod: Duration.days(NOTIFICATION_QUEUE.retentionDays),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This is the dead-letter queue of the notifications queue.',
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
    grantTable(table, marketplaceEvents, 'read-write');

    const senderIdentity = config.senderEmail;
    const setup = fn('setup');
    grantTable(table, setup, 'read-write');
    setup.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail'],
        resources: [
          `arn:aws:ses:${this.region}:${this.account}:identity/${senderIdentity}`,
          `arn:aws:ses:${this.region}:${this.account}:identity/${senderIdentity.split('@')[1] ?? senderIdentity}`,
        ],
      }),
    );

    const marketplacePolicy = new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['aws-marketplace:GetEntitlements', 'aws-marketplace:ResolveCustomer'],
      resources: ['*'],
    });
    marketplaceEvents.addToRolePolicy(marketplacePolicy);
    setup.addToRolePolicy(marketplacePolicy);

    const sales = fn('sales');
    grantTable(table, sales, 'read');

    const setupUrl = setup.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    const salesUrl = sales.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });
    new CfnOutput(this, 'FulfillmentUrl', {
      value: setupUrl.url,
      description: 'Enter this as the fulfillment URL in the AWS Marketplace Management Portal',
    });
    new CfnOutput(this, 'SalesUrl', {
      value: salesUrl.url,
      description: 'SALES_URL for npm run sales (IAM-signed)',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl });

    for (const f of [marketplaceEvents, setup, sales]) {
      Validations.of(f).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The managed basic execution role only lets the function write its own logs.',
      });
    }
    for (const f of [marketplaceEvents, setup]) {
      Validations.of(f).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'aws-marketplace:GetEntitlements and ResolveCustomer support no resource-level permissions.',
      });
    }

    // Alarms: anything in the DLQ, function errors and throttles, a queue that stops draining.
    const alarmTopic = new Topic(this, 'Alarms', { enforceSSL: true, masterKey: undefined });
    Validations.of(alarmTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Alarm notifications carry no customer data; SSE would need a KMS key CloudWatch may use.',
    });
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
    for (const [name, f] of [
      ['MarketplaceEvents', marketplaceEvents],
      ['Setup', setup],
      ['Sales', sales],
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

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

/**
 * Least privilege on the table: the named actions on the table and each of its indexes by
 * name (no `index/*`), and no Scan for anyone.
 */
function grantTable(table: ITableV2, fn: NodejsFunction, access: 'read' | 'read-write'): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      effect: Effect.ALLOW,
      actions: access === 'read' ? READ_ACTIONS : [...READ_ACTIONS, ...WRITE_ACTIONS],
      resources: [
        table.tableArn,
        ...Object.values(INDEXES).map((index) => `${table.tableArn}/index/${index.name}`),
      ],
    }),
  );
}

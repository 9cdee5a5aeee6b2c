import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { esbuildBuildOptions } from '../../infra/bundling.js';
import { EVENT_STREAM, FUNCTIONS } from '../../infra/functions.js';
import { MARKETPLACE_DETAIL_TYPES } from '../../infra/stacks/compute-stack.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown> & { stages: { dev: Record<string, unknown> } };
};

/** The app for the dev stage with `overrides`; `bundle: false` skips esbuild (assets are stand-ins). */
function appWith(overrides: Record<string, unknown> = {}, { bundle = true } = {}): App {
  const dev = { ...cdkJson.context.stages.dev, ...overrides };
  const skipBundling = bundle ? {} : { 'aws:cdk:bundling-stacks': [] };
  return buildApp(new App({ context: { ...cdkJson.context, ...skipBundling, stages: { dev } } }));
}

let data: Template;
let compute: Template;
let outdir: string;
let app: App;

beforeAll(() => {
  app = appWith();
  app.synth();
  outdir = app.outdir;
  data = Template.fromStack(app.node.findChild('Credits-dev-Data') as Stack);
  compute = Template.fromStack(app.node.findChild('Credits-dev-Compute') as Stack);
}, 120_000);

describe('data stack', () => {
  it('keeps the table safe: PITR, deletion protection, retained, encrypted, TTL', () => {
    data.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });

  it('has the indexes the access patterns need', () => {
    const table = Object.values(data.findResources('AWS::DynamoDB::GlobalTable'))[0];
    const names = ((table?.Properties.GlobalSecondaryIndexes ?? []) as { IndexName: string }[])
      .map((g) => g.IndexName)
      .sort();
    expect(names).toEqual(['byAccount', 'byBusiness', 'byCustomer', 'byExpiry', 'byStatus']);
  });
});

describe('compute stack', () => {
  it('feeds marketplace events to a queue whose failures go to a 14-day DLQ after 5 receives', () => {
    compute.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
    });
    // Notifications and their DLQ; the delivery queue and its DLQ; the stream's and the schedule's DLQs.
    compute.resourceCountIs('AWS::SQS::Queue', 7);
    compute.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('routes every marketplace agreement and license detail-type from the default bus', () => {
    compute.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.agreement-marketplace'], 'detail-type': MARKETPLACE_DETAIL_TYPES },
    });
  });

  it('subscribes to the marketplace-owned legacy SNS topics only when the switch is on', () => {
    compute.resourceCountIs('AWS::SNS::Subscription', 2);
    compute.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn:
        'arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-a1b2c3d4e5credits0example',
    });
    const off = appWith({ legacySns: false }, { bundle: false });
    const template = Template.fromStack(off.node.findChild('Credits-dev-Compute') as Stack);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  }, 120_000);

  it('runs every function on Node 24, arm64', () => {
    const functions = compute.findResources('AWS::Lambda::Function');
    const app = Object.values(functions).filter((f) => f.Properties.Runtime?.startsWith('nodejs'));
    expect(app).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const f of app)
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('sets no --enable-source-maps: the bundles ship no maps, and with one the flag costs 18 % of a cold start', () => {
    const functions = compute.findResources('AWS::Lambda::Function');
    const app = Object.values(functions).filter((f) => f.Properties.Runtime?.startsWith('nodejs'));
    for (const f of app) expect(f.Properties.Environment?.Variables?.NODE_OPTIONS).toBeUndefined();
  });

  it('opens the setup URL to the marketplace and keeps the sales URL, the license API and support behind IAM', () => {
    compute.resourceCountIs('AWS::Lambda::Url', 4);
    const urls = Object.values(compute.findResources('AWS::Lambda::Url')).map((u) => ({
      auth: u.Properties.AuthType,
      target: JSON.stringify(u.Properties.TargetFunctionArn),
    }));
    expect(urls.filter((u) => u.auth === 'NONE').map((u) => u.target)).toEqual([
      expect.stringContaining(functionId(compute, 'Setup')),
    ]);
    expect(urls.filter((u) => u.auth === 'AWS_IAM')).toHaveLength(3);
    const outputs = compute.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'FulfillmentUrl',
        'SalesUrl',
        'LicensesUrl',
        'LicensesInvokePolicyArn',
        'SupportUrl',
        'SupportInvokePolicyArn',
        'DeadLetterQueueUrl',
      ]),
    );
  });

  it('grants no wildcard actions, no Scan, writes only to the functions that write, and Resource * only for marketplace calls', () => {
    const policies = Object.entries(compute.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(([id, p]) =>
      (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).map(
        (s) => ({ id, ...s }),
      ),
    );
    for (const s of statements) {
      const actions = ([] as string[]).concat(s.Action);
      expect(actions.some((a) => a.endsWith(':*') || a === '*')).toBe(false);
      expect(actions).not.toContain('dynamodb:Scan');
      if (s.Resource === '*')
        expect(actions.every((a) => a.startsWith('aws-marketplace:') || a.startsWith('xray:'))).toBe(true);
      if (actions.includes('ses:SendEmail'))
        expect(JSON.stringify(s.Resource)).toContain('identity/no-reply@vendor.example');
    }
    const salesWrites = statements.filter(
      (s) => s.id.startsWith('Sales') && ([] as string[]).concat(s.Action).includes('dynamodb:PutItem'),
    );
    expect(salesWrites).toHaveLength(0);
  });

  it('gives each function exactly the actions its code uses, on the resources it uses them on', () => {
    // Read from the code: contract-store (Query, TransactWriteItems of Put and Update),
    // setup-store and budgets (GetItem, PutItem, UpdateItem, TransactWriteItems), sales-reader
    // (Query, GetItem, BatchGetItem). A transaction is authorized per item as PutItem/UpdateItem.
    const logs = { 'logs:CreateLogStream': ['own log group'], 'logs:PutLogEvents': ['own log group'] };
    const mail = { 'ses:SendEmail': ['identity/no-reply@vendor.example', 'identity/vendor.example'] };
    expect(permissionsOf(compute, 'MarketplaceEvents')).toEqual({
      ...logs,
      ...mail,
      'dynamodb:GetItem': ['index/byAccount', 'index/byCustomer', 'table'],
      'dynamodb:Query': ['index/byAccount', 'index/byCustomer', 'table'],
      'dynamodb:PutItem': ['index/byAccount', 'index/byCustomer', 'table'],
      'dynamodb:UpdateItem': ['index/byAccount', 'index/byCustomer', 'table'],
      'sqs:ReceiveMessage': ['queue'],
      'sqs:ChangeMessageVisibility': ['queue'],
      'sqs:GetQueueUrl': ['queue'],
      'sqs:DeleteMessage': ['queue'],
      'sqs:GetQueueAttributes': ['queue'],
      'aws-marketplace:GetEntitlements': ['*'],
      // Terms and renewal chains (issue 15): the Agreement API actions it calls, nothing more.
      'aws-marketplace:DescribeAgreement': ['*'],
      'aws-marketplace:GetAgreementTerms': ['*'],
      'aws-marketplace:SearchAgreements': ['*'],
    });
    expect(permissionsOf(compute, 'Reconcile')).toEqual({
      ...logs,
      ...mail,
      'dynamodb:GetItem': ['index/byAccount', 'index/byCustomer', 'index/byStatus', 'table'],
      'dynamodb:Query': ['index/byAccount', 'index/byCustomer', 'index/byStatus', 'table'],
      'dynamodb:PutItem': ['index/byAccount', 'index/byCustomer', 'index/byStatus', 'table'],
      'dynamodb:UpdateItem': ['index/byAccount', 'index/byCustomer', 'index/byStatus', 'table'],
      'aws-marketplace:GetEntitlements': ['*'],
      'aws-marketplace:DescribeAgreement': ['*'],
      'aws-marketplace:GetAgreementTerms': ['*'],
      'aws-marketplace:SearchAgreements': ['*'],
      // The asynchronous invocation's on-failure destination: its DLQ.
      'sqs:GetQueueAttributes': [expect.stringContaining('ReconcileScheduleDlq')],
      'sqs:GetQueueUrl': [expect.stringContaining('ReconcileScheduleDlq')],
      'sqs:SendMessage': [expect.stringContaining('ReconcileScheduleDlq')],
    });
    expect(permissionsOf(compute, 'Setup')).toEqual({
      ...logs,
      ...mail,
      'dynamodb:GetItem': ['index/byBusiness', 'index/byCustomer', 'table'],
      'dynamodb:Query': ['index/byBusiness', 'index/byCustomer', 'table'],
      'dynamodb:PutItem': ['index/byBusiness', 'index/byCustomer', 'table'],
      'dynamodb:UpdateItem': ['index/byBusiness', 'index/byCustomer', 'table'],
      // The order registration's check that the session's Registration Key is still valid.
      'dynamodb:ConditionCheckItem': ['index/byBusiness', 'index/byCustomer', 'table'],
      'aws-marketplace:GetEntitlements': ['*'],
      'aws-marketplace:ResolveCustomer': ['*'],
    });
    expect(permissionsOf(compute, 'Sales')).toEqual({
      ...logs,
      'dynamodb:GetItem': [
        'index/byAccount',
        'index/byBusiness',
        'index/byExpiry',
        'index/byStatus',
        'table',
      ],
      'dynamodb:BatchGetItem': [
        'index/byAccount',
        'index/byBusiness',
        'index/byExpiry',
        'index/byStatus',
        'table',
      ],
      'dynamodb:Query': ['index/byAccount', 'index/byBusiness', 'index/byExpiry', 'index/byStatus', 'table'],
    });
    expect(permissionsOf(compute, 'Licenses')).toEqual({
      ...logs,
      ...mail,
      'dynamodb:GetItem': ['index/byBusiness', 'index/byStatus', 'table'],
      'dynamodb:Query': ['index/byBusiness', 'index/byStatus', 'table'],
      'dynamodb:PutItem': ['index/byBusiness', 'index/byStatus', 'table'],
      'dynamodb:UpdateItem': ['index/byBusiness', 'index/byStatus', 'table'],
    });
    // support-store (R3, R11): reads by key and the contract's partition, two kinds of
    // transaction; it writes index keys but reads no index. Mail: the over-allocation notice.
    expect(permissionsOf(compute, 'Support')).toEqual({
      ...logs,
      ...mail,
      'dynamodb:GetItem': ['table'],
      'dynamodb:Query': ['table'],
      'dynamodb:PutItem': ['table'],
      'dynamodb:UpdateItem': ['table'],
    });
  });

  it('gives the event functions exactly the actions their code uses', () => {
    const actions = (name: string) => Object.keys(permissionsOf(compute, name)).sort();
    // The publisher reads the stream (its event source grants that), puts on its bus, sends to
    // the delivery queue (and, as the mapping's on-failure destination, the stream DLQ); no table access.
    expect(actions('EventPublisher')).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'events:PutEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
    expect(permissionsOf(compute, 'EventPublisher')['dynamodb:GetRecords']).toEqual(['table']);
    expect(actions('EventDelivery')).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'ses:SendEmail',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ].sort(),
    );
    expect(permissionsOf(compute, 'Notices')).toMatchObject({
      'dynamodb:Query': ['index/byExpiry', 'index/byStatus', 'table'],
      'dynamodb:DeleteItem': ['index/byExpiry', 'index/byStatus', 'table'],
      'ses:SendEmail': ['identity/no-reply@vendor.example', 'identity/vendor.example'],
    });
    expect(actions('Notices')).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'dynamodb:BatchGetItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'ses:SendEmail',
        // The asynchronous invocation's on-failure destination: a failed run's event to its DLQ.
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('gives the functions no managed policy: no AWSLambdaBasicExecutionRole, only their own log group', () => {
    for (const name of [
      'MarketplaceEvents',
      'Setup',
      'Sales',
      'Licenses',
      'Support',
      'EventPublisher',
      'EventDelivery',
      'Notices',
    ]) {
      const role = compute.findResources('AWS::IAM::Role')[roleOf(compute, name)];
      expect(role?.Properties.ManagedPolicyArns, name).toBeUndefined();
    }
  });

  it('lets anyone call the setup URL through both permissions a function URL checks since October 2025', () => {
    const setup = functionId(compute, 'Setup');
    const permissions = Object.values(compute.findResources('AWS::Lambda::Permission'))
      .map((p) => p.Properties)
      .filter((p) => JSON.stringify(p.FunctionName).includes(setup));
    expect(permissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'lambda:InvokeFunctionUrl',
          Principal: '*',
          FunctionUrlAuthType: 'NONE',
        }),
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Principal: '*',
          InvokedViaFunctionUrl: true,
        }),
      ]),
    );
    expect(permissions).toHaveLength(2);
  });

  it('outputs a sales, a license API and a support policy, each with both actions its IAM URL checks, usable only through that URL', () => {
    const policies = Object.entries(compute.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toHaveLength(3);
    for (const [name, output] of [
      ['Sales', 'SalesInvokePolicyArn'],
      ['Licenses', 'LicensesInvokePolicyArn'],
      ['Support', 'SupportInvokePolicyArn'],
    ] as const) {
      const target = { 'Fn::GetAtt': [functionId(compute, name), 'Arn'] };
      const [id, policy] =
        policies.find(([, p]) =>
          JSON.stringify(p.Properties.PolicyDocument).includes(functionId(compute, name)),
        ) ?? [];
      expect(policy?.Properties.PolicyDocument.Statement, name).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunctionUrl',
          Resource: target,
          Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        },
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: target,
          Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
        },
      ]);
      expect(compute.findOutputs(output)[output]?.Value).toEqual({ Ref: id });
    }
  });

  it('lets only the support policy invoke the support function: no other policy, role or permission names it (R3, R11)', () => {
    const support = functionId(compute, 'Support');
    const naming = (type: string) =>
      Object.entries(compute.findResources(type))
        .filter(([, r]) => JSON.stringify(r.Properties).includes(support))
        .map(([id]) => id);
    expect(naming('AWS::IAM::ManagedPolicy')).toEqual([expect.stringMatching(/^SupportInvokePolicy/)]);
    // Role policies grant the table, logs and mail; none lets a role call the support function.
    expect(naming('AWS::IAM::Policy')).toEqual([]);
    // Its URL is the only way in (no public permission, unlike the setup URL's).
    expect(naming('AWS::Lambda::Permission')).toEqual([]);
    expect(naming('AWS::Lambda::Url')).toHaveLength(1);
  });

  it('reserves 20 concurrent executions for the setup function unless the stage says otherwise, none when false', () => {
    const reserved = (template: Template) =>
      Object.fromEntries(
        ['MarketplaceEvents', 'Setup', 'Sales'].map((name) => [
          name,
          functionProperties(template, name).ReservedConcurrentExecutions,
        ]),
      );
    expect(reserved(compute)).toEqual({ MarketplaceEvents: undefined, Setup: 20, Sales: undefined });
    const computeOf = (overrides: Record<string, unknown>) =>
      Template.fromStack(
        appWith(overrides, { bundle: false }).node.findChild('Credits-dev-Compute') as Stack,
      );
    expect(reserved(computeOf({ setupReservedConcurrency: false })).Setup).toBeUndefined();
    expect(reserved(computeOf({ setupReservedConcurrency: 50 })).Setup).toBe(50);
  }, 120_000);

  it('alarms on the DLQ, the age of the oldest message, and every function’s errors and throttles', () => {
    compute.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      AlarmActions: [Match.anyValue()],
    });
    compute.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage' });
    const alarms = Object.values(compute.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.MetricName,
    );
    expect(alarms.filter((m) => m === 'Errors')).toHaveLength(9);
    expect(alarms.filter((m) => m === 'Throttles')).toHaveLength(9);
  });

  it('runs the reconciliation sweep daily and resumes it every 15 minutes, one at a time, and alarms on drift', () => {
    compute.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 3 * * ? *)' });
    compute.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: Match.arrayWith([Match.objectLike({ Input: JSON.stringify({ action: 'continue' }) })]),
    });
    compute.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ SWEEP_CALLS_PER_SECOND: '5' }) },
    });
    compute.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SweepDrift',
      Namespace: 'MarketplaceCredits',
      Threshold: 1,
    });
  });
});

describe('events out (issue 14)', () => {
  it('streams new and old images of the table, the outbox the publisher reads', () => {
    data.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
  });

  it('feeds the publisher only outbox records, retrying halved batches, then the stream DLQ', () => {
    const mapping = Object.values(compute.findResources('AWS::Lambda::EventSourceMapping')).find((m) =>
      JSON.stringify(m.Properties.FunctionName).includes('EventPublisher'),
    );
    expect(mapping?.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: EVENT_STREAM.batchSize,
      BisectBatchOnFunctionError: true,
      MaximumRecordAgeInSeconds: EVENT_STREAM.maxRecordAgeSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^EventStreamDlq/), 'Arn'] } },
      },
    });
    const criteria = mapping?.Properties.FilterCriteria as { Filters: { Pattern: string }[] } | undefined;
    const patterns = (criteria?.Filters ?? []).map((f) => JSON.parse(f.Pattern));
    expect(patterns).toEqual(EVENT_STREAM.filters);
  });

  it('has an event bus with a 30-day archive that only the publisher may put events on', () => {
    compute.resourceCountIs('AWS::Events::EventBus', 1);
    compute.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
    const putters = Object.values(compute.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('events:PutEvents'),
    );
    expect(putters).toHaveLength(1);
    expect(JSON.stringify(putters[0]?.Properties.Roles)).toContain('EventPublisher');
  });

  it('retries deliveries about a day (15 receives) before their 14-day DLQ, and lets only the delivery function read the webhook secret', () => {
    const queues = compute.findResources('AWS::SQS::Queue');
    const [, delivery] = Object.entries(queues).find(([id]) => id.startsWith('EventDeliveryQueue')) ?? [];
    expect(delivery?.Properties).toMatchObject({
      RedrivePolicy: { maxReceiveCount: 15 },
      MessageRetentionPeriod: 4 * 86_400,
    });
    const [, dlq] = Object.entries(queues).find(([id]) => id.startsWith('EventDeliveryDlq')) ?? [];
    expect(dlq?.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 86_400 });
    expect(permissionsOf(compute, 'EventDelivery')).toMatchObject({
      'secretsmanager:GetSecretValue': [expect.stringContaining('secret:marketplace-credits/webhook')],
    });
    expect(JSON.stringify(permissionsOf(compute, 'EventPublisher'))).not.toContain('secretsmanager');
  });

  it('runs the daily notices from a schedule, with retries and a DLQ of its own', () => {
    compute.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 8 * * ? *)',
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NoticesScheduleDlq'), 'Arn'] } },
        }),
      ],
    });
  });

  it('retries a failed notices run twice and then dead-letters it (asynchronous invocation), and caps deliveries in flight', () => {
    compute.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NoticesScheduleDlq'), 'Arn'] } },
      },
    });
    const delivery = Object.values(compute.findResources('AWS::Lambda::EventSourceMapping')).find((m) =>
      JSON.stringify(m.Properties.FunctionName).includes('EventDelivery'),
    );
    expect(delivery?.Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
  });

  it('alarms on the stream DLQ, the delivery DLQ, the schedule DLQ and a publisher that falls behind', () => {
    const alarms = Object.values(compute.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const onQueue = (prefix: string) =>
      alarms.some(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Dimensions).includes(prefix),
      );
    expect(onQueue('EventStreamDlq')).toBe(true);
    expect(onQueue('EventDeliveryDlq')).toBe(true);
    expect(onQueue('NoticesScheduleDlq')).toBe(true);
    expect(alarms.some((a) => a.MetricName === 'IteratorAge')).toBe(true);
  });

  it('builds neither the bus nor the delivery queue when the config asks for neither', () => {
    const bare = appWith({ events: { bus: false }, salesEmails: [] }, { bundle: false });
    const template = Template.fromStack(bare.node.findChild('Credits-dev-Compute') as Stack);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    expect(
      Object.keys(template.findResources('AWS::SQS::Queue')).some((id) => id.startsWith('EventDelivery')),
    ).toBe(false);
    // The publisher still runs: the stream is read and nothing is lost if a target is added later.
    expect(() => functionId(template, 'EventPublisher')).not.toThrow();
  });
});

describe('configuration', () => {
  it.each([
    [{ senderEmail: 'not-an-email' }, /stages\.dev\.senderEmail/],
    [{ products: [] }, /stages\.dev\.products: list at least one product/],
    // What the functions would refuse at their cold start (PRODUCTS) is refused at synth.
    [{ products: [{ productCode: 'has spaces' }] }, /stages\.dev\.products\.0\.productCode/],
    [
      { products: [{ productCode: 'abc', creditsPerUnit: { ['x'.repeat(256)]: 1 } }] },
      /stages\.dev\.products\.0\.creditsPerUnit/,
    ],
    [{ consoleUrl: 'http://insecure.example' }, /stages\.dev\.consoleUrl/],
    [{ productName: undefined }, /stages\.dev\.productName/],
    [
      { region: 'eu-west-1', legacySns: true },
      /stages\.dev\.legacySns: the marketplace SNS topics live in us-east-1/,
    ],
    [{ setupReservedConcurrency: 0 }, /stages\.dev\.setupReservedConcurrency: at least 1/],
    [{ setupReservedConcurrency: true }, /stages\.dev\.setupReservedConcurrency/],
    [
      { events: { webhook: { url: 'http://hooks.example/x', secretName: 'w' } } },
      /stages\.dev\.events\.webhook\.url/,
    ],
    [{ salesEmails: ['not-an-email'] }, /stages\.dev\.salesEmails\.0/],
    [
      { events: { webhook: { url: 'https://user:pw@hooks.example/x', secretName: 'w' } } },
      /stages\.dev\.events\.webhook\.url: a URL without user:password@/,
    ],
    [
      { events: { webhook: { url: 'HTTPS://user:pw@hooks.example/x', secretName: 'w' } } },
      /stages\.dev\.events\.webhook\.url: a URL without user:password@/,
    ],
    [{ events: { source: 'aws.marketplace' } }, /stages\.dev\.events\.source: a source of your own/],
    [{ noticesSchedule: 'every day' }, /stages\.dev\.noticesSchedule/],
  ])('fails synth naming the field when it is wrong (%o)', (override, message) => {
    expect(() => appWith(override)).toThrow(message);
  });

  it('fails synth when the stage has no configuration', () => {
    expect(() => buildApp(new App({ context: { stage: 'prod', stages: {} } }))).toThrow(/stages\.prod/);
  });
});

describe('cdk-nag', () => {
  it('reports nothing unacknowledged for the app', () => {
    // beforeAll synthesized the app; an unacknowledged finding would have failed it.
    expect(compute).toBeDefined();
  });

  it('fails synth for an unacknowledged finding', () => {
    const app = appWith({}, { bundle: false });
    const stack = new Stack(app, 'Probe');
    new Queue(stack, 'NoDlqNoSsl');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  }, 120_000);

  it('acknowledges only findings that exist: each acknowledgement suppressed a finding at its scope', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { suppressedViolations: { acknowledgedId: string; acknowledgedAt: string }[] }[];
    };
    const used = new Set(
      report.pluginReports.flatMap((r) =>
        r.suppressedViolations.map((v) => `${v.acknowledgedId} at ${v.acknowledgedAt}`),
      ),
    );
    const acknowledged = app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
          .flatMap((m) =>
            Object.keys(m.data as Record<string, string>).map((id) => `${id} at ${c.node.path}`),
          ),
      );
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(acknowledged.filter((a) => !used.has(a))).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    const source = readFileSync(new URL('../../infra/stacks/compute-stack.ts', import.meta.url), 'utf8');
    const acks = source.match(/acknowledge\(\{[^}]*\}\)/gs) ?? [];
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack).toMatch(/reason:\s+'.{20,}/s);
  });
});

describe('bundles', () => {
  it('are byte for byte what the benchmarks build from esbuildBuildOptions, and small', async () => {
    const functions = compute.findResources('AWS::Lambda::Function');
    const scratch = mkdtempSync(join(tmpdir(), 'bundle-'));
    for (const settings of Object.values(FUNCTIONS)) {
      const id = settings.folder.replace(/(^|-)([a-z])/g, (_, _dash, c: string) => c.toUpperCase());
      const [, resource] = Object.entries(functions).find(([logicalId]) => logicalId.startsWith(id)) ?? [];
      const key = String(resource?.Properties.Code.S3Key ?? '');
      const deployed = readFileSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'));
      const outfile = join(scratch, `${settings.folder}.mjs`);
      await build({
        ...esbuildBuildOptions(`functions/${settings.folder}/handler.ts`, outfile),
        logLevel: 'silent',
      });
      const benched = readFileSync(outfile);
      expect(sha256(benched), settings.folder).toBe(sha256(deployed));
      // No credential chain beyond the environment (lambda-credentials.ts): no SSO, STS or IMDS clients.
      expect(deployed.toString()).not.toContain('sso-oidc');
    }
  });
});

type Resources = Record<string, { Properties: Record<string, unknown> & { Role?: unknown } }>;

/** The logical id of a function of the app (MarketplaceEvents, Setup, Sales). */
function functionId(template: Template, name: string): string {
  const id = Object.entries(template.findResources('AWS::Lambda::Function') as Resources).find(
    ([logicalId, f]) => logicalId.startsWith(name) && String(f.Properties.Runtime).startsWith('nodejs'),
  )?.[0];
  if (!id) throw new Error(`no function ${name}`);
  return id;
}

function functionProperties(template: Template, name: string): Record<string, unknown> {
  const fn = (template.findResources('AWS::Lambda::Function') as Resources)[functionId(template, name)];
  if (!fn) throw new Error(`no function ${name}`);
  return fn.Properties;
}

function roleOf(template: Template, name: string): string {
  const { Role } = functionProperties(template, name) as { Role: { 'Fn::GetAtt': [string, string] } };
  return Role['Fn::GetAtt'][0];
}

/**
 * Every action the function's role is allowed, each with the resources it applies to, named:
 * `table`, `index/<name>`, `queue`, `own log group`, an SES identity, or `*`.
 */
function permissionsOf(template: Template, name: string): Record<string, string[]> {
  const role = roleOf(template, name);
  const { LoggingConfig } = functionProperties(template, name) as {
    LoggingConfig: { LogGroup: { Ref: string } };
  };
  const ownLogGroup = LoggingConfig.LogGroup.Ref;
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as { Effect: string; Action: unknown; Resource: unknown }[],
    );
  const nameOf = (resource: unknown): string => {
    const json = JSON.stringify(resource);
    if (resource === '*') return '*';
    if (json === JSON.stringify({ 'Fn::GetAtt': [ownLogGroup, 'Arn'] })) return 'own log group';
    if (/^\{"Fn::GetAtt":\["Notifications[0-9A-F]+","Arn"\]\}$/.test(json)) return 'queue';
    if (json.includes('ExportsOutputFnGetAttTable'))
      return /\/index\/(\w+)/.exec(json)?.[0].slice(1) ?? 'table';
    return /identity\/[^"]+/.exec(json)?.[0] ?? json;
  };
  const allowed: Record<string, string[]> = {};
  for (const s of statements) {
    expect(s.Effect).toBe('Allow');
    for (const action of ([] as string[]).concat(s.Action as string[]))
      allowed[action] = [
        ...(allowed[action] ?? []),
        ...([] as unknown[]).concat(s.Resource).map(nameOf),
      ].sort();
  }
  return allowed;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

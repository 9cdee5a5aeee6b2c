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
import { FUNCTIONS } from '../../infra/functions.js';
import { MARKETPLACE_DETAIL_TYPES } from '../../infra/stacks/compute-stack.js';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown> & { stages: { dev: Record<string, unknown> } };
};

function appWith(overrides: Record<string, unknown> = {}): App {
  const dev = { ...cdkJson.context.stages.dev, ...overrides };
  return buildApp(new App({ context: { ...cdkJson.context, stages: { dev } } }));
}

let data: Template;
let compute: Template;
let outdir: string;

beforeAll(() => {
  const app = appWith();
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
    compute.resourceCountIs('AWS::SQS::Queue', 2);
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
    const off = appWith({ legacySns: false });
    const template = Template.fromStack(off.node.findChild('Credits-dev-Compute') as Stack);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  }, 120_000);

  it('runs every function on Node 24, arm64', () => {
    const functions = compute.findResources('AWS::Lambda::Function');
    const app = Object.values(functions).filter((f) => f.Properties.Runtime?.startsWith('nodejs'));
    expect(app).toHaveLength(3);
    for (const f of app)
      expect(f.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('sets no --enable-source-maps: the bundles ship no maps, and with one the flag costs 18 % of a cold start', () => {
    const functions = compute.findResources('AWS::Lambda::Function');
    const app = Object.values(functions).filter((f) => f.Properties.Runtime?.startsWith('nodejs'));
    for (const f of app) expect(f.Properties.Environment?.Variables?.NODE_OPTIONS).toBeUndefined();
  });

  it('opens the setup URL to the marketplace and keeps the sales URL behind IAM', () => {
    compute.resourceCountIs('AWS::Lambda::Url', 2);
    compute.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    compute.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    const outputs = compute.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining(['FulfillmentUrl', 'SalesUrl', 'DeadLetterQueueUrl']),
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
    expect(alarms.filter((m) => m === 'Errors')).toHaveLength(3);
    expect(alarms.filter((m) => m === 'Throttles')).toHaveLength(3);
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
    const app = appWith();
    const stack = new Stack(app, 'Probe');
    new Queue(stack, 'NoDlqNoSsl');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  }, 120_000);

  it('gives every acknowledgement a reason', () => {
    const source = readFileSync(new URL('../../infra/stacks/compute-stack.ts', import.meta.url), 'utf8');
    const acks = source.match(/acknowledge\(\{[^}]*\}\)/gs) ?? [];
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack).toMatch(/reason: '.{20,}/s);
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

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

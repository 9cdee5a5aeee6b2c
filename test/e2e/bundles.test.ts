import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildBuildOptions } from '../../infra/bundling.js';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { ensureContractTable } from '../../local/stack/table.js';

/**
 * The deployable bundles themselves (what `cdk synth` zips, byte for byte: test/infra), run in
 * a plain `node` with the environment Lambda gives: role credentials in variables, which the
 * bundles' trimmed credential chain must find.
 */
let dynamo: DynamoDbLocal;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bundles-'));
  dynamo = await startDynamoDbLocal({ sharedDb: true });
  await ensureContractTable(dynamo.endpoint, 'contracts-bundles');
  await Promise.all(
    ['sales', 'licenses'].map((name) =>
      build({
        ...esbuildBuildOptions(`functions/${name}/handler.ts`, join(dir, `${name}.mjs`)),
        logLevel: 'silent',
      }),
    ),
  );
});
afterAll(async () => {
  await dynamo?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function invoke(bundle: string, event: unknown, env: Record<string, string>) {
  const script = `const { handler } = await import(${JSON.stringify(bundle)});
const result = await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 10000, awsRequestId: 'r' });
process.stdout.write(JSON.stringify(result));`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
  });
}

const summaryEvent = {
  version: '2.0',
  rawPath: '/summary',
  rawQueryString: '',
  headers: { accept: 'application/json' },
  requestContext: { http: { method: 'GET', path: '/summary' }, requestId: 'r' },
  isBase64Encoded: false,
};

describe('deployable bundles', () => {
  it('serve the sales summary from DynamoDB with credentials from the environment only', () => {
    const run = invoke(join(dir, 'sales.mjs'), summaryEvent, {
      TABLE_NAME: 'contracts-bundles',
      PRODUCTS: '[{"productCode":"a1b2c3d4e5credits0example"}]',
      // Not DYNAMODB_ENDPOINT, which brings fixed local credentials: the SDK's own endpoint
      // variable leaves the client on its default credential chain, as in Lambda.
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ activeCredits: 0 });
  });

  it('serve the license API from DynamoDB with credentials from the environment only', () => {
    const path = '/businesses/biz-nobody00000000000001/usage';
    const run = invoke(
      join(dir, 'licenses.mjs'),
      { ...summaryEvent, rawPath: path, requestContext: { http: { method: 'GET', path }, requestId: 'r' } },
      {
        TABLE_NAME: 'contracts-bundles',
        PRODUCTS: '[{"productCode":"a1b2c3d4e5credits0example"}]',
        SENDER_EMAIL: 'no-reply@vendor.example',
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
        AWS_SECRET_ACCESS_KEY: 'local',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
    );
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { statusCode: number; body: string };
    // The business's GetItem went through, signed with the environment's credentials: none is there.
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'unknown-business' });
  });

  it('fail the request, naming the variables, when the environment has no credentials', () => {
    const run = invoke(join(dir, 'sales.mjs'), summaryEvent, {
      TABLE_NAME: 'contracts-bundles',
      PRODUCTS: '[{"productCode":"a1b2c3d4e5credits0example"}]',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
    });
    const result = JSON.parse(run.stdout || '{}') as { statusCode?: number };
    expect(result.statusCode).toBe(500);
    expect(run.stdout + run.stderr).toMatch(/AWS_ACCESS_KEY_ID/);
  });
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { esbuildBuildOptions } from '../infra/bundling.js';
import { parseDeploymentConfig } from '../infra/config.js';
import { FUNCTIONS, type FunctionName, functionEnvironment } from '../infra/functions.js';
import { median } from './support.js';

/**
 * Cold init: how long a fresh `node` takes to load each bundle, as a ratio to a bare `node`
 * started the same way, measured in pairs (bare, bundle, bare, bundle …) so that whatever
 * else the machine does hits both sides of a pair alike; the median of the per-pair ratios is
 * robust to the odd slow start. The bundles are built with the functions' own bundling
 * options (infra/bundling.ts, byte-identical to what `cdk synth` zips). Two yardsticks built
 * the same way show what the AWS SDK alone costs. NODE_EXTRA_CA_CERTS is not passed on:
 * Lambda does not set it, and on some machines it adds ~55 ms to every start.
 */

export interface ColdInitCase {
  readonly name: string;
  readonly kind: 'function' | 'yardstick';
  readonly bytes: number;
  /** Median of per-pair (this ÷ bare node) wall-time ratios. */
  readonly initRatio: number;
  readonly medianMs: number;
  /** Median peak resident set size of the process, KiB. */
  readonly peakRssKiB: number;
}

export interface ColdInitResult {
  readonly pairs: number;
  readonly bareNodeMs: number;
  readonly bareNodePeakRssKiB: number;
  readonly cases: ColdInitCase[];
}

const ROOT = new URL('../', import.meta.url).pathname;
const PRINT_RSS = 'process.stdout.write(String(process.resourceUsage().maxRSS));';

interface Target {
  readonly name: string;
  readonly kind: ColdInitCase['kind'];
  readonly entry: string;
  readonly env: Record<string, string>;
  /** Run after the import: an event for the handler (the setup page GET), or nothing. */
  readonly invoke?: unknown;
}

function targets(): Target[] {
  const cdk = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: { stages: Record<string, unknown> };
  };
  const config = parseDeploymentConfig(cdk.context.stages.dev, 'dev');
  const envOf = (name: FunctionName) => functionEnvironment(name, config, { tableName: 'bench' });
  const fn = (name: FunctionName): Target => ({
    name,
    kind: 'function',
    entry: `functions/${FUNCTIONS[name].folder}/handler.ts`,
    env: envOf(name),
  });
  return [
    {
      name: 'yardstick: DynamoDB only',
      kind: 'yardstick',
      entry: 'bench/yardsticks/dynamodb-only.ts',
      env: {},
    },
    {
      name: 'yardstick: four clients',
      kind: 'yardstick',
      entry: 'bench/yardsticks/four-clients.ts',
      env: {},
    },
    fn('marketplace-events'),
    fn('setup'),
    { ...fn('setup'), name: 'setup, first page GET', invoke: setupPageGet() },
    fn('sales'),
  ];
}

/** The buyer's first page load without a session: served from the bundle alone, no I/O. */
function setupPageGet(): unknown {
  return {
    version: '2.0',
    rawPath: '/setup',
    rawQueryString: '',
    headers: { accept: 'text/html' },
    requestContext: { http: { method: 'GET', path: '/setup' }, requestId: 'bench' },
    isBase64Encoded: false,
  };
}

/** Lambda's part of the environment: region and role credentials in variables. */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'ASIABENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

function script(bundle: string, invoke: unknown): string {
  const url = pathToFileURL(bundle).href;
  if (invoke === undefined) return `await import(${JSON.stringify(url)});${PRINT_RSS}`;
  const context = "{getRemainingTimeInMillis:()=>15000,awsRequestId:'bench',functionName:'bench'}";
  return `const{handler}=await import(${JSON.stringify(url)});const r=await handler(${JSON.stringify(invoke)},${context});if(r.statusCode>=500)throw new Error('status '+r.statusCode);${PRINT_RSS}`;
}

function run(code: string, env: Record<string, string>): { ms: number; rssKiB: number } {
  const started = process.hrtime.bigint();
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (out.status !== 0) throw new Error(`cold init run failed (${out.status}): ${out.stderr.slice(0, 2000)}`);
  return { ms, rssKiB: Number(out.stdout) };
}

/** Builds every bundle into `outDir` and measures each against bare node in `pairs` pairs. */
export async function measureColdInit(options: { pairs: number; warmup: number; outDir: string }) {
  mkdirSync(options.outDir, { recursive: true });
  const bare = { code: PRINT_RSS, env: { ...LAMBDA_ENV } };
  const built = [];
  for (const target of targets()) {
    const outfile = join(options.outDir, `${target.name.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
    await build({ ...esbuildBuildOptions(join(ROOT, target.entry), outfile), logLevel: 'silent' });
    built.push({
      target,
      bytes: statSync(outfile).size,
      code: script(outfile, target.invoke),
      env: { ...LAMBDA_ENV, ...target.env },
    });
  }
  const bareMs: number[] = [];
  const bareRss: number[] = [];
  const cases: ColdInitCase[] = [];
  for (const b of built) {
    for (let i = 0; i < options.warmup; i++) {
      run(bare.code, bare.env);
      run(b.code, b.env);
    }
    const ratios: number[] = [];
    const times: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < options.pairs; i++) {
      const a = run(bare.code, bare.env);
      const m = run(b.code, b.env);
      bareMs.push(a.ms);
      bareRss.push(a.rssKiB);
      ratios.push(m.ms / a.ms);
      times.push(m.ms);
      rss.push(m.rssKiB);
    }
    cases.push({
      name: b.target.name,
      kind: b.target.kind,
      bytes: b.bytes,
      initRatio: median(ratios),
      medianMs: median(times),
      peakRssKiB: median(rss),
    });
  }
  return {
    pairs: options.pairs,
    bareNodeMs: median(bareMs),
    bareNodePeakRssKiB: median(bareRss),
    cases,
  } satisfies ColdInitResult;
}

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { functionEnvironment } from '../infra/functions.js';
import type { BenchBundles, BuiltBundle, FunctionBundles } from './bundles.js';
import { callMultiset, callShape, type ProxiedCall, startCountingProxy } from './counting-proxy.js';
import { finiteMedian, pairedRatio, runModule, runRounds } from './processes.js';
import {
  type BenchEnvironment,
  createBenchTable,
  functionUrlContext,
  lambdaContext,
  licenseApiRequest,
  licenseEvent,
  salesRequest,
  seedBusiness,
  sqsRecord,
} from './support.js';

/**
 * Cold request: a fresh process that loads a bundle and serves one real request against the
 * local stand-ins, paired round by round with the function's yardstick process serving the
 * same request with the same SDK calls from a bare handler (and with the function at the
 * baseline ref, when given). Every run gets work of its own, the same for every run: setup a
 * registration POST with a fresh token for a fresh license (the first sync writes the
 * contract), marketplace-events a `License Updated` for a fresh license, sales the first page
 * of GET /contracts (over the contracts the other runs wrote), the license API an allocation
 * (PUT /businesses/{id}/allocations/endpoint-security) for a fresh business holding one
 * activated contract, seeded before the process starts (run after sales, so its contracts
 * leave the sales page as it was).
 *
 * Two times per run: the child's own, from just before the import to the handler's answer
 * (the goal ratio: a fresh node's start, the same for both sides, left out), and the whole
 * process from spawn to exit. A counting proxy in front of DynamoDB Local, the simulator and
 * local SES records every call, so the bench can check that a function and its yardstick make
 * the same calls; the child's answer is checked too (setup: 303 with a session cookie).
 */

export interface ColdRequestCase {
  readonly name: string;
  readonly request: string;
  /** Medians, ms: in the child, just before the import to the handler's answer. */
  readonly inChildMs: number;
  readonly yardstickInChildMs: number;
  /** Medians, ms: spawn to exit. */
  readonly processMs: number;
  readonly yardstickProcessMs: number;
  /** Median of per-round (function ÷ yardstick) in-child ratios: the goal. */
  readonly ratioToYardstick: number;
  readonly processRatioToYardstick: number;
  readonly ratioToBaseline?: number;
  readonly processRatioToBaseline?: number;
  /** The calls of a run, as a multiset; the most common one when runs differ. */
  readonly calls: string;
  readonly yardstickCalls: string;
  readonly baselineCalls?: string;
  /** Every function run and every yardstick run made the same calls. */
  readonly sameCalls: boolean;
  /** The most common order of the calls (→ one after the other, ∥ at the same time). */
  readonly shape: string;
  readonly yardstickShape: string;
  readonly baselineShape?: string;
  /** Runs whose answer was not the expected one, and why. */
  readonly unexpected: string[];
}

export interface ColdRequestResult {
  readonly rounds: number;
  readonly warmup: number;
  readonly cases: ColdRequestCase[];
}

interface Sample {
  readonly inChildMs: number;
  readonly processMs: number;
  readonly calls: string;
  readonly shape: string;
  readonly unexpected?: string;
}

interface Answer {
  readonly statusCode?: number;
  readonly cookies: number;
  readonly failures?: number;
}

/** One request with fresh work behind it, and what its answer must be. */
interface Request {
  readonly event: unknown;
  check(answer: Answer): string | undefined;
}

const ROOT = new URL('../', import.meta.url).pathname;

const DESCRIPTIONS: Record<FunctionBundles['name'], string> = {
  'marketplace-events': 'one License Updated, new license',
  setup: 'registration POST, new license',
  sales: 'GET /contracts, first page',
  licenses: 'PUT allocation, fresh business',
};

/** The service the license API's cold request allocates to (in the dev config's catalog). */
const COLD_SERVICE = 'endpoint-security';

function child(bundle: BuiltBundle, event: unknown): string {
  const context = JSON.stringify(lambdaContext());
  return [
    `const event=${JSON.stringify(event)};`,
    `const context={...${context},getRemainingTimeInMillis:()=>15000,done(){},fail(){},succeed(){}};`,
    'const started=performance.now();',
    `const{handler}=await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`,
    'const r=await handler(event,context);',
    'const ms=performance.now()-started;',
    'process.stdout.write(JSON.stringify({ms,statusCode:r?.statusCode,cookies:r?.cookies?.length??0,failures:r?.batchItemFailures?.length}));',
  ].join('');
}

function mostCommon(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

export async function measureColdRequests(
  env: BenchEnvironment,
  bundles: BenchBundles,
  options: { rounds: number; warmup: number },
): Promise<ColdRequestResult> {
  const table = await createBenchTable(env.dynamoEndpoint, 'bench-cold');
  const proxies = await Promise.all(
    [env.dynamoEndpoint, env.marketplaceEndpoint, env.ses.endpoint].map((upstream) =>
      startCountingProxy(upstream),
    ),
  );
  const [dynamodb, marketplace, ses] = proxies;
  try {
    const productCode = bundles.config.products[0]?.productCode ?? '';
    const purchase = () => env.simulator.purchase({ productCode, quantities: { Credits: 100 }, months: 12 });
    const marketplacePost = JSON.parse(
      readFileSync(join(ROOT, 'events/function-url/marketplace-post.json'), 'utf8'),
    ) as APIGatewayProxyEventV2;
    const requests: Record<FunctionBundles['name'], () => Request | Promise<Request>> = {
      'marketplace-events': () => ({
        event: { Records: [sqsRecord(licenseEvent('Updated', purchase()))] },
        check: (a) => (a.failures === 0 ? undefined : `${a.failures ?? 'no'} batch item failures`),
      }),
      setup: () => {
        const form = new URLSearchParams({
          'x-amzn-marketplace-token': env.simulator.mintToken(purchase().licenseArn),
        });
        return {
          event: {
            ...marketplacePost,
            requestContext: {
              ...marketplacePost.requestContext,
              ...functionUrlContext('setup', 'POST', '/'),
            },
            body: Buffer.from(form.toString()).toString('base64'),
          },
          check: (a) =>
            a.statusCode === 303 && a.cookies > 0
              ? undefined
              : `status ${a.statusCode}, ${a.cookies} cookies`,
        };
      },
      sales: () => ({
        event: salesRequest('/contracts'),
        check: (a) => (a.statusCode === 200 ? undefined : `status ${a.statusCode}`),
      }),
      licenses: async () => {
        const businessId = `biz-cold${randomUUID().replaceAll('-', '').slice(0, 16)}`;
        await seedBusiness(table, businessId, { licenses: 1, creditsEach: 1000 });
        return {
          event: licenseApiRequest('PUT', `/businesses/${businessId}/allocations/${COLD_SERVICE}`, {
            units: 10,
          }),
          check: (a) => (a.statusCode === 200 ? undefined : `status ${a.statusCode}`),
        };
      },
    };

    const serve = async (
      f: FunctionBundles,
      bundle: BuiltBundle,
      processEnv: Record<string, string>,
    ): Promise<Sample> => {
      const request = await requests[f.name]();
      for (const p of proxies) p.reset();
      const calls = (): ProxiedCall[] => proxies.flatMap((p) => p.calls);
      try {
        const run = await runModule(child(bundle, request.event), processEnv);
        const answer = JSON.parse(run.stdout) as Answer & { ms: number };
        const unexpected = request.check(answer);
        return {
          inChildMs: answer.ms,
          processMs: run.ms,
          calls: callMultiset(calls()),
          shape: callShape(calls()),
          ...(unexpected ? { unexpected: `${bundle.label}: ${unexpected}` } : {}),
        };
      } catch (error) {
        // A handler that throws is reported with the rest, not a reason to stop the bench.
        return {
          inChildMs: Number.NaN,
          processMs: Number.NaN,
          calls: callMultiset(calls()),
          shape: callShape(calls()),
          unexpected: `${bundle.label}: ${String(error).slice(0, 300)}`,
        };
      }
    };

    const cases: ColdRequestCase[] = [];
    // Sales after the buyers' functions: its page lists the contracts their runs wrote. The
    // license API's seeded contracts come after it, so they leave that page as it was.
    const order = ['marketplace-events', 'setup', 'sales', 'licenses'] as const;
    for (const name of order) {
      const f = bundles.functions.find((x) => x.name === name);
      if (!f) continue;
      const processEnv = {
        ...functionEnvironment(f.name, bundles.config, { tableName: table.tableName }),
        DYNAMODB_ENDPOINT: dynamodb?.endpoint ?? '',
        MARKETPLACE_ENDPOINT: marketplace?.endpoint ?? '',
        SES_ENDPOINT: ses?.endpoint ?? '',
      };
      const baseline = f.baseline;
      const samples = await runRounds(
        [
          { key: 'yardstick', run: () => serve(f, f.yardstick, processEnv) },
          { key: 'function', run: () => serve(f, f.bundle, processEnv) },
          ...(baseline ? [{ key: 'baseline', run: () => serve(f, baseline, processEnv) }] : []),
        ],
        options,
      );
      cases.push(summarize(f.name, samples.function ?? [], samples.yardstick ?? [], samples.baseline));
    }
    return { rounds: options.rounds, warmup: options.warmup, cases };
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
    await table.drop();
  }
}

function summarize(
  name: FunctionBundles['name'],
  fn: readonly Sample[],
  yardstick: readonly Sample[],
  baseline: readonly Sample[] | undefined,
): ColdRequestCase {
  const inChild = (s: readonly Sample[]) => s.map((x) => x.inChildMs);
  const whole = (s: readonly Sample[]) => s.map((x) => x.processMs);
  const calls = new Set([...fn, ...yardstick].map((s) => s.calls));
  return {
    name,
    request: DESCRIPTIONS[name],
    inChildMs: finiteMedian(inChild(fn)),
    yardstickInChildMs: finiteMedian(inChild(yardstick)),
    processMs: finiteMedian(whole(fn)),
    yardstickProcessMs: finiteMedian(whole(yardstick)),
    ratioToYardstick: pairedRatio(inChild(yardstick), inChild(fn)),
    processRatioToYardstick: pairedRatio(whole(yardstick), whole(fn)),
    ...(baseline
      ? {
          ratioToBaseline: pairedRatio(inChild(baseline), inChild(fn)),
          processRatioToBaseline: pairedRatio(whole(baseline), whole(fn)),
          baselineCalls: mostCommon(baseline.map((s) => s.calls)),
          baselineShape: mostCommon(baseline.map((s) => s.shape)),
        }
      : {}),
    calls: mostCommon(fn.map((s) => s.calls)),
    yardstickCalls: mostCommon(yardstick.map((s) => s.calls)),
    sameCalls: calls.size === 1,
    shape: mostCommon(fn.map((s) => s.shape)),
    yardstickShape: mostCommon(yardstick.map((s) => s.shape)),
    unexpected: [...fn, ...yardstick, ...(baseline ?? [])].flatMap((s) =>
      s.unexpected ? [s.unexpected] : [],
    ),
  };
}

import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { esbuildBuildOptions } from '../infra/bundling.js';
import { type DeploymentConfig, parseDeploymentConfig } from '../infra/config.js';
import { FUNCTIONS, type FunctionName, functionEnvironment } from '../infra/functions.js';
import type { BaselineCheckout } from './baseline.js';

/**
 * The bundles the cold-start measurements load, all built with the functions' own bundling
 * options (infra/bundling.ts, byte-identical to what `cdk synth` zips): each function, its
 * yardstick (a bare handler with the same SDK clients and calls, bench/yardsticks/), the
 * DynamoDB-only yardstick as a reference, and with `--baseline` each function at that ref (a
 * function that did not exist there has none).
 */

export interface BuiltBundle {
  readonly label: string;
  readonly file: string;
  readonly bytes: number;
}

/** The functions whose cold start the bench compares with a yardstick (the event functions have their own throughput bench). */
export type BenchedFunction = Extract<FunctionName, 'marketplace-events' | 'setup' | 'sales' | 'licenses'>;

export interface FunctionBundles {
  readonly name: BenchedFunction;
  readonly bundle: BuiltBundle;
  readonly yardstick: BuiltBundle;
  readonly baseline?: BuiltBundle;
}

export interface BenchBundles {
  /** A handler that builds a DocumentClient and nothing else. */
  readonly reference: BuiltBundle;
  readonly functions: readonly FunctionBundles[];
  readonly baseline?: { readonly ref: string; readonly commit: string };
  /** The `dev` stage of cdk.json, whose environment the functions get. */
  readonly config: DeploymentConfig;
}

export const FUNCTION_NAMES: readonly BenchedFunction[] = [
  'marketplace-events',
  'setup',
  'sales',
  'licenses',
];

const ROOT = new URL('../', import.meta.url).pathname;

export function devConfig(): DeploymentConfig {
  const cdk = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: { stages: Record<string, unknown> };
  };
  return parseDeploymentConfig(cdk.context.stages.dev, 'dev');
}

/** A function's environment for a load without requests: the dev config, a table name that is never read. */
export function initEnvironment(config: DeploymentConfig, name: FunctionName): Record<string, string> {
  return functionEnvironment(name, config, { tableName: 'bench' });
}

async function buildOne(
  label: string,
  entry: string,
  outDir: string,
  options: (entry: string, outfile: string) => BuildOptions,
): Promise<BuiltBundle> {
  const file = join(outDir, `${label.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
  await build({ ...options(entry, file), logLevel: 'silent' });
  return { label, file, bytes: statSync(file).size };
}

export async function buildBundles(outDir: string, baseline?: BaselineCheckout): Promise<BenchBundles> {
  mkdirSync(outDir, { recursive: true });
  const reference = await buildOne(
    'yardstick: DynamoDB only',
    join(ROOT, 'bench/yardsticks/dynamodb-only.ts'),
    outDir,
    esbuildBuildOptions,
  );
  const functions: FunctionBundles[] = [];
  for (const name of FUNCTION_NAMES) {
    const [bundle, yardstick, before] = await Promise.all([
      buildOne(
        name,
        join(ROOT, 'functions', FUNCTIONS[name].folder, 'handler.ts'),
        outDir,
        esbuildBuildOptions,
      ),
      buildOne(
        `yardstick: ${name}`,
        join(ROOT, 'bench/yardsticks', `${name}.ts`),
        outDir,
        esbuildBuildOptions,
      ),
      // A function newer than the ref has no baseline there.
      baseline &&
        existsSync(baseline.entry(name)) &&
        buildOne(`${name} at ${baseline.ref}`, baseline.entry(name), outDir, (entry, outfile) =>
          baseline.buildOptions(entry, outfile),
        ),
    ]);
    functions.push({ name, bundle, yardstick, ...(before ? { baseline: before } : {}) });
  }
  return {
    reference,
    functions,
    ...(baseline ? { baseline: { ref: baseline.ref, commit: baseline.commit } } : {}),
    config: devConfig(),
  };
}

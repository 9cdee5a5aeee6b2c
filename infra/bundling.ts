import { fileURLToPath } from 'node:url';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

// Some dependencies still call require(); ESM bundles get one.
const BANNER = "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);";
const TARGET = 'node24';
const MAIN_FIELDS = ['module', 'main'];

/**
 * Lambda gives a function its credentials in the environment: the SDK's whole default chain
 * is replaced by the part of it that reads them (`lambda-credentials.ts`). middy's util keeps
 * `node:http` out of the bundles' load (`middy-util.ts`). The SDK's event-stream serde, which
 * no operation we call uses, is left out (`smithy-event-streams.ts`).
 */
const ALIASES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': fileURLToPath(new URL('./lambda-credentials.ts', import.meta.url)),
  // middy's util with a createError that loads node:http on first use (middy-util.ts).
  '@middy/util': fileURLToPath(new URL('./middy-util.ts', import.meta.url)),
  // No operation these functions call streams events (smithy-event-streams.ts): 12 KB less each.
  '@smithy/core/event-streams': fileURLToPath(new URL('./smithy-event-streams.ts', import.meta.url)),
};

/**
 * The one definition of how functions are bundled: minified ESM for Node 24 with local
 * esbuild (no Docker), the AWS SDK included (pinned versions, one file to load). The
 * benchmarks build with `esbuildBuildOptions`, made from the same constants, and a test checks
 * that both give byte-identical bundles.
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: false,
  target: TARGET,
  mainFields: MAIN_FIELDS,
  banner: BANNER,
  forceDockerBundling: false,
  externalModules: [],
  esbuildArgs: Object.fromEntries(Object.entries(ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
};

/** FUNCTION_BUNDLING for esbuild's API, as NodejsFunction turns it into esbuild flags. */
export function esbuildBuildOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    minify: true,
    sourcemap: false,
    target: TARGET,
    mainFields: MAIN_FIELDS,
    banner: { js: BANNER },
    external: [],
    alias: { ...ALIASES },
  };
}

import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * The one definition of how functions are bundled: minified ESM for Node 24 with local
 * esbuild (no Docker). The benchmarks build with the same options, so they cannot drift.
 */
export const FUNCTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: false,
  target: 'node24',
  mainFields: ['module', 'main'],
  // Some dependencies still call require(); ESM bundles get one.
  banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
  forceDockerBundling: false,
  externalModules: [],
};

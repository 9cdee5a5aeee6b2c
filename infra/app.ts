import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseDeploymentConfig } from './config.js';
import { ComputeStack } from './stacks/compute-stack.js';
import { DataStack } from './stacks/data-stack.js';

/** Builds the app for one stage; cdk-nag's AwsSolutions findings fail synth unless acknowledged. */
export function buildApp(app: App = new App()): App {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  const stages = (app.node.tryGetContext('stages') ?? {}) as Record<string, unknown>;
  const config = parseDeploymentConfig(stages[stage], stage);
  const env = { ...(config.account ? { account: config.account } : {}), region: config.region };
  const data = new DataStack(app, `Credits-${stage}-Data`, { env, terminationProtection: stage === 'prod' });
  new ComputeStack(app, `Credits-${stage}-Compute`, { env, config, table: data.table });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp().synth();

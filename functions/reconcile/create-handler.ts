import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import { runSweep, type SweepDeps, type SweepResult } from '../../lib/domain/contract/sweep.js';
import { sweepRequestSchema } from './schema.js';

export interface ReconcileOptions {
  /** Everything but the time left, which each invocation measures. */
  readonly sweep: (remainingMs: () => number) => Omit<SweepDeps, 'remainingMs'>;
  readonly logger: Logger;
  /** CloudWatch namespace of the drift metric; the alarm in infra/ watches it. */
  readonly metricsNamespace: string;
  /** Writes one line to the function's log (the embedded metric format line). Default: stdout. */
  readonly emit?: (line: string) => void;
}

export const reconcileMiddlewares = (options: ReconcileOptions) => [logContext(options.logger)];

/**
 * The reconciliation sweep's Lambda (issue 15). Input: the daily schedule's event (a new
 * incremental run, or the unfinished one), `{ "action": "continue" }` from the frequent schedule
 * (goes on only if a run is unfinished), or `{ "action": "backfill" }` (the one-time command: every
 * agreement). The drift report is logged and its total is published as the `SweepDrift` metric
 * in CloudWatch's embedded metric format (a log line; no API call, no extra package).
 */
export function reconcileHandler(options: ReconcileOptions) {
  const { logger } = options;
  const emit = options.emit ?? ((line: string) => process.stdout.write(`${line}\n`));
  return async (event: unknown, context: Context): Promise<SweepResult> => {
    const request = sweepRequestSchema(event);
    const deps = options.sweep(() => context.getRemainingTimeInMillis());
    const result = await runSweep(
      { ...deps, remainingMs: () => context.getRemainingTimeInMillis() },
      request,
    );
    if (result.status === 'busy') {
      logger.info('Another sweep run holds the lease: nothing done', { request });
      return result;
    }
    const counts = result.progress?.counts;
    logger[result.drift > 0 ? 'warn' : 'info']('Sweep drift report', {
      status: result.status,
      mode: result.progress?.mode,
      phase: result.progress?.phase,
      counts,
      drift: result.drift,
      drifted: result.drifted,
    });
    if (counts) {
      emit(
        JSON.stringify({
          _aws: {
            Timestamp: Date.now(),
            CloudWatchMetrics: [
              {
                Namespace: options.metricsNamespace,
                Dimensions: [[]],
                Metrics: [
                  { Name: 'SweepDrift', Unit: 'Count' },
                  { Name: 'SweepFailures', Unit: 'Count' },
                  { Name: 'SweepContracts', Unit: 'Count' },
                ],
              },
            ],
          },
          SweepDrift: result.drift,
          SweepFailures: counts.failed,
          SweepContracts: counts.contracts,
        }),
      );
    }
    return result;
  };
}

export const createReconcileHandler = (options: ReconcileOptions) =>
  middy<unknown, SweepResult, Error, Context>()
    .use(reconcileMiddlewares(options))
    .handler(reconcileHandler(options));

import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

/**
 * What Powertools' `injectLambdaContext` middleware does for our handlers, without middy: the
 * invocation's context (request id, function name, cold start) on every log line, the sampling
 * rate drawn again, the log buffer dropped after. middy's core imports `node:stream/web` and
 * `node:stream/promises` when it loads (for streamed responses, which no function here sends):
 * 1.7 ms of every cold start, measured with `npm run bench`'s harness.
 */
export function withLogContext<E, R>(
  logger: Logger,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.refreshSampleRateCalculation();
    logger.addContext(context);
    try {
      return await handler(event, context);
    } finally {
      logger.clearBuffer();
    }
  };
}

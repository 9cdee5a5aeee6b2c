import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';

/**
 * Powertools' `injectLambdaContext` as every function uses it: the invocation's context (request
 * id, function name, cold start) on every log line, the sampling rate drawn again per
 * invocation, the log buffer dropped and appended keys reset after it. The event is never
 * logged, whatever `POWERTOOLS_LOGGER_LOG_EVENT` says: the setup POST carries the buyer's
 * registration token, which is never stored or logged (MARKETPLACE.md §1.1).
 */
export const logContext = (logger: Logger) =>
  injectLambdaContext(logger, { resetKeys: true, logEvent: false });

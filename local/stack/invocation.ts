import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { FUNCTIONS, type FunctionName } from '../../infra/functions.js';
import { LOCAL_ACCOUNT_ID } from '../sqs-local.js';

/**
 * A Lambda context for one local invocation of `name`: a fresh request id and the remaining
 * time counted down from the function's configured timeout, as Lambda does.
 */
export function invocationContext(name: FunctionName, now: () => number = Date.now): Context {
  const settings = FUNCTIONS[name];
  const deadline = now() + settings.timeoutSeconds * 1000;
  const functionName = `local-${name}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(settings.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

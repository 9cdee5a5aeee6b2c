import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * The current invocation's remaining time, for clients built once per cold start: the chain's
 * middleware points it at each invocation's context before the handler runs (a Lambda instance
 * serves one invocation at a time). Before the first invocation it answers `fallbackMs`.
 */
export function invocationClock(fallbackMs = Number.POSITIVE_INFINITY) {
  let current: () => number = () => fallbackMs;
  const middleware: MiddlewareObj<unknown, unknown, Error, Context> = {
    before: (request) => {
      const { context } = request;
      current = () => context.getRemainingTimeInMillis();
    },
  };
  return { remainingMs: () => current(), middleware };
}

export type InvocationClock = ReturnType<typeof invocationClock>;

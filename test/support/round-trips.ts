import type { MiddlewareStack } from '@smithy/types';

/** One AWS call as a client saw it: its command and when it started and ended. */
export interface Span {
  readonly command: string;
  readonly start: number;
  readonly end: number;
}

/** An SDK v3 client: all that is used of it is its middleware stack. */
interface Stacked {
  readonly middlewareStack: object;
}

/** Records every call the clients send, retries included, into the returned list. */
export function recordSpans(...clients: Stacked[]): Span[] {
  const spans: Span[] = [];
  for (const client of clients) {
    (client.middlewareStack as unknown as Pick<MiddlewareStack<object, object>, 'add'>).add(
      (next, context) => async (args) => {
        const start = performance.now();
        try {
          return await next(args);
        } finally {
          spans.push({ command: context.commandName ?? 'unknown', start, end: performance.now() });
        }
      },
      { step: 'initialize', name: 'recordSpans' },
    );
  }
  return spans;
}

/**
 * The calls on the critical path: the longest chain in which each call started only after the
 * one before it had ended. Calls sent together (Promise.all) are one round trip.
 */
export function sequentialRoundTrips(spans: readonly Span[]): string[] {
  const sorted = [...spans].sort((a, b) => a.end - b.end);
  const chains = new Map<Span, string[]>();
  let longest: string[] = [];
  for (const span of sorted) {
    let best: string[] = [];
    for (const [before, chain] of chains) {
      if (before.end <= span.start && chain.length > best.length) best = chain;
    }
    const chain = [...best, span.command];
    chains.set(span, chain);
    if (chain.length > longest.length) longest = chain;
  }
  return longest;
}

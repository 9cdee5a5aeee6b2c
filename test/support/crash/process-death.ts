import { AsyncLocalStorage } from 'node:async_hooks';
import type { MiddlewareStack } from '@smithy/types';

/**
 * The invocation's process died: thrown by `processes(…).run` at its kill point and for every call
 * of the same invocation after it, so nothing the dead invocation would still have done reaches
 * DynamoDB, the marketplace or SES.
 */
export class ProcessDeathError extends Error {
  override readonly name = 'ProcessDeathError';
}

/**
 * Where an invocation dies, at the boundaries of its `call`-th AWS call (1-based, in the order
 * the calls were started): `before` it is sent, or `after` it was answered, its response lost
 * (for a TransactWriteItems: a commit whose response never arrived).
 */
export interface KillPoint {
  readonly call: number;
  readonly when: 'before' | 'after';
}

export const describeKill = (kill: KillPoint | undefined): string =>
  kill ? `${kill.when} call ${kill.call}` : 'no kill';

/** The boundaries of a flow of `calls` AWS calls: before and after each, in order. */
export function killPoints(calls: number): KillPoint[] {
  return Array.from({ length: calls }, (_, i) => [
    { call: i + 1, when: 'before' as const },
    { call: i + 1, when: 'after' as const },
  ]).flat();
}

/** What one invocation sent, and whether and where it died. */
export interface Invocation {
  /** Where it dies; undefined: it only records its calls. */
  readonly kill: KillPoint | undefined;
  /** The commands started, in order (refused ones after the death not included). */
  readonly calls: string[];
  /** Calls the dead invocation still tried to start: refused, never sent. */
  refused: number;
  /** The command at the kill point, once the invocation has died there. */
  diedAt?: { readonly kill: KillPoint; readonly command: string };
}

/** An SDK v3 client (or a DynamoDB document client): only its middleware stack is used. */
interface Stacked {
  readonly middlewareStack: object;
}

/**
 * Processes over shared SDK clients: `run(kill, fn)` runs one invocation as a process of its
 * own, which dies at `kill`. A middleware at the top of each client's stack (the `initialize`
 * step, outside the SDK's own retries, so that a call is one logical call with all its attempts)
 * counts the calls of the invocation across all the clients. At the kill point it throws
 * `ProcessDeathError` before the request is sent, or after the response came back instead of
 * returning it. From then on the invocation is dead: every later call of it is refused before
 * it is sent, and a call still in flight (sent together with the one that died) has its answer
 * dropped too. Which invocation a call belongs to is carried by AsyncLocalStorage, so even a
 * call a dead invocation starts late (after a timer) is refused, while the next invocation's
 * calls go through; calls outside any `run` (the test's own) are not touched.
 */
export function processes(clients: readonly Stacked[]) {
  const current = new AsyncLocalStorage<Invocation>();
  for (const client of clients) {
    (client.middlewareStack as unknown as Pick<MiddlewareStack<object, object>, 'add'>).add(
      (next, context) => async (args) => {
        const invocation = current.getStore();
        if (!invocation) return next(args);
        const command = context.commandName ?? 'unknown';
        const { kill } = invocation;
        const die = (): never => {
          invocation.diedAt = { kill: kill as KillPoint, command };
          throw new ProcessDeathError(`died ${describeKill(kill)} (${command})`);
        };
        if (invocation.diedAt) {
          invocation.refused += 1;
          throw new ProcessDeathError(`dead: ${command} refused`);
        }
        invocation.calls.push(command);
        const index = invocation.calls.length;
        if (kill?.call === index && kill.when === 'before') die();
        let output: Awaited<ReturnType<typeof next>>;
        try {
          output = await next(args);
        } catch (error) {
          // An error answer is lost with the process as well.
          if (invocation.diedAt) throw new ProcessDeathError(`dead: ${command} answer lost`);
          if (kill?.call === index) die();
          throw error;
        }
        if (invocation.diedAt) throw new ProcessDeathError(`dead: ${command} answer lost`);
        if (kill?.call === index) die();
        return output;
      },
      { step: 'initialize', priority: 'high', name: 'processDeath' },
    );
  }
  return {
    /** Runs `fn` as one invocation that dies at `kill` (never, without one); resolves with what `fn` returned. */
    async run<T>(
      kill: KillPoint | undefined,
      fn: () => Promise<T>,
    ): Promise<{ invocation: Invocation; result: T }> {
      const invocation: Invocation = { kill, calls: [], refused: 0 };
      const result = await current.run(invocation, fn);
      return { invocation, result };
    },
  };
}

/** A seeded PRNG (mulberry32): the same seed gives the same trials, so a failure reproduces. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [0, n). */
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(values: readonly T[]): T => {
      const value = values[Math.floor(next() * values.length)];
      if (value === undefined) throw new Error('pick from an empty list');
      return value;
    },
  };
}

/** The seed of this run: `CRASH_SEED` to replay or explore, else a fixed one (CI is reproducible). */
export function crashSeed(fallback: number): number {
  const fromEnv = Number(process.env.CRASH_SEED);
  return Number.isFinite(fromEnv) && process.env.CRASH_SEED ? fromEnv : fallback;
}

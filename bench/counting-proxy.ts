import { Agent, createServer, request } from 'node:http';
import { listenOn } from '../local/http-server.js';

/** One request that went through a counting proxy. */
export interface ProxiedCall {
  /** The operation and what makes it the same call, e.g. `Query gsi1`, `TransactWriteItems ×4`. */
  readonly call: string;
  /** When the request reached the proxy and when its answer was back, ms on the monotonic clock. */
  readonly startMs: number;
  readonly endMs: number;
  readonly requestBytes: number;
}

export interface CountingProxy {
  /** The URL to give the SDK client as its `endpoint`. */
  readonly endpoint: string;
  readonly calls: readonly ProxiedCall[];
  reset(): void;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of one local stand-in (DynamoDB Local, the marketplace
 * simulator, local SES) that records the operation of every request it forwards: the
 * X-Amz-Target of the JSON protocols, the Action of SES's query protocol. The cold-request
 * bench puts one in front of each service so it can check that a function and its yardstick
 * make the same calls.
 */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const calls: ProxiedCall[] = [];
  const server = createServer((req, res) => {
    const startMs = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () =>
            calls.push({
              call: describeCall(req.headers['x-amz-target'], text),
              startMs,
              endMs: performance.now(),
              requestBytes: body.length,
            }),
          );
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`counting proxy: ${error.message}`);
      });
      forward.end(body);
    });
  });
  const running = await listenOn(server, '127.0.0.1', 0);
  return {
    endpoint: running.url,
    calls,
    reset: () => {
      calls.length = 0;
    },
    close: async () => {
      agent.destroy();
      await running.close();
    },
  };
}

/**
 * The operation, and for DynamoDB what else decides the work: the index a Query reads and the
 * number of actions in a transaction.
 */
export function describeCall(amzTarget: string | string[] | undefined, body: string): string {
  const targetHeader = Array.isArray(amzTarget) ? amzTarget[0] : amzTarget;
  if (!targetHeader) return new URLSearchParams(body).get('Action') ?? 'unknown';
  const operation = targetHeader.slice(targetHeader.lastIndexOf('.') + 1);
  let input: { IndexName?: unknown; TransactItems?: unknown } = {};
  try {
    input = JSON.parse(body) as typeof input;
  } catch {
    return operation;
  }
  if (operation === 'Query')
    return `Query ${typeof input.IndexName === 'string' ? input.IndexName : 'table'}`;
  if (operation === 'TransactWriteItems' && Array.isArray(input.TransactItems))
    return `TransactWriteItems ×${input.TransactItems.length}`;
  return operation;
}

/** Calls as a sorted multiset, `Query gsi1 ×2, ResolveCustomer` style, for comparing and printing. */
export function callMultiset(calls: readonly ProxiedCall[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.call, (counts.get(c.call) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([call, n]) => (n === 1 ? call : `${call} (${n})`))
    .join(', ');
}

/**
 * The order of the calls as the proxies saw it: a call that starts before the calls of the
 * current step have all been answered runs alongside them (∥), otherwise it is the next step
 * (→). Taken from timing, so an occasional run may see two concurrent calls one after the other.
 */
export function callShape(calls: readonly ProxiedCall[]): string {
  const steps: ProxiedCall[][] = [];
  let stepEnd = Number.NEGATIVE_INFINITY;
  for (const c of [...calls].sort((a, b) => a.startMs - b.startMs)) {
    const current = steps.at(-1);
    if (current && c.startMs < stepEnd) {
      current.push(c);
      stepEnd = Math.max(stepEnd, c.endMs);
    } else {
      steps.push([c]);
      stepEnd = c.endMs;
    }
  }
  return steps
    .map((step) =>
      step
        .map((c) => c.call)
        .sort()
        .join(' ∥ '),
    )
    .join(' → ');
}

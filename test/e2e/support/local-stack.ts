import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalStackUrls } from '../../../local/stack/stack.js';
import { isRunning } from '../../support/process.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

export interface SpawnedStack {
  readonly urls: LocalStackUrls & { readonly tableName: string; readonly pid: number };
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Everything the stack printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Sends `signal` (Ctrl-C by default) and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

/** npm ends itself with the signal it was sent once its script has exited; node exits 0. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Reuse a data folder (restart); a fresh temporary one otherwise. */
  readonly dataDir?: string;
  readonly args?: readonly string[];
  /** `npm start` itself instead of `node --import tsx`: the README's command. */
  readonly viaNpm?: boolean;
}

/** Starts `local/start.ts` in a child process and waits for its ready file. */
export async function spawnLocalStack(options: SpawnOptions = {}): Promise<SpawnedStack> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'local-stack-'));
  const readyFile = join(dataDir, `ready-${Date.now()}.json`);
  const args = [
    '--port-base',
    '0',
    '--data-dir',
    dataDir,
    '--ready-file',
    readyFile,
    '--visibility-timeout',
    '1',
    ...(options.args ?? []),
  ];
  const child = options.viaNpm
    ? spawn('npm', ['start', '--silent', '--', ...args], { cwd: ROOT, detached: true })
    : spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], { cwd: ROOT });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const drained = new Promise<void>((resolve) => child.stdout?.once('close', () => resolve()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 60_000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`The local stack exited (${child.exitCode}):\n${text}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The local stack was not ready within 60 s:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const urls = JSON.parse(readFileSync(readyFile, 'utf8')) as SpawnedStack['urls'];
  return {
    urls,
    dataDir,
    process: child,
    output: () => text,
    async stop(signal: NodeJS.Signals = 'SIGINT') {
      if (child.exitCode !== null || child.signalCode !== null) {
        return { code: child.exitCode, signal: child.signalCode };
      }
      // Ctrl-C in a terminal signals the whole process group (npm and what it started).
      if (options.viaNpm && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const exit = await exited;
      clearTimeout(timer);
      // npm may exit before the stack's own process (its grandchild) has finished stopping.
      await eventually('the stack process to exit', async () => (isRunning(urls.pid) ? undefined : true));
      // …and what it wrote last may still be in the pipe.
      await Promise.race([drained, new Promise((r) => setTimeout(r, 5_000))]);
      return exit;
    },
  };
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls until `read` returns a value (not undefined) or throws after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  read: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

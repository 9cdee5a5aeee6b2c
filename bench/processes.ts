import { spawn, spawnSync } from 'node:child_process';
import { median } from './support.js';

/**
 * Fresh `node` processes for the cold-start measurements, and the paired rounds that compare
 * them: in every round each step runs once, in the same order, so whatever else the shared
 * machine does at that moment hits the two sides of a pair alike; a ratio is the median of
 * the per-round ratios. NODE_EXTRA_CA_CERTS and NODE_OPTIONS are not passed on: Lambda sets
 * neither, and on some machines the first adds ~55 ms to every start.
 */

/** Lambda's part of the environment: region and role credentials in variables. */
export const LAMBDA_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'ASIABENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
};

export interface ProcessRun {
  /** Spawn to exit, by the parent's monotonic clock. */
  readonly ms: number;
  readonly stdout: string;
}

function processEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...LAMBDA_ENV, ...env };
}

/** Runs `code` as an ES module in a fresh node; blocks, so nothing in this process can serve it. */
export function runModuleSync(code: string, env: Readonly<Record<string, string>>): ProcessRun {
  const started = process.hrtime.bigint();
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    env: processEnv(env),
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (out.status !== 0) throw new Error(`node exited with ${out.status}: ${out.stderr.slice(0, 2000)}`);
  return { ms, stdout: out.stdout };
}

/** Runs `code` as an ES module in a fresh node while this process goes on serving (the stand-ins live here). */
export function runModule(
  code: string,
  env: Readonly<Record<string, string>>,
  timeoutMs = 60_000,
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      env: processEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearTimeout(timer);
      if (status === 0) resolve({ ms, stdout });
      else reject(new Error(`node exited with ${status ?? signal}: ${stderr.slice(0, 2000)}`));
    });
  });
}

/**
 * `warmup` unrecorded rounds, then `rounds` recorded ones; each round runs every step once, in
 * order, and every other round in the reverse order, so a step's place in the round (the
 * machine warming or cooling along it) does not lean one way in a pair. Returns each step's
 * samples, index i from round i, so pairs line up.
 */
export async function runRounds<K extends string, S>(
  steps: readonly { readonly key: K; readonly run: () => S | Promise<S> }[],
  options: { readonly rounds: number; readonly warmup: number },
): Promise<Record<K, S[]>> {
  const samples = Object.fromEntries(steps.map((s) => [s.key, [] as S[]])) as Record<K, S[]>;
  for (let round = 0; round < options.warmup + options.rounds; round++) {
    const order = round % 2 === 0 ? steps : [...steps].reverse();
    for (const step of order) {
      const sample = await step.run();
      if (round >= options.warmup) samples[step.key].push(sample);
    }
  }
  return samples;
}

/** The median of the finite values (a failed run counts as NaN), NaN when there are none. */
export function finiteMedian(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.NaN : median(finite);
}

/** Median of the per-round ratios subject ÷ reference. */
export function pairedRatio(reference: readonly number[], subject: readonly number[]): number {
  return finiteMedian(subject.map((s, i) => s / (reference[i] ?? Number.NaN)));
}

/** The spread of the per-round ratios subject ÷ reference: their 25th and 75th percentiles. */
export function pairedQuartiles(reference: readonly number[], subject: readonly number[]): [number, number] {
  const ratios = subject
    .map((s, i) => s / (reference[i] ?? Number.NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (ratios.length === 0) return [Number.NaN, Number.NaN];
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))] as number;
  return [at(0.25), at(0.75)];
}

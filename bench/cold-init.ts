import { pathToFileURL } from 'node:url';
import { type BenchBundles, type BuiltBundle, initEnvironment } from './bundles.js';
import { pairedQuartiles, pairedRatio, runModuleSync, runRounds } from './processes.js';
import { median } from './support.js';

/**
 * Cold init: how long a fresh `node` takes to load a bundle (spawn to exit, nothing invoked).
 * The goal ratio is each function ÷ its yardstick, the bare handler with the same SDK clients:
 * what the function's own code costs on top of the SDK. Every round runs bare node, the
 * yardstick and the function (and the function at the baseline ref) back to back in fresh
 * processes, so each ratio is taken from neighbouring runs (A B A B …, every other round in
 * reverse); the median of the per-round ratios is robust to the odd slow start. The function is
 * loaded a second time in each round as a control: function ÷ itself shows how far from 1.00 a
 * ratio drifts on this machine. The ratio to a bare node is context.
 */

export interface ColdInitCase {
  readonly name: string;
  readonly kind: 'function' | 'yardstick' | 'baseline';
  readonly bytes: number;
  readonly medianMs: number;
  /** Median peak resident set size of the process, KiB. */
  readonly peakRssKiB: number;
  /** Median of per-round (this ÷ bare node) ratios: context. */
  readonly ratioToBare: number;
  /**
   * A function or its yardstick: median of per-round (this ÷ the DynamoDB-only yardstick)
   * ratios, context: what clients beyond DynamoDB's (and, for a function, its own code) cost.
   */
  readonly ratioToReference?: number;
  /** A function: median of per-round (function ÷ its yardstick) ratios, the goal. */
  readonly ratioToYardstick?: number;
  /** A function: 25th and 75th percentiles of those per-round ratios (the spread of this run). */
  readonly ratioToYardstickQuartiles?: readonly [number, number];
  /** A function with `--baseline`: median of per-round (function ÷ the function at the ref) ratios. */
  readonly ratioToBaseline?: number;
  /**
   * A function: median of per-round (function ÷ the same bundle loaded again in the same round)
   * ratios: the noise floor of this run, what a ratio of 1.00 can read as here.
   */
  readonly controlRatio?: number;
}

export interface ColdInitResult {
  readonly rounds: number;
  readonly warmup: number;
  readonly bareNodeMs: number;
  readonly bareNodePeakRssKiB: number;
  readonly baseline?: { readonly ref: string; readonly commit: string };
  readonly cases: ColdInitCase[];
}

const PRINT_RSS = 'process.stdout.write(String(process.resourceUsage().maxRSS));';

interface Sample {
  readonly ms: number;
  readonly rssKiB: number;
}

function load(bundle: BuiltBundle | undefined, env: Record<string, string>): () => Sample {
  const code = bundle
    ? `await import(${JSON.stringify(pathToFileURL(bundle.file).href)});${PRINT_RSS}`
    : PRINT_RSS;
  return () => {
    const run = runModuleSync(code, env);
    return { ms: run.ms, rssKiB: Number(run.stdout) };
  };
}

export async function measureColdInit(
  bundles: BenchBundles,
  options: { rounds: number; warmup: number },
): Promise<ColdInitResult> {
  const steps = [
    { key: 'bare', run: load(undefined, {}) },
    { key: 'reference', run: load(bundles.reference, {}) },
  ];
  for (const f of bundles.functions) {
    const env = initEnvironment(bundles.config, f.name);
    steps.push(
      { key: `bare ${f.name}`, run: load(undefined, {}) },
      { key: `yardstick ${f.name}`, run: load(f.yardstick, env) },
      { key: f.name, run: load(f.bundle, env) },
      { key: `control ${f.name}`, run: load(f.bundle, env) },
    );
    if (f.baseline) steps.push({ key: `baseline ${f.name}`, run: load(f.baseline, env) });
  }
  const samples = await runRounds(steps, options);
  const ms = (key: string) => (samples[key] ?? []).map((s) => s.ms);
  const row = (
    bundle: BuiltBundle,
    kind: ColdInitCase['kind'],
    key: string,
    bare: string,
    extra: Partial<ColdInitCase> = {},
  ): ColdInitCase => ({
    name: bundle.label,
    kind,
    bytes: bundle.bytes,
    medianMs: median(ms(key)),
    peakRssKiB: median((samples[key] ?? []).map((s) => s.rssKiB)),
    ratioToBare: pairedRatio(ms(bare), ms(key)),
    ...extra,
  });
  const cases = [row(bundles.reference, 'yardstick', 'reference', 'bare')];
  const toReference = (key: string) => pairedRatio(ms('reference'), ms(key));
  for (const f of bundles.functions) {
    const bare = `bare ${f.name}`;
    cases.push(
      row(f.yardstick, 'yardstick', `yardstick ${f.name}`, bare, {
        ratioToReference: toReference(`yardstick ${f.name}`),
      }),
    );
    cases.push(
      row(f.bundle, 'function', f.name, bare, {
        ratioToReference: toReference(f.name),
        ratioToYardstick: pairedRatio(ms(`yardstick ${f.name}`), ms(f.name)),
        ratioToYardstickQuartiles: pairedQuartiles(ms(`yardstick ${f.name}`), ms(f.name)),
        controlRatio: pairedRatio(ms(f.name), ms(`control ${f.name}`)),
        ...(f.baseline ? { ratioToBaseline: pairedRatio(ms(`baseline ${f.name}`), ms(f.name)) } : {}),
      }),
    );
    if (f.baseline) cases.push(row(f.baseline, 'baseline', `baseline ${f.name}`, bare));
  }
  const allBare = Object.entries(samples)
    .filter(([key]) => key.startsWith('bare'))
    .flatMap(([, s]) => s);
  return {
    rounds: options.rounds,
    warmup: options.warmup,
    bareNodeMs: median(allBare.map((s) => s.ms)),
    bareNodePeakRssKiB: median(allBare.map((s) => s.rssKiB)),
    ...(bundles.baseline ? { baseline: bundles.baseline } : {}),
    cases,
  };
}

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ColdInitResult } from './cold-init.js';
import type { FlowCalls } from './dynamodb-calls.js';
import type { ScaleResult } from './scale.js';
import type { ThroughputResult } from './throughput.js';

/**
 * `npm run bench`: every measurement side by side in one run on one machine, the goals of
 * issue 7 checked against them, a table printed and `bench/results.json` written (and the
 * table in the README between its bench markers). `--quick` runs each part briefly, writes
 * its JSON elsewhere and touches nothing in the repository: `npm test` uses it to prove the
 * bench still works. Nothing here fails on a time; a goal that does not hold is reported.
 */

interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly holds: boolean;
}

const ROOT = new URL('../', import.meta.url).pathname;
const KB = 1000;
const README_START = '<!-- bench:start -->';
const README_END = '<!-- bench:end -->';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const quick = values.quick === true;
// Before the SDK loads: on Node 20 it warns at import that it will soon want Node 22.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const [
  { measureColdInit },
  { measureDynamoDbCalls },
  { measureScale },
  { startBenchEnvironment },
  { measureThroughput },
] = await Promise.all([
  import('./cold-init.js'),
  import('./dynamodb-calls.js'),
  import('./scale.js'),
  import('./support.js'),
  import('./throughput.js'),
]);
const out = values.out ?? (quick ? join(tmpdir(), 'bench-quick.json') : join(ROOT, 'bench/results.json'));
const started = Date.now();
const log = (line: string) => process.stderr.write(`${line}\n`);

// Cold starts first, before DynamoDB Local runs: a busy JVM next door would blur them.
log('cold init …');
const coldInit = await measureColdInit({
  pairs: quick ? 3 : 30,
  warmup: quick ? 1 : 3,
  outDir: join(tmpdir(), `bench-bundles-${process.pid}`),
});

const env = await startBenchEnvironment();
let calls: FlowCalls[];
let throughput: ThroughputResult;
let scale: ScaleResult;
try {
  log('DynamoDB calls per flow …');
  calls = await measureDynamoDbCalls(env);
  log('throughput …');
  throughput = await measureThroughput(env, { notifications: quick ? 50 : 1000 });
  log('scale …');
  scale = await measureScale(env, quick ? { small: 100, large: 1000 } : { small: 100, large: 100_000 });
} finally {
  await env.stop();
}

const goals = checkGoals(coldInit, calls, throughput, scale);
const results = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  node: process.version,
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    platform: `${process.platform}-${process.arch}`,
  },
  seconds: Math.round((Date.now() - started) / 1000),
  coldInit,
  dynamodbCalls: calls,
  throughput,
  scale,
  goals,
};
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
const table = renderTables(results);
process.stdout.write(`${table}\n`);
if (!quick) updateReadme(table);
log(`written to ${out} in ${results.seconds} s`);

function checkGoals(c: ColdInitResult, f: FlowCalls[], t: ThroughputResult, s: ScaleResult): Goal[] {
  const ratio = (name: string) => c.cases.find((x) => x.name === name)?.initRatio ?? Number.NaN;
  const dynamoOnly = ratio('yardstick: DynamoDB only');
  const fourClients = ratio('yardstick: four clients');
  const goals: Goal[] = [];
  for (const x of c.cases.filter((x) => x.kind === 'function')) {
    const strict = x.name === 'marketplace-events' || x.name === 'setup, first page GET';
    const limit = (strict ? dynamoOnly : fourClients) * 1.05;
    goals.push({
      goal: `${x.name}: init ratio ≤ ${strict ? 'DynamoDB-only' : 'four-client'} yardstick + 5 % (${limit.toFixed(2)}×)`,
      measured: `${x.initRatio.toFixed(2)}×`,
      holds: x.initRatio <= limit,
    });
  }
  for (const x of c.cases.filter((x) => x.kind === 'function' && !x.name.includes(','))) {
    goals.push({
      goal: `${x.name}: bundle ≤ 400 KB`,
      measured: `${(x.bytes / KB).toFixed(0)} KB`,
      holds: x.bytes <= 400 * KB,
    });
  }
  const flow = (name: string) => f.find((x) => x.flow === name);
  const duplicate = flow('duplicate notification');
  goals.push({
    goal: 'duplicate notification: 0 writes',
    measured: `${(duplicate?.writes ?? Number.NaN) + (duplicate?.transactWrites ?? Number.NaN)} writes`,
    holds: duplicate?.writes === 0 && duplicate.transactWrites === 0,
  });
  for (const name of ['first purchase', 'upgrade', 'renewal', 'cancellation']) {
    const x = flow(name);
    goals.push({
      goal: `${name}: 1 transaction, no other write`,
      measured: `${x?.transactWrites ?? '?'} transaction(s), ${x?.writes ?? '?'} other writes`,
      holds: x?.transactWrites === 1 && x.writes === 0,
    });
  }
  const activation = flow('activation');
  goals.push({
    goal: 'activation: ≤ 2 reads + 1 transaction',
    measured: `${activation?.reads ?? '?'} reads, ${activation?.transactWrites ?? '?'} transaction(s), ${activation?.writes ?? '?'} other writes`,
    holds:
      activation !== undefined &&
      activation.reads <= 2 &&
      activation.transactWrites === 1 &&
      activation.writes === 0,
  });
  goals.push({
    goal: 'notification throughput ≥ 50 % of raw TransactWriteItems',
    measured: `${(t.ratio * 100).toFixed(0)} %`,
    holds: t.ratio >= 0.5,
  });
  goals.push({
    goal: `sales first page at ${s.large.toLocaleString('en-US')} ≤ 1.2 × at ${s.small}`,
    measured: `${s.firstPage.ratio.toFixed(2)}× (filtered ${s.filteredPage.ratio.toFixed(2)}×)`,
    holds: s.firstPage.ratio <= 1.2,
  });
  return goals;
}

function renderTables(r: typeof results): string {
  const c = r.coldInit;
  const lines = [
    `Run ${r.date.slice(0, 16).replace('T', ' ')} UTC, Node ${r.node}, ${r.machine.cores} cores (${r.machine.cpu}), ${r.mode} mode, ${r.seconds} s.`,
    '',
    `Cold init, ${c.pairs} pairs against a bare \`node\` (${c.bareNodeMs.toFixed(0)} ms, ${Math.round(c.bareNodePeakRssKiB / 1024)} MiB):`,
    '',
    '| bundle | bytes | init ratio | init | peak RSS |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...c.cases.map(
      (x) =>
        `| ${x.name} | ${(x.bytes / KB).toFixed(0)} KB | ${x.initRatio.toFixed(2)}× | ${x.medianMs.toFixed(0)} ms | ${(x.peakRssKiB / 1024).toFixed(0)} MiB |`,
    ),
    '',
    'DynamoDB calls per flow (counted with SDK middleware):',
    '',
    '| flow | reads | writes | transactions | calls |',
    '| --- | ---: | ---: | ---: | --- |',
    ...r.dynamodbCalls.map(
      (x) =>
        `| ${x.flow} | ${x.reads} | ${x.writes} | ${x.transactWrites} | ${Object.entries(x.calls)
          .map(([name, n]) => `${name.replace(/Command$/, '')} ${n}`)
          .join(', ')} |`,
    ),
    '',
    `Throughput: ${r.throughput.notificationsPerSecond.toFixed(0)} notifications/s through the handler (${r.throughput.notifications} in batches of ${r.throughput.batchSize}) against ${r.throughput.rawTransactWritesPerSecond.toFixed(0)} raw TransactWriteItems/s on the same DynamoDB Local: ${(r.throughput.ratio * 100).toFixed(0)} %.`,
    '',
    `Scale: sales first page ${r.scale.firstPage.smallMs.toFixed(1)} ms at ${r.scale.small.toLocaleString('en-US')} contracts, ${r.scale.firstPage.largeMs.toFixed(1)} ms at ${r.scale.large.toLocaleString('en-US')} (${r.scale.firstPage.ratio.toFixed(2)}×; ${r.scale.firstPage.queries.small} / ${r.scale.firstPage.queries.large} Queries reading ${r.scale.firstPage.itemsRead.small} / ${r.scale.firstPage.itemsRead.large} items); one product's active contracts expiring before a date: ${r.scale.filteredPage.smallMs.toFixed(1)} / ${r.scale.filteredPage.largeMs.toFixed(1)} ms (${r.scale.filteredPage.ratio.toFixed(2)}×). Seeding took ${r.scale.seedSeconds} s.`,
    '',
    'Goals:',
    '',
    '| goal | measured | holds |',
    '| --- | --- | --- |',
    ...r.goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.holds ? 'yes' : '**no**'} |`),
  ];
  return lines.join('\n');
}

function updateReadme(table: string): void {
  const path = join(ROOT, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return;
  writeFileSync(path, `${readme.slice(0, start + README_START.length)}\n${table}\n${readme.slice(end)}`);
}

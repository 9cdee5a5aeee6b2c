import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FUNCTIONS = ['marketplace-events', 'setup', 'sales', 'licenses'];

/**
 * `npm run bench -- --quick --baseline HEAD` still runs end to end and reports every part and
 * every goal. It asserts nothing about time: performance lives in the bench's own output, not
 * in tests.
 */
describe('npm run bench (quick mode)', () => {
  it('measures every part, checks every goal and writes its JSON where told, not in the repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    try {
      const out = join(dir, 'results.json');
      const root = new URL('../../', import.meta.url).pathname;
      const kept = () => ['README.md', 'bench/results.json'].map((f) => readFileSync(join(root, f), 'utf8'));
      const before = kept();
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out, '--baseline', 'HEAD'],
        { cwd: root, encoding: 'utf8', timeout: 240_000 },
      );
      expect(run.status, run.stderr).toBe(0);
      expect(kept()).toEqual(before);
      // The baseline's worktree is gone again.
      const worktree = join(tmpdir(), `bench-baseline-${run.pid}`);
      expect(existsSync(worktree)).toBe(false);
      expect(execFileSync('git', ['worktree', 'list'], { cwd: root, encoding: 'utf8' })).not.toContain(
        worktree,
      );

      const results = JSON.parse(readFileSync(out, 'utf8'));
      expect(results).toMatchObject({ mode: 'quick', node: process.version, baseline: { ref: 'HEAD' } });
      expect(results.baseline.commit).toMatch(/^[0-9a-f]{40}$/);

      const bundles = [
        'yardstick: DynamoDB only',
        ...FUNCTIONS.flatMap((f) => [`yardstick: ${f}`, f, `${f} at HEAD`]),
      ];
      expect(results.coldInit.cases.map((c: { name: string }) => c.name)).toEqual(bundles);
      for (const c of results.coldInit.cases) expect(c.ratioToBare).toBeGreaterThan(0);
      for (const c of results.coldInit.cases.filter((c: { kind: string }) => c.kind === 'function')) {
        expect(c.ratioToYardstick).toBeGreaterThan(0);
        expect(c.ratioToBaseline).toBeGreaterThan(0);
        expect(c.controlRatio).toBeGreaterThan(0);
        const [low, high] = c.ratioToYardstickQuartiles;
        expect(low).toBeLessThanOrEqual(high);
      }

      expect(results.builtins.map((b: { bundle: string }) => b.bundle)).toEqual(bundles);
      for (const b of results.builtins) {
        expect(b.imports.length).toBeGreaterThan(0);
        expect(b.loadedAtInit.length).toBeGreaterThan(0);
        for (const name of [...b.imports, ...b.lazy, ...b.loadedAtInit]) expect(name).toMatch(/^node:/);
        if (FUNCTIONS.includes(b.bundle)) expect(b.beyondYardstick).toBeInstanceOf(Array);
      }

      expect(results.coldRequest.cases.map((c: { name: string }) => c.name)).toEqual(FUNCTIONS);
      for (const c of results.coldRequest.cases) {
        expect(c.unexpected).toEqual([]);
        for (const ratio of ['ratioToYardstick', 'processRatioToYardstick', 'ratioToBaseline'])
          expect(c[ratio]).toBeGreaterThan(0);
        expect(c.calls).not.toBe('');
        expect(c.yardstickCalls).not.toBe('');
        expect(typeof c.sameCalls).toBe('boolean');
      }

      const flows = results.dynamodbCalls.map((f: { flow: string }) => f.flow);
      expect(flows).toContain('activation');
      for (const prefix of [
        'allocation: PUT',
        'allocation: the ledger store',
        'credit usage, 50',
        'licenses, 50',
      ])
        expect(
          flows.some((f: string) => f.startsWith(prefix)),
          prefix,
        ).toBe(true);
      expect(results.throughput.notificationsPerSecond).toBeGreaterThan(0);
      expect(results.allocationThroughput).toMatchObject({ writers: 20, licenses: 50, failures: 0 });
      for (const figure of [
        'allocationsPerSecond',
        'yardstickPerSecond',
        'p50Ms',
        'p99Ms',
        'awsCeilingPerSecond',
      ])
        expect(results.allocationThroughput[figure]).toBeGreaterThan(0);
      expect(results.allocationThroughput.retriesPerAllocation).toBeGreaterThanOrEqual(0);
      expect(results.allocationThroughput.wcuPerAllocation.table).toBeGreaterThan(0);
      expect(results.scale.firstPage.largeMs).toBeGreaterThan(0);
      expect(results.reconcileSweep).toMatchObject({
        small: { contracts: 20, rerun: { drift: 0, contractWrites: 0 } },
        large: { contracts: 200, rerun: { drift: 0, contractWrites: 0 } },
      });
      expect(results.reconcileSweep.large.backfill.counts.failed).toBe(0);
      const goals = results.goals.map((g: { goal: string }) => g.goal);
      for (const f of FUNCTIONS) {
        for (const goal of [
          `${f}: init ≤ 1.05 × its yardstick`,
          `${f}: init ≤ 1.03 × at HEAD`,
          `${f}: cold request makes its yardstick's SDK calls`,
          `${f}: bundle ≤ 400 KB`,
        ])
          expect(goals).toContain(goal);
        expect(goals.some((g: string) => g.startsWith(`${f}: cold request ≤ 1.05 × its yardstick`))).toBe(
          true,
        );
      }
      for (const prefix of [
        'allocation (ledger store)',
        'credit usage, 50 licenses',
        'licenses, 50 licenses',
        '20 concurrent writers on one business',
        'reconciliation sweep: time per contract',
        'reconciliation sweep: an incremental run right after is a no-op',
      ])
        expect(
          goals.some((g: string) => g.startsWith(prefix)),
          prefix,
        ).toBe(true);
      expect(goals.length).toBeGreaterThanOrEqual(34);
      for (const table of [
        '| bundle | bytes | init |',
        '| function | request |',
        '| bundle | static imports |',
        '| goal | measured | holds |',
      ])
        expect(run.stdout).toContain(table);
      expect(run.stderr).not.toContain('NodeVersionSupportWarning');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

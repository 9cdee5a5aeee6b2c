import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm run bench -- --quick` still runs end to end and reports every part and every goal. It
 * asserts nothing about time: performance lives in the bench's own output, not in tests.
 */
describe('npm run bench (quick mode)', () => {
  it('measures every part, checks every goal and writes its JSON where told, not in the repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    try {
      const out = join(dir, 'results.json');
      const root = new URL('../../', import.meta.url).pathname;
      const kept = () => ['README.md', 'bench/results.json'].map((f) => readFileSync(join(root, f), 'utf8'));
      const before = kept();
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
        cwd: new URL('../../', import.meta.url).pathname,
        encoding: 'utf8',
        timeout: 240_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(kept()).toEqual(before);
      const results = JSON.parse(readFileSync(out, 'utf8'));
      expect(results).toMatchObject({ mode: 'quick', node: process.version });
      expect(results.coldInit.cases.map((c: { name: string }) => c.name)).toEqual([
        'yardstick: DynamoDB only',
        'yardstick: four clients',
        'marketplace-events',
        'setup',
        'setup, first page GET',
        'sales',
      ]);
      for (const c of results.coldInit.cases) expect(c.initRatio).toBeGreaterThan(0);
      expect(results.dynamodbCalls.map((f: { flow: string }) => f.flow)).toContain('activation');
      expect(results.throughput.notificationsPerSecond).toBeGreaterThan(0);
      expect(results.scale.firstPage.largeMs).toBeGreaterThan(0);
      expect(results.goals.length).toBeGreaterThanOrEqual(15);
      expect(run.stdout).toContain('| goal | measured | holds |');
      expect(run.stderr).not.toContain('NodeVersionSupportWarning');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContractPage } from '../../lib/adapters/dynamodb/sales-reader.js';
import type { ConsoleState } from '../../local/marketplace-console/index.js';
import { eventually, removeDataDir, spawnLocalStack } from './support/local-stack.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeDataDir(dir);
});

/** Processes whose command line names the folder: DynamoDB Local's java keeps its files there. */
function processesUsing(dir: string): string[] {
  const out = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' });
  return out.stdout.split('\n').filter(Boolean);
}

async function contracts(salesUrl: string): Promise<ContractPage> {
  return (await (
    await fetch(`${salesUrl}/contracts`, { headers: { accept: 'application/json' } })
  ).json()) as ContractPage;
}

describe('npm start', () => {
  it('stops everything on Ctrl-C, and a restart keeps contracts and the marketplace; --fresh starts clean', async () => {
    const first = await spawnLocalStack({ viaNpm: true });
    dirs.push(first.dataDir);
    expect(first.output()).toContain('Local stack ready in');
    expect(first.output()).toContain(first.urls.marketplace);
    const post = (path: string, body: Record<string, string>) =>
      fetch(`${first.urls.marketplace}${path}`, {
        method: 'POST',
        body: new URLSearchParams(body),
        redirect: 'manual',
      });
    await post('/buyers', { name: 'Keeper' });
    const buyer = ((await (await fetch(`${first.urls.marketplace}/api/state`)).json()) as ConsoleState)
      .buyers[0];
    await post('/purchases', {
      accountId: buyer?.accountId ?? '',
      productCode: 'a1b2c3d4e5credits0example',
      credits: '10',
      months: '1',
      mode: 'eventbridge',
    });
    await eventually('the contract', async () =>
      (await contracts(first.urls.sales)).contracts.length === 1 ? true : undefined,
    );
    expect(processesUsing(first.dataDir).length).toBeGreaterThan(0);

    // npm, like a shell, ends itself with SIGINT after its script exited cleanly.
    expect(await first.stop('SIGINT')).toEqual({ code: null, signal: 'SIGINT' });
    expect(first.output()).toContain('Stopped.');
    expect(processesUsing(first.dataDir)).toEqual([]);

    const second = await spawnLocalStack({ dataDir: first.dataDir });
    try {
      expect((await contracts(second.urls.sales)).contracts).toHaveLength(1);
      const kept = (await (await fetch(`${second.urls.marketplace}/api/state`)).json()) as ConsoleState;
      expect(kept.buyers.map((b) => b.name)).toEqual(['Keeper']);
      expect(kept.licenses).toHaveLength(1);
    } finally {
      expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }

    const fresh = await spawnLocalStack({ dataDir: first.dataDir, args: ['--fresh'] });
    try {
      expect((await contracts(fresh.urls.sales)).contracts).toHaveLength(0);
      const empty = (await (await fetch(`${fresh.urls.marketplace}/api/state`)).json()) as ConsoleState;
      expect(empty.buyers).toEqual([]);
    } finally {
      await fresh.stop();
    }
  });

  it('says which port is in use and exits without starting anything', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'local/start.ts', '--port-base', '0', '--setup-port', String(port)],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`${port} (setup function URL)`);
      expect(run.stderr).toContain('--port-base');
      expect(run.stdout).not.toContain('ready');
    } finally {
      blocker.close();
    }
  });

  it.each([
    [['--setup-port', '3000', '--port-base', '3000'], 'Port 3000 is given to more than one service'],
    [['--setup-port', '0x10'], '--setup-port must be a port 0..65535'],
    [['--port-base', '65530'], 'leaves no room'],
    [['--visibility-timeout', '1e3'], '--visibility-timeout must be whole seconds'],
  ])('refuses %j before starting anything, with exit code 2', (args, message) => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('rejects a bad option with usage and exit code 2', () => {
    const neverDir = join(tmpdir(), `never-${process.pid}`);
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'local/start.ts', '--notifications', 'carrier-pigeon', '--data-dir', neverDir],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--notifications must be sns or eventbridge');
    expect(run.stderr).toContain('--fresh');
    // Nothing started: not even the data folder it was told to use.
    expect(existsSync(neverDir)).toBe(false);
  });
});

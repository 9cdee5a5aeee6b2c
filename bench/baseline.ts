import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions } from 'esbuild';
import type { FunctionName } from '../infra/functions.js';

/**
 * `--baseline <ref>`: the functions as they were at a git ref, built from a detached worktree
 * of it with that ref's own bundling options (its infra/bundling.ts, imported), against the
 * packages installed here (node_modules is linked from this checkout). The worktree is removed
 * again once the bundles are built.
 */
export interface BaselineCheckout {
  readonly ref: string;
  readonly commit: string;
  /** The entry of a function at the ref, as its infra/functions.ts names the folder. */
  entry(name: FunctionName): string;
  buildOptions(entry: string, outfile: string): BuildOptions;
  remove(): void;
}

const ROOT = new URL('../', import.meta.url).pathname;

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

export async function checkOutBaseline(ref: string): Promise<BaselineCheckout> {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  const dir = join(tmpdir(), `bench-baseline-${process.pid}`);
  git('worktree', 'add', '--detach', dir, commit);
  const modules = join(dir, 'node_modules');
  const remove = () => {
    if (existsSync(modules)) unlinkSync(modules);
    git('worktree', 'remove', '--force', dir);
  };
  try {
    symlinkSync(join(ROOT, 'node_modules'), modules, 'dir');
    const bundling = (await import(pathToFileURL(join(dir, 'infra/bundling.ts')).href)) as {
      esbuildBuildOptions(entry: string, outfile: string): BuildOptions;
    };
    const functions = (await import(pathToFileURL(join(dir, 'infra/functions.ts')).href).catch(
      () => ({}),
    )) as { FUNCTIONS?: Record<string, { folder: string }> };
    return {
      ref,
      commit,
      entry: (name) => join(dir, 'functions', functions.FUNCTIONS?.[name]?.folder ?? name, 'handler.ts'),
      buildOptions: bundling.esbuildBuildOptions,
      remove,
    };
  } catch (error) {
    remove();
    throw error;
  }
}

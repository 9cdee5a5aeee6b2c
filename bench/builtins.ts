import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { pathToFileURL } from 'node:url';
import { type BenchBundles, type BuiltBundle, initEnvironment } from './bundles.js';
import { runModuleSync } from './processes.js';

/**
 * The Node built-ins each bundle brings in, two ways: what its text imports (static imports
 * load with the bundle; `import()` and `require()` load when that code runs), and what a fresh
 * node really has in memory after importing it that a bare node had not (process.moduleLoadList),
 * which also shows what those modules pull in themselves (https → tls, net …). A function's
 * modules beyond its yardstick's are what its own code and middleware cost on top of the SDK.
 */
export interface BundleBuiltins {
  readonly bundle: string;
  /** Static imports, `node:`-prefixed, sorted. */
  readonly imports: string[];
  /** Built-ins named in `import()` or `require()` and not imported statically. */
  readonly lazy: string[];
  /** Public built-ins loaded by the import of the bundle (`node:`-prefixed). */
  readonly loadedAtInit: string[];
  /** Node's internal modules loaded by the import. */
  readonly internalAtInit: number;
  /** For a function (and its baseline): public built-ins loaded that its yardstick does not load. */
  readonly beyondYardstick?: string[];
  /** … and how many more internal modules. */
  readonly internalBeyondYardstick?: number;
}

const STATIC_IMPORT = /\bimport\s*(?:[\w$*{][^"'();]*?\bfrom\s*)?["']([^"']+)["']/g;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
const REQUIRE = /\brequire\(\s*["']([^"']+)["']\s*\)/g;

const prefixed = (name: string) => `node:${name.replace(/^node:/, '')}`;
const isPublic = (name: string) => isBuiltin(name) && !name.startsWith('_') && !name.startsWith('internal/');

/** The built-ins a bundle's source names, by how it loads them. */
export function namedBuiltins(source: string): { imports: string[]; lazy: string[] } {
  const found = (pattern: RegExp) =>
    new Set(
      [...source.matchAll(pattern)]
        .map((m) => m[1] ?? '')
        .filter(isBuiltin)
        .map(prefixed),
    );
  const imports = found(STATIC_IMPORT);
  const lazy = new Set([...found(DYNAMIC_IMPORT), ...found(REQUIRE)].filter((name) => !imports.has(name)));
  return { imports: [...imports].sort(), lazy: [...lazy].sort() };
}

function loadedModules(bundle: BuiltBundle, env: Record<string, string>): string[] {
  const code = `const before=new Set(process.moduleLoadList);await import(${JSON.stringify(pathToFileURL(bundle.file).href)});process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m)=>!before.has(m)&&m.startsWith('NativeModule ')).map((m)=>m.slice(13))));`;
  return JSON.parse(runModuleSync(code, env).stdout) as string[];
}

export function measureBuiltins(bundles: BenchBundles): BundleBuiltins[] {
  const describe = (bundle: BuiltBundle, env: Record<string, string>, yardstick?: string[]) => {
    const loaded = loadedModules(bundle, env);
    const publicOnes = (names: string[]) => names.filter(isPublic).map(prefixed).sort();
    const beyond = yardstick && loaded.filter((m) => !yardstick.includes(m));
    return {
      loaded,
      row: {
        bundle: bundle.label,
        ...namedBuiltins(readFileSync(bundle.file, 'utf8')),
        loadedAtInit: publicOnes(loaded),
        internalAtInit: loaded.filter((m) => !isPublic(m)).length,
        ...(beyond
          ? {
              beyondYardstick: publicOnes(beyond),
              internalBeyondYardstick: beyond.filter((m) => !isPublic(m)).length,
            }
          : {}),
      } satisfies BundleBuiltins,
    };
  };
  const rows = [describe(bundles.reference, {}).row];
  for (const f of bundles.functions) {
    const env = initEnvironment(bundles.config, f.name);
    const yardstick = describe(f.yardstick, env);
    rows.push(yardstick.row, describe(f.bundle, env, yardstick.loaded).row);
    if (f.baseline) rows.push(describe(f.baseline, env, yardstick.loaded).row);
  }
  return rows;
}

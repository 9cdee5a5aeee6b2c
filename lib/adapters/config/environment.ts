/**
 * A function's configuration, read once per cold start: a missing or wrong value fails there,
 * loudly, before any request or message is taken.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** `us=United States,eu=Europe` → [{ id: 'us', label: 'United States' }, …] (infra/functions.ts writes it). */
export function parseRegions(value: string): { id: string; label: string }[] {
  const regions = value
    .split(',')
    .map((entry) => entry.split('='))
    .map(([id, label]) => ({ id: (id ?? '').trim(), label: (label ?? id ?? '').trim() }))
    .filter((r) => r.id);
  if (regions.length === 0) throw new Error('DATA_CENTER_REGIONS lists no region');
  return regions;
}

import { describe, expect, it } from 'vitest';
import { parseReconcileArgs, UsageError } from '../../../cli/reconcile/main.js';

describe('npm run reconcile arguments', () => {
  it('maps the commands to sweep modes', () => {
    expect(parseReconcileArgs(['backfill']).mode).toBe('backfill');
    expect(parseReconcileArgs(['run', '--local']).mode).toBe('incremental');
    expect(parseReconcileArgs(['continue', '--stage', 'prod', '--rate', '2'])).toEqual({
      mode: 'continue',
      stage: 'prod',
      local: false,
      rate: 2,
    });
  });

  it('refuses what it does not know instead of starting a backfill by accident', () => {
    for (const argv of [
      [],
      ['backfil'],
      ['backfill', 'extra'],
      ['run', '--rate', '0'],
      ['run', '--rate', '500'],
      ['run', '--stage', '../x'],
      ['run', '--unknown'],
    ]) {
      expect(() => parseReconcileArgs(argv), argv.join(' ')).toThrow(UsageError);
    }
  });
});

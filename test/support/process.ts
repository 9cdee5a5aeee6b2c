import { readFileSync } from 'node:fs';

/**
 * Whether a process is still running. A zombie counts as gone: here PID 1 does not reap
 * orphans, so `process.kill(pid, 0)` would call an exited, orphaned process alive.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

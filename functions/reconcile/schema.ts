/** What starts a sweep: the schedules' events and the backfill command (create-handler.ts). */
export interface SweepRequest {
  readonly mode: 'incremental' | 'backfill' | 'continue';
}

/**
 * An EventBridge scheduled event (detail-type `Scheduled Event`) or an empty object starts an
 * incremental run; `{ action: 'continue' | 'backfill' }` the others. Anything else is refused,
 * so a mistyped manual invocation never starts a backfill.
 */
export function sweepRequestSchema(event: unknown): SweepRequest {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new TypeError('The sweep takes a scheduled event or { "action": "continue" | "backfill" }');
  }
  const record = event as Record<string, unknown>;
  if ('action' in record) {
    if (record.action === 'continue' || record.action === 'backfill') return { mode: record.action };
    if (record.action === 'incremental') return { mode: 'incremental' };
    throw new TypeError(`Unknown sweep action ${JSON.stringify(String(record.action)).slice(0, 60)}`);
  }
  if (Object.keys(record).length === 0 || record['detail-type'] === 'Scheduled Event')
    return { mode: 'incremental' };
  throw new TypeError('The sweep takes a scheduled event or { "action": "continue" | "backfill" }');
}

import type { CodeRecord } from '../codes/records.js';
import { auditEntryOf } from '../contract/audit.js';
import type { StoredContract } from '../contract/model.js';
import type { HistoryEntry } from '../events/history.js';
import { CodeReplacedError, CodeTargetMismatchError, KeyRegisteredError } from './errors.js';
import type { CodeTargetState, PlacedHistory, ReplacementWrite, SupportActor } from './model.js';
import { supportTrigger } from './transfer.js';

export interface ReplacementInput {
  /** The old code's record as read. */
  readonly record: CodeRecord;
  /** What it opens, as read; undefined when that is gone. */
  readonly target: CodeTargetState | undefined;
  /** The replacement, freshly drawn (canonical form). */
  readonly code: string;
  /** The old code masked (codes never go into the trail in full). */
  readonly masked: { readonly old: string; readonly next: string };
  readonly actor: SupportActor;
  /** Unique id of this replacement: the history entries' id. */
  readonly entryId: string;
  readonly now: Date;
}

/**
 * Plans the invalidation of a lost or stolen code and its replacement (R11). Pure.
 *
 * Steps and rules:
 * 1. A replaced code stays replaced (`code-replaced`, naming its replacement): the one that works
 *    is the newest.
 * 2. What it opens must still hold it (`code-mismatch` otherwise); a Registration Key is replaced
 *    only while its order line is not registered (`key-registered`: the line's license has its
 *    own Activation Code, which is what to replace then).
 * 3. One write: the old code's record `replaced` (by, at), the new one's created only if absent
 *    (a collision draws again), and the target switched to the new code on the condition that
 *    it still holds the old one: a contract item with an audit entry (`code-replaced`, version
 *    + 1, codes masked), a direct license, or the order line (on the order's revision).
 * 4. A history entry on the business holding it (or on the order) publishes `code.replaced`
 *    with no code in it; a contract nobody activated has only its audit entry.
 */
export function planReplacement(input: ReplacementInput): ReplacementWrite {
  const { record, target, code, actor, now } = input;
  const at = now.toISOString();
  if (record.state === 'replaced') throw new CodeReplacedError(record.replacedBy, record.replacedAt);
  const old: CodeRecord = record;
  const next: CodeRecord = {
    code,
    target: record.target,
    state: 'valid',
    createdAt: at,
    replaces: record.code,
  };
  const entry = (details: Record<string, unknown>, event?: HistoryEntry['event']): HistoryEntry => ({
    entity: 'history',
    type: 'code-replaced',
    entryId: input.entryId,
    at,
    by: actor.by,
    reason: actor.reason,
    ticket: actor.ticket,
    details: { ...details, replaced: input.masked.old, replacement: input.masked.next },
    ...(event ? { event } : {}),
  });

  if (record.target.kind === 'registration-key') {
    const { orderId, lineNo } = record.target;
    if (target?.kind !== 'order-line' || target.line.registrationKey !== record.code)
      throw new CodeTargetMismatchError(`line ${lineNo} of order ${orderId}`);
    if (target.line.registeredBy) throw new KeyRegisteredError(orderId, lineNo, target.line.licenseReference);
    const details = { kind: record.target.kind, orderId, lineNo };
    return {
      at,
      old,
      next,
      target: {
        kind: 'order-line',
        orderId,
        index: target.index,
        lineNo,
        readRevision: target.order.revision,
      },
      history: [
        {
          where: { on: 'order', orderId },
          entry: entry(details, { type: 'code.replaced', data: { ...details, at } }),
        },
      ],
    };
  }

  const { licenseId, itemNo } = record.target;
  const kind = record.target.kind;
  if (target?.kind === 'direct') {
    if (target.license.activationCode !== record.code)
      throw new CodeTargetMismatchError(`license ${licenseId}`);
    const details = { kind, license: licenseId, itemNo, businessId: target.license.businessId };
    const history: PlacedHistory[] = [
      {
        where: { on: 'business', businessId: target.license.businessId },
        entry: entry(details, { type: 'code.replaced', data: { ...details, at } }),
      },
      { where: { on: 'license', reference: target.license.reference }, entry: entry(details) },
    ];
    return {
      at,
      old,
      next,
      target: { kind: 'direct', reference: target.license.reference, businessId: target.license.businessId },
      history,
    };
  }
  if (target?.kind !== 'contract-item' || target.item.activationCode !== record.code)
    throw new CodeTargetMismatchError(`item ${itemNo} of license ${licenseId}`);
  const { stored } = target;
  const after: StoredContract = {
    contract: { ...stored.contract, version: stored.contract.version + 1, updatedAt: at },
    items: stored.items.map((item) => (item.itemNo === itemNo ? { ...item, activationCode: code } : item)),
  };
  const audit = auditEntryOf(
    stored,
    after,
    [
      {
        type: 'code-replaced',
        itemNo,
        by: actor.by,
        ticket: actor.ticket,
        reason: actor.reason,
        replaced: input.masked.old,
        replacement: input.masked.next,
      },
    ],
    supportTrigger('code-replacement', input.entryId, at),
    now,
  );
  const businessId = stored.contract.activatedBy;
  const details = { kind, license: licenseId, itemNo, ...(businessId ? { businessId } : {}) };
  return {
    at,
    old,
    next,
    target: {
      kind: 'contract-item',
      contractId: stored.contract.contractId,
      itemNo,
      readVersion: stored.contract.version,
      audit,
    },
    // A contract's history is its audit trail; the business (once there is one) publishes the event.
    history: businessId
      ? [
          {
            where: { on: 'business', businessId },
            entry: entry(details, { type: 'code.replaced', data: { ...details, at } }),
          },
        ]
      : [],
  };
}

import { contractState, contractStatus, type StoredContract } from './model.js';
import type { AuditEntry, ContractSnapshot, Trigger } from './ports.js';
import type { ContractChange } from './reconcile.js';

/** What an audit entry records of a contract before or after a change. */
export function snapshotOf({ contract }: StoredContract): ContractSnapshot {
  return {
    status: contractStatus(contract),
    activeCredits: contract.activeCredits,
    expiresAt: contract.expiresAt,
  };
}

/**
 * The audit entry of one contract change (its outbox record: events are built from it). Every
 * writer builds it here: the sync, the hand-over of a chain, the enrichment with terms.
 */
export function auditEntryOf(
  before: StoredContract | undefined,
  after: StoredContract,
  changes: readonly ContractChange[],
  trigger: Trigger,
  at: Date,
): AuditEntry {
  return {
    contractId: after.contract.contractId,
    version: after.contract.version,
    at: at.toISOString(),
    changes,
    trigger,
    ...(before ? { before: snapshotOf(before) } : {}),
    after: snapshotOf(after),
    state: contractState(after),
  };
}

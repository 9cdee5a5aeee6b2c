import { type AgreementTerms, CONTINUED_STATUSES } from './agreement.js';
import { auditEntryOf } from './audit.js';
import {
  agreementIdOf,
  type ContinuedTerm,
  type Contract,
  type LicenseItem,
  type StoredContract,
} from './model.js';
import type { ContractChangeSet, Trigger } from './ports.js';

/**
 * Renewal and replacement chains (R3, R13). A renewal or a replacement offer may come as a new
 * agreement under a new license: a new contract. It continues the old one: it takes over the old
 * one's activation (the same business, no second setup), and the old one ends as renewed or
 * replaced, not cancelled. Both change in one transaction, so the business's total never shows
 * a gap or a double count, whichever contract's notifications came first.
 */

/** Why a hand-over is not made (nothing is written). */
export type NoContinuation =
  | 'already-linked'
  | 'predecessor-not-activated'
  | 'successor-activated-elsewhere'
  | 'not-a-successor';

/**
 * Whether `successor`'s agreement continues `predecessor`'s: the same buyer account (both must
 * name it) and product, and either the Created event's `previousAgreementId` names the
 * predecessor's agreement, or both are in one chain (`initialAgreementId`) and it is the
 * predecessor that was continued: its agreement says RENEWED or REPLACED, the successor's does
 * not, and the successor did not start before it. One way only: a newer contract is never
 * handed over to an older one.
 */
export function continues(successor: Contract, predecessor: Contract): boolean {
  if (successor.contractId === predecessor.contractId) return false;
  if (successor.productCode !== predecessor.productCode) return false;
  if (!successor.customerAWSAccountId || successor.customerAWSAccountId !== predecessor.customerAWSAccountId)
    return false;
  const successorTerms = successor.facts.terms?.value;
  const predecessorTerms = predecessor.facts.terms?.value;
  // Terms read for another buyer's agreement never link anything.
  for (const [contract, terms] of [
    [successor, successorTerms],
    [predecessor, predecessorTerms],
  ] as const) {
    if (terms?.acceptorAccountId && terms.acceptorAccountId !== contract.customerAWSAccountId) return false;
  }
  const previous = successor.facts.previousAgreementId?.value;
  const predecessorAgreement = agreementIdOf(predecessor);
  const ownAgreement = agreementIdOf(successor);
  if (!predecessorAgreement || predecessorAgreement === ownAgreement) return false;
  if (previous && predecessorAgreement === previous) return true;
  const chain = successorTerms?.initialAgreementId;
  if (!chain || chain === ownAgreement) return false;
  const predecessorChain = predecessorTerms?.initialAgreementId ?? predecessorAgreement;
  if (predecessorChain !== chain) return false;
  if (!agreementContinued(predecessor) || agreementContinued(successor)) return false;
  const started = (terms: AgreementTerms | undefined) => Date.parse(terms?.startTime ?? '');
  return !(started(successorTerms) < started(predecessorTerms));
}

/** Whether a contract's own agreement says a newer agreement continues it. */
export function agreementContinued(contract: Contract): boolean {
  const status = contract.facts.terms?.value.status;
  return status !== undefined && CONTINUED_STATUSES.has(status);
}

/** Renewed or replaced: the successor's word (its intent), else the predecessor's agreement status. */
export function continuedTerm(successor: Contract, predecessor: Contract): ContinuedTerm {
  if (successor.facts.continuationIntent?.value === 'REPLACE') return 'replaced';
  if (predecessor.facts.terms?.value.status === 'REPLACED') return 'replaced';
  return 'renewed';
}

/**
 * The two change sets of a hand-over, or why there is none. Pure: the caller writes them with
 * `saveAll` on both versions; a lost race re-reads and asks again, and then finds them linked.
 */
export function planContinuation(
  predecessor: StoredContract,
  successor: StoredContract,
  trigger: Trigger,
  now: Date,
):
  | {
      readonly changes: readonly [ContractChangeSet, ContractChangeSet];
      /** False when the successor was activated by another business: the old one only ends. */
      readonly takesOver: boolean;
    }
  | { readonly none: NoContinuation } {
  const old = predecessor.contract;
  const next = successor.contract;
  if (old.nextContractId || next.previousContractId) return { none: 'already-linked' };
  if (!continues(next, old)) return { none: 'not-a-successor' };
  const businessId = old.activatedBy;
  if (!businessId) return { none: 'predecessor-not-activated' };
  // A successor another business activated keeps its activation (R3: never transferred but by
  // support); the old contract still ends as renewed, so its credits are not counted twice.
  const takesOver = !next.activatedBy || next.activatedBy === businessId;
  const term = continuedTerm(next, old);
  const nowIso = now.toISOString();

  const endedItems: LicenseItem[] = predecessor.items
    .filter((item) => item.state === 'active')
    .map((item) => ({ ...item, state: 'ended', endedAt: nowIso, endReason: term }));
  const endedIds = new Set(endedItems.map((item) => item.itemNo));
  const oldNext: StoredContract = {
    contract: {
      ...old,
      term,
      activeCredits: 0,
      dimensions: {},
      endedAt: old.endedAt ?? nowIso,
      nextContractId: next.contractId,
      updatedAt: nowIso,
      version: old.version + 1,
    },
    items: predecessor.items.map((item) =>
      endedIds.has(item.itemNo) ? (endedItems.find((e) => e.itemNo === item.itemNo) ?? item) : item,
    ),
  };
  const newNext: StoredContract = {
    contract: {
      ...next,
      ...(takesOver
        ? {
            setupState: 'active' as const,
            activatedBy: businessId,
            activatedAt: next.activatedAt ?? nowIso,
            ...(old.businessName ? { businessName: old.businessName } : {}),
          }
        : {}),
      previousContractId: old.contractId,
      updatedAt: nowIso,
      version: next.version + 1,
    },
    // Every item is written again: an activated contract's items carry its business (keys.ts).
    items: successor.items,
  };
  const audit = (
    before: StoredContract,
    after: StoredContract,
    changes: ContractChangeSet['audit']['changes'],
  ) => auditEntryOf(before, after, changes, trigger, now);
  return {
    changes: [
      {
        next: oldNext,
        touchedItems: endedItems,
        expectedVersion: old.version,
        audit: audit(predecessor, oldNext, [
          { type: 'continued-by', to: next.contractId, term, creditsHandedOver: old.activeCredits },
        ]),
      },
      {
        next: newNext,
        touchedItems: successor.items,
        expectedVersion: next.version,
        audit: audit(successor, newNext, [
          {
            type: 'continued',
            from: old.contractId,
            businessId: newNext.contract.activatedBy ?? businessId,
            term,
          },
        ]),
      },
    ],
    takesOver,
  };
}

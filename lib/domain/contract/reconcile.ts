import type { ProductConfig } from '../product/catalog.js';
import { type Entitlement, type EntitlementSummary, summarizeEntitlements } from './entitlement.js';
import { contractIdOf } from './identity.js';
import type {
  ContinuedTerm,
  Contract,
  ContractFacts,
  ContractKey,
  Fact,
  ItemEndReason,
  ItemOrigin,
  LicenseItem,
  StoredContract,
  TermState,
} from './model.js';

/** What one sync observed for one contract. */
export interface Observation {
  readonly key: ContractKey;
  /** The contract's rows from GetEntitlements, read at `observedAt`; empty when it has none. */
  readonly entitlements: readonly Entitlement[];
  /** Facts from the notification that triggered the sync, if they concern this contract. */
  readonly facts: ContractFacts;
  readonly observedAt: string;
}

/** One thing that changed, in words the audit trail and the notices to sales can use. */
export type ContractChange =
  | { readonly type: 'created'; readonly credits: number; readonly expiresAt: string }
  | { readonly type: 'upgraded'; readonly addedCredits: number; readonly itemNo: number }
  | { readonly type: 'renewed'; readonly from: string; readonly to: string }
  | { readonly type: 'term-shortened'; readonly from: string; readonly to: string }
  | { readonly type: 'credits-reduced'; readonly from: number; readonly to: number }
  | {
      readonly type: 'ended';
      readonly term: Exclude<TermState, 'current'>;
      readonly creditsWithdrawn: number;
    }
  | { readonly type: 'reinstated'; readonly credits: number; readonly expiresAt: string }
  | { readonly type: 'dimensions-changed'; readonly dimensions: Readonly<Record<string, number>> }
  | { readonly type: 'identity-learned'; readonly fields: readonly string[] }
  | { readonly type: 'facts-updated'; readonly facts: readonly string[] }
  /** Written by the setup flow, never by reconcile (R3). */
  | { readonly type: 'activated'; readonly businessId: string; readonly email: string }
  /**
   * Written by the hand-over of a renewal chain (continuation.ts), never by reconcile: the new
   * contract takes over the old one's activation, the old one ends as renewed or replaced.
   */
  | {
      readonly type: 'continued';
      readonly from: string;
      readonly businessId: string;
      readonly term: ContinuedTerm;
    }
  | {
      readonly type: 'continued-by';
      readonly to: string;
      readonly term: ContinuedTerm;
      readonly creditsHandedOver: number;
    }
  /**
   * Written by the support function's audited transfer (R3: the only way an activated contract
   * changes business), never by reconcile: from and to are business ids; `by` the caller's IAM
   * identity, with why and the ticket it answers.
   */
  | {
      readonly type: 'transferred';
      readonly from: string;
      readonly to: string;
      readonly reason: string;
      readonly ticket: string;
      readonly by: string;
    }
  /**
   * Written by the support function when an item's Activation Code is invalidated and replaced
   * (R11), never by reconcile. The codes appear only masked: the trail is read by sales.
   */
  | {
      readonly type: 'code-replaced';
      readonly itemNo: number;
      readonly by: string;
      readonly ticket: string;
      readonly reason: string;
      readonly replaced: string;
      readonly replacement: string;
    };

export type ReconcileResult =
  | { readonly changed: false }
  | {
      readonly changed: true;
      readonly next: StoredContract;
      /** Items created or modified by this change (what the store must write). */
      readonly touchedItems: readonly LicenseItem[];
      readonly changes: readonly ContractChange[];
    };

const UNCHANGED: ReconcileResult = { changed: false };

/**
 * Brings a stored contract in step with what the marketplace entitles now.
 *
 * A pure function of (stored state, observation, now): the same observation twice gives no
 * change, and because the observation is always GetEntitlements read at processing time, the
 * order in which notifications arrive does not matter.
 *
 * Steps and rules:
 * 1. No stored contract and live entitlements → a `pending-setup` contract with item 1 (R1).
 *    No stored contract and nothing live → nothing to record.
 * 2. Nothing live any more (no rows, or the expiration date has passed) → the term ends:
 *    `cancelled` if it ended before the stored expiration date, else `expired`; every active
 *    item ends and its credits are withdrawn. Items are kept as history.
 * 3. Live again after an end → reinstated with one item for the whole entitled quantity.
 * 4. A different expiration date → the contract and every active item take it (R13 renewal
 *    when later; also when earlier, e.g. a replacement offer).
 * 5. More credits → one new item for the difference, with the contract's expiration date
 *    (R6 upgrade, or a renewal that buys more). Fewer credits → the active items are
 *    superseded by one item for the new quantity, so active credits always equal the
 *    entitled quantity (R2, R9) and no history is lost.
 * 6. The setup state (`pending-setup` / `active`) and the activating business are never touched (R3).
 * 7. Facts from notifications (free trial, offer, agreement, auto-renew) are kept when newer.
 * 8. A contract that ended as renewed or replaced (its successor took over, continuation.ts)
 *    keeps that end whatever GetEntitlements still returns for it; only facts and identity move.
 */
export function reconcile(
  stored: StoredContract | undefined,
  observation: Observation,
  product: ProductConfig,
  now: Date,
): ReconcileResult {
  const nowIso = now.toISOString();
  const summary = summarizeEntitlements(observation.entitlements, product);
  const live = summary !== undefined && Date.parse(summary.expiresAt) > now.getTime() ? summary : undefined;

  if (!stored) {
    return live ? create(observation, live, nowIso) : UNCHANGED;
  }

  const changes: ContractChange[] = [];
  const items = new Map(stored.items.map((item) => [item.itemNo, item]));
  let contract: Contract = stored.contract;

  const activeItems = () => [...items.values()].filter((item) => item.state === 'active');
  const endItems = (reason: ItemEndReason) => {
    for (const item of activeItems()) {
      items.set(item.itemNo, { ...item, state: 'ended', endedAt: nowIso, endReason: reason });
    }
  };
  const addItem = (origin: ItemOrigin, credits: number, expiresAt: string): number => {
    const itemNo = contract.itemCount + 1;
    items.set(itemNo, {
      contractId: contract.contractId,
      itemNo,
      origin,
      credits,
      createdAt: nowIso,
      expiresAt,
      state: 'active',
    });
    contract = { ...contract, itemCount: itemNo };
    return itemNo;
  };

  if (contract.term === 'renewed' || contract.term === 'replaced') {
    // A contract its successor continues is final: its credits moved to the successor in the
    // hand-over, so rows the marketplace still returns for it never bring them back (R13).
  } else if (!live) {
    if (contract.term === 'current') {
      const term: TermState = Date.parse(contract.expiresAt) > now.getTime() ? 'cancelled' : 'expired';
      changes.push({ type: 'ended', term, creditsWithdrawn: contract.activeCredits });
      endItems(term);
      contract = { ...contract, term, activeCredits: 0, endedAt: nowIso, dimensions: {} };
    }
  } else if (contract.term !== 'current') {
    changes.push({ type: 'reinstated', credits: live.credits, expiresAt: live.expiresAt });
    contract = { ...contract, term: 'current', expiresAt: live.expiresAt, endedAt: undefined };
    if (live.credits > 0) addItem('reinstatement', live.credits, live.expiresAt);
    contract = { ...contract, activeCredits: live.credits, dimensions: live.dimensions };
  } else {
    const from = contract.expiresAt;
    const extended = Date.parse(live.expiresAt) > Date.parse(from);
    if (live.expiresAt !== from) {
      changes.push(
        extended
          ? { type: 'renewed', from, to: live.expiresAt }
          : { type: 'term-shortened', from, to: live.expiresAt },
      );
      for (const item of activeItems()) items.set(item.itemNo, { ...item, expiresAt: live.expiresAt });
      contract = { ...contract, expiresAt: live.expiresAt };
    }
    const delta = live.credits - contract.activeCredits;
    if (delta > 0) {
      const itemNo = addItem(extended ? 'renewal' : 'upgrade', delta, live.expiresAt);
      changes.push({ type: 'upgraded', addedCredits: delta, itemNo });
    } else if (delta < 0) {
      changes.push({ type: 'credits-reduced', from: contract.activeCredits, to: live.credits });
      endItems('superseded');
      if (live.credits > 0) addItem(extended ? 'renewal' : 'adjustment', live.credits, live.expiresAt);
    }
    contract = { ...contract, activeCredits: live.credits };
    if (!sameNumbers(contract.dimensions, live.dimensions)) {
      changes.push({ type: 'dimensions-changed', dimensions: live.dimensions });
      contract = { ...contract, dimensions: live.dimensions };
    }
  }

  const learned = learnIdentity(contract, summary);
  if (learned.fields.length > 0) {
    changes.push({ type: 'identity-learned', fields: learned.fields });
    contract = learned.contract;
  }
  const merged = mergeFacts(contract.facts, observation.facts);
  if (merged.updated.length > 0) {
    changes.push({ type: 'facts-updated', facts: merged.updated });
    contract = { ...contract, facts: merged.facts };
  }

  if (changes.length === 0) return UNCHANGED;

  const touchedItems = [...items.values()].filter((item) => {
    const before = stored.items.find((old) => old.itemNo === item.itemNo);
    return before !== item;
  });
  const next: Contract = dropUndefined({
    ...contract,
    updatedAt: nowIso,
    syncedAt: observation.observedAt,
    version: stored.contract.version + 1,
  });
  return {
    changed: true,
    next: { contract: next, items: [...items.values()].sort((a, b) => a.itemNo - b.itemNo) },
    touchedItems,
    changes,
  };
}

function create(observation: Observation, live: EntitlementSummary, nowIso: string): ReconcileResult {
  const contractId = contractIdOf(observation.key);
  const items: LicenseItem[] =
    live.credits > 0
      ? [
          {
            contractId,
            itemNo: 1,
            origin: 'purchase',
            credits: live.credits,
            createdAt: nowIso,
            expiresAt: live.expiresAt,
            state: 'active',
          },
        ]
      : [];
  const contract: Contract = dropUndefined({
    contractId,
    key: observation.key,
    productCode: observation.key.productCode,
    licenseArn: live.licenseArn,
    customerIdentifier:
      live.customerIdentifier ??
      (observation.key.kind === 'customer' ? observation.key.customerIdentifier : undefined),
    customerAWSAccountId: live.customerAWSAccountId,
    setupState: 'pending-setup',
    term: 'current',
    expiresAt: live.expiresAt,
    activeCredits: live.credits,
    dimensions: live.dimensions,
    itemCount: items.length,
    facts: mergeFacts({}, observation.facts).facts,
    createdAt: nowIso,
    updatedAt: nowIso,
    syncedAt: observation.observedAt,
    version: 1,
  });
  return {
    changed: true,
    next: { contract, items },
    touchedItems: items,
    changes: [{ type: 'created', credits: live.credits, expiresAt: live.expiresAt }],
  };
}

/** Identity fields are only ever added, never changed: a contract cannot move between buyers (R3). */
function learnIdentity(
  contract: Contract,
  summary: EntitlementSummary | undefined,
): { contract: Contract; fields: string[] } {
  const fields: string[] = [];
  let next = contract;
  for (const field of ['licenseArn', 'customerIdentifier', 'customerAWSAccountId'] as const) {
    const seen = summary?.[field];
    if (seen && !next[field]) {
      next = { ...next, [field]: seen };
      fields.push(field);
    }
  }
  return { contract: next, fields };
}

const FACT_NAMES = [
  'freeTrial',
  'offerId',
  'agreementId',
  'autoRenew',
  'previousAgreementId',
  'continuationIntent',
] as const;

/** Last-writer-wins by the notification's own timestamp, so late or repeated notifications cannot roll a fact back. */
export function mergeFacts(
  current: ContractFacts,
  incoming: ContractFacts,
): { facts: ContractFacts; updated: string[] } {
  const facts: Record<string, Fact<unknown>> = { ...current };
  const updated: string[] = [];
  for (const name of FACT_NAMES) {
    const next = incoming[name];
    const have = current[name];
    if (!next) continue;
    if (!have || Date.parse(next.asOf) > Date.parse(have.asOf)) {
      facts[name] = next;
      updated.push(name);
    }
  }
  return { facts: facts as ContractFacts, updated };
}

function sameNumbers(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

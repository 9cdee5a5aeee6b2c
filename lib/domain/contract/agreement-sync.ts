import {
  type AgreementRead,
  type AgreementReader,
  type AgreementSummary,
  CONTINUED_STATUSES,
} from './agreement.js';
import { auditEntryOf } from './audit.js';
import { agreementContinued, continues, type NoContinuation, planContinuation } from './continuation.js';
import { applyTerms } from './enrich.js';
import { ConcurrentUpdateError } from './errors.js';
import { licenseIdFromArn } from './identity.js';
import { agreementIdOf, type ContinuedTerm, type StoredContract } from './model.js';
import { mergeFacts, type ReconcileResult } from './reconcile.js';
import {
  type Alongside,
  type SyncCommand,
  type SyncDeps,
  type SyncOutcome,
  syncContracts,
} from './sync-contracts.js';

export interface AgreementSyncDeps extends SyncDeps {
  /** The Agreement API; without it the sync is GetEntitlements alone, as before terms existed. */
  readonly agreements?: AgreementReader;
}

export interface AgreementSyncOptions {
  readonly alongside?: Alongside;
  /** Read the terms of every contract the sync touched, not only new ones (the sweep). */
  readonly enrichAll?: boolean;
  /** Ask again for terms that were refused before (the backfill); notifications and the daily sweep do not. */
  readonly retryUnavailable?: boolean;
}

export interface Continuation {
  readonly from: string;
  readonly to: string;
  readonly term: ContinuedTerm;
}

export interface AgreementSyncReport {
  /** Contracts whose terms or agreement facts changed. */
  readonly enriched: readonly string[];
  /** Hand-overs made: the old contract ended as renewed or replaced, the new one took its activation. */
  readonly continued: readonly Continuation[];
  /** Activated contracts held current because a newer agreement continues them, whose successor is not known yet. */
  readonly awaitingSuccessor: readonly string[];
  /** Hand-overs that were not made, and why (a successor activated by another business …). */
  readonly notContinued: readonly {
    readonly from: string;
    readonly to: string;
    readonly why: NoContinuation;
  }[];
  /** Agreement API steps that failed (after their retries); the entitlements were synced all the same. */
  readonly failed: readonly {
    readonly contractId: string;
    readonly stage: 'hold' | 'terms';
    readonly error: string;
  }[];
}

/** How long an activated contract's end is held back for its successor after its agreement was seen continued. */
export const MAX_HOLD_MS = 24 * 60 * 60 * 1000;

const nameOf = (error: unknown): string => (error instanceof Error ? error.name : typeof error);

/** Agreement statuses that no longer continue anything. */
const OVER = new Set(['CANCELLED', 'EXPIRED', 'TERMINATED', 'ROLLED_BACK', 'SUPERSEDED', 'ARCHIVED']);
/** Pages of SearchAgreements read for one chain or one license: a chain is a handful of agreements. */
const MAX_CHAIN_PAGES = 5;
const MAX_WRITE_ATTEMPTS = 5;

/**
 * A sync with the Agreement API beside GetEntitlements (issue 15):
 * 1. GetEntitlements decides quantities and dates (`syncContracts`, R1). An activated contract
 *    that would end is first checked against its agreement: if a newer agreement renewed or
 *    replaced it, its end is held back for the hand-over, so its business never loses the credits
 *    in between.
 * 2. New contracts, the contract whose agreement an agreement event names, and held ones are
 *    enriched: DescribeAgreement + GetAgreementTerms (`applyTerms`; a refusal is recorded and
 *    not asked again by notifications).
 * 3. Chains: a contract whose agreement continues an older one (the Created event's
 *    `previousAgreementId`, or the terms' `initialAgreementId`) takes over the older contract's
 *    activation, and the older one ends as renewed or replaced, in one transaction
 *    (`planContinuation`). A held contract's successor is looked up by the chain's initial
 *    agreement id and synced first.
 * Everything is idempotent: linked contracts are never linked again, unchanged terms write nothing.
 */
export async function syncWithAgreements(
  command: SyncCommand,
  deps: AgreementSyncDeps,
  options: AgreementSyncOptions = {},
): Promise<{ readonly outcome: SyncOutcome; readonly report: AgreementSyncReport }> {
  const agreements = deps.agreements;
  const report = {
    enriched: [] as string[],
    continued: [] as Continuation[],
    awaitingSuccessor: [] as string[],
    notContinued: [] as AgreementSyncReport['notContinued'][number][],
    failed: [] as AgreementSyncReport['failed'][number][],
  };
  const reads = new Map<string, Promise<AgreementRead>>();
  const readOnce = (agreementId: string): Promise<AgreementRead> => {
    const cached = reads.get(agreementId);
    if (cached) return cached;
    const read = (agreements as AgreementReader).read(agreementId);
    reads.set(agreementId, read);
    return read;
  };
  const refused = (stored: StoredContract, agreementId: string) =>
    !options.retryUnavailable && stored.contract.facts.termsUnavailable?.value.agreementId === agreementId;

  const holdEnd = agreements
    ? async (stored: StoredContract): Promise<boolean> => {
        const agreementId = agreementIdOf(stored.contract);
        if (!agreementId || refused(stored, agreementId)) return false;
        // Held for a day at most after its agreement was first seen continued: a successor that
        // never comes must not keep the credits counted twice.
        const seen = stored.contract.facts.terms;
        if (seen && agreementContinued(stored.contract)) {
          if (deps.clock.now().getTime() - Date.parse(seen.asOf) > MAX_HOLD_MS) return false;
        }
        try {
          const read = await readOnce(agreementId);
          if (read.kind !== 'found' || !CONTINUED_STATUSES.has(read.terms.status)) return false;
          // Only a successor under another license takes the credits over: a renewal on the same
          // license that then ends (cancelled) is a real end, and so is a chain whose successor
          // is not listed yet (the hand-over then comes later, with a gap: see Known limits).
          return (await liveSuccessors(stored, read.terms.initialAgreementId ?? agreementId)).length > 0;
        } catch (error) {
          // The Agreement API is down: the entitlements still decide (the end is written); a
          // hand-over then comes from the successor's notifications or the sweep.
          report.failed.push({ contractId: stored.contract.contractId, stage: 'hold', error: nameOf(error) });
          return false;
        }
      }
    : undefined;
  const outcome = await syncContracts(command, { ...deps, ...(holdEnd ? { holdEnd } : {}) }, options);
  if (!agreements || outcome.status !== 'synced') return { outcome, report };

  const trigger = command.trigger;
  const eventAgreement = command.factsApplyTo === 'scope' ? undefined : command.factsApplyTo.agreementId;
  const created = new Set(
    outcome.contracts
      .filter((c) => c.changes.some((change) => change.type === 'created'))
      .map((c) => c.contractId),
  );
  // A contract that learned its agreement from this notification and was never enriched (a
  // License Updated after the Agreement Created that wrote it, whose agreement the license
  // search could not find, as for a channel partner's offer) has its terms read now, as a new
  // one does. Only a notification about one license: an account-wide one's agreement id is not
  // known to be that contract's. A contract with terms, or a recorded refusal, is not read
  // again (every License event restates the agreement id with its own date).
  const learnedAgreement = new Set(
    command.scope.by !== 'license'
      ? []
      : outcome.contracts
          .filter((c) =>
            c.changes.some(
              (change) => change.type === 'facts-updated' && change.facts.includes('agreementId'),
            ),
          )
          .map((c) => c.contractId)
          .filter((id) => {
            const facts = outcome.current.find((s) => s.contract.contractId === id)?.contract.facts;
            return facts !== undefined && !facts.terms && !facts.termsUnavailable;
          }),
  );
  const heldIds = new Set(outcome.held.map((stored) => stored.contract.contractId));
  const targets = outcome.current.filter(
    ({ contract }) =>
      options.enrichAll ||
      created.has(contract.contractId) ||
      learnedAgreement.has(contract.contractId) ||
      heldIds.has(contract.contractId) ||
      (eventAgreement !== undefined && agreementIdOf(contract) === eventAgreement),
  );
  for (const stored of outcome.held) if (!targets.includes(stored)) targets.push(stored);

  /**
   * Writes what `change` makes of the contract as stored, on its version; a lost race reads it
   * again and asks once more. Returns the contract as stored after.
   */
  async function update(
    contractId: string,
    change: (stored: StoredContract) => Promise<ReconcileResult | undefined>,
  ): Promise<StoredContract | undefined> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const stored = await deps.contracts.load(contractId);
      if (!stored) return undefined;
      const result = await change(stored);
      if (!result?.changed) return stored;
      try {
        await deps.contracts.save({
          next: result.next,
          touchedItems: result.touchedItems,
          expectedVersion: stored.contract.version,
          audit: auditEntryOf(stored, result.next, result.changes, trigger, deps.clock.now()),
        });
        return result.next;
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError)) throw error;
      }
    }
    return deps.contracts.load(contractId);
  }

  /** Reads the contract's agreement and writes what changed; returns the contract as stored after. */
  async function enrich(contractId: string, agreementHint?: string): Promise<StoredContract | undefined> {
    let enriched = false;
    const after = await update(contractId, async (stored) => {
      const agreementId =
        agreementIdOf(stored.contract) ?? agreementHint ?? (await agreementOfLicense(stored));
      if (!agreementId || refused(stored, agreementId)) return undefined;
      const read = await readOnce(agreementId);
      const now = deps.clock.now();
      const result = applyTerms(stored, read, now.toISOString(), now);
      enriched = result.changed;
      return result;
    });
    if (enriched) report.enriched.push(contractId);
    return after;
  }

  /** Merges the command's facts (auto-renew, the previous agreement) into a contract, on its version. */
  function mergeEventFacts(contractId: string): Promise<StoredContract | undefined> {
    return update(contractId, async (stored) => {
      const merged = mergeFacts(stored.contract.facts, command.facts);
      if (merged.updated.length === 0) return undefined;
      const now = deps.clock.now().toISOString();
      return {
        changed: true,
        next: {
          contract: {
            ...stored.contract,
            facts: merged.facts,
            updatedAt: now,
            version: stored.contract.version + 1,
          },
          items: stored.items,
        },
        touchedItems: [],
        changes: [{ type: 'facts-updated', facts: merged.updated }],
      };
    });
  }

  /** A contract that knows no agreement yet (a legacy SNS one, a setup's): its license's agreement. */
  async function agreementOfLicense(stored: StoredContract): Promise<string | undefined> {
    const licenseArn = stored.contract.licenseArn;
    if (!licenseArn) return undefined;
    const summaries = await searchAll({ licenseArn });
    return pickCurrent(summaries)?.agreementId;
  }

  async function searchAll(query: Parameters<AgreementReader['search']>[0]): Promise<AgreementSummary[]> {
    const all: AgreementSummary[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_CHAIN_PAGES; page++) {
      const result = await (agreements as AgreementReader).search({
        ...query,
        ...(nextToken ? { nextToken } : {}),
      });
      all.push(...result.summaries);
      nextToken = result.nextToken;
      if (!nextToken) break;
    }
    return all;
  }

  /** Writes a hand-over, re-reading both on a lost race; the second look finds them linked. */
  async function link(predecessorId: string, successorId: string): Promise<void> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const [predecessor, successor] = await Promise.all([
        deps.contracts.load(predecessorId),
        deps.contracts.load(successorId),
      ]);
      if (!predecessor || !successor) return;
      const plan = planContinuation(predecessor, successor, trigger, deps.clock.now());
      if ('none' in plan) {
        if (plan.none !== 'already-linked' && plan.none !== 'not-a-successor')
          report.notContinued.push({ from: predecessorId, to: successorId, why: plan.none });
        return;
      }
      try {
        await deps.contracts.saveAll(plan.changes);
        const term = plan.changes[0].next.contract.term as ContinuedTerm;
        if (plan.takesOver) report.continued.push({ from: predecessorId, to: successorId, term });
        else
          report.notContinued.push({
            from: predecessorId,
            to: successorId,
            why: 'successor-activated-elsewhere',
          });
        return;
      } catch (error) {
        if (!(error instanceof ConcurrentUpdateError)) throw error;
      }
    }
  }

  /** The stored contract a successor continues: same buyer and product, its agreement in the chain. */
  async function predecessorOf(successor: StoredContract): Promise<StoredContract | undefined> {
    const { contract } = successor;
    const account = contract.customerAWSAccountId;
    if (!account) return undefined;
    const ids = await deps.contracts.findContractIds(contract.productCode, { customerAWSAccountId: account });
    const loaded = await Promise.all(
      ids.filter((id) => id !== contract.contractId).map((id) => deps.contracts.load(id)),
    );
    const candidates: StoredContract[] = [];
    for (const p of loaded) {
      if (!p || p.contract.nextContractId) continue;
      // A contract of the same chain whose stored terms still say ACTIVE may have been renewed
      // since they were read: read them again before deciding which way the chain runs.
      const chain = contract.facts.terms?.value.initialAgreementId;
      const sameChain =
        chain !== undefined &&
        (p.contract.facts.terms?.value.initialAgreementId ?? agreementIdOf(p.contract)) === chain;
      const fresh = sameChain && !agreementContinued(p.contract) ? await enrich(p.contract.contractId) : p;
      if (fresh && continues(contract, fresh.contract)) candidates.push(fresh);
    }
    return candidates.sort((a, b) => Date.parse(b.contract.expiresAt) - Date.parse(a.contract.expiresAt))[0];
  }

  /** The chain's live agreements under a license other than the contract's own. */
  async function liveSuccessors(stored: StoredContract, chain: string): Promise<AgreementSummary[]> {
    const own = agreementIdOf(stored.contract);
    const ownLicense = stored.contract.key.kind === 'license' ? stored.contract.key.licenseId : undefined;
    return (await searchAll({ initialAgreementId: chain }))
      .filter((s) => s.agreementId !== own && !OVER.has(s.status) && !CONTINUED_STATUSES.has(s.status))
      .map((s) => ({
        ...s,
        licenseArns: s.licenseArns.filter((arn) => licenseIdFromArn(arn) !== ownLicense),
      }))
      .filter((s) => s.licenseArns.length > 0);
  }

  /** A held contract's successor: the chain's live agreement under another license, synced now. */
  async function syncSuccessorOf(held: StoredContract): Promise<string | undefined> {
    const own = agreementIdOf(held.contract);
    const chain = held.contract.facts.terms?.value.initialAgreementId ?? own;
    if (!chain) return undefined;
    const summaries = await liveSuccessors(held, chain);
    for (const summary of summaries) {
      for (const licenseArn of summary.licenseArns) {
        const synced = await syncContracts(
          {
            product: { code: held.contract.productCode },
            scope: held.contract.customerAWSAccountId
              ? { by: 'license', licenseArn, customerAWSAccountId: held.contract.customerAWSAccountId }
              : { by: 'license', licenseArn },
            facts: { agreementId: { value: summary.agreementId, asOf: trigger.at } },
            factsApplyTo: 'scope',
            trigger,
          },
          deps,
        );
        if (synced.status !== 'synced') continue;
        const successor = synced.current.find((c) => c.contract.contractId !== held.contract.contractId);
        if (successor) {
          const enriched = await enrich(successor.contract.contractId, summary.agreementId);
          if (enriched && continues(enriched.contract, held.contract)) return enriched.contract.contractId;
        }
      }
    }
    return undefined;
  }

  for (const target of targets) {
    const id = target.contract.contractId;
    // The entitlements' writes are done: a failure here (the Agreement API down) is reported,
    // not thrown, and the next notification or the sweep does the rest.
    try {
      let enriched = await enrich(id);
      if (!enriched) continue;
      // An agreement event that created the contract could not give it its facts (the contract
      // did not know its agreement yet): now that the terms name it, they are merged.
      if (created.has(id) && eventAgreement && agreementIdOf(enriched.contract) === eventAgreement)
        enriched = await mergeEventFacts(id);
      if (!enriched) continue;
      const { contract } = enriched;
      if (contract.previousContractId || contract.nextContractId) continue;
      if (
        heldIds.has(id) ||
        (contract.activatedBy && agreementContinued(contract) && contract.term !== 'current')
      ) {
        const successorId = await syncSuccessorOf(enriched);
        if (successorId) await link(id, successorId);
        else report.awaitingSuccessor.push(id);
        continue;
      }
      const predecessor = await predecessorOf(enriched);
      if (predecessor) await link(predecessor.contract.contractId, id);
    } catch (error) {
      report.failed.push({ contractId: id, stage: 'terms', error: nameOf(error) });
    }
  }
  return { outcome, report };
}

/** The agreement a license is under now: the live one, else the latest updated. */
function pickCurrent(summaries: readonly AgreementSummary[]): AgreementSummary | undefined {
  const live = summaries.filter((s) => s.status === 'ACTIVE');
  const pool = live.length > 0 ? live : summaries;
  return [...pool].sort((a, b) => Date.parse(b.lastUpdateTime ?? '') - Date.parse(a.lastUpdateTime ?? ''))[0];
}

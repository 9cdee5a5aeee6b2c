import { findProductById, type ProductCatalog } from '../product/catalog.js';
import type { AgreementReader, AgreementSummary } from './agreement.js';
import { type AgreementSyncReport, syncWithAgreements } from './agreement-sync.js';
import type { ContractKey } from './model.js';
import type { Clock, ContractRepository, EntitlementReader, Trigger } from './ports.js';
import type { ProductRef, SyncCommand, SyncOutcome } from './sync-contracts.js';

/**
 * The reconciliation sweep (issue 15): heals what notifications missed. Two phases, each
 * resumable from a checkpoint:
 * 1. `agreements`: every agreement updated since the watermark (SearchAgreements,
 *    AfterLastUpdateTime, as proposer; the backfill starts with no watermark, so all of them),
 *    each of its licenses synced and enriched.
 * 2. `contracts`: every pending or active contract whose last sync is older than a day, synced
 *    from GetEntitlements (and its agreement); one found unchanged gets its sync time written,
 *    so the next run within a day skips it.
 * Marketplace calls are paced by the readers the caller passes (see `pace`). A run holds a lease
 * so two never overlap; a second start while one runs does nothing. A run that runs out of time
 * saves where it was, and the next start (or the frequent "continue" schedule) goes on from there.
 */

export type SweepPhase = 'agreements' | 'contracts' | 'done';

export interface SweepProgress {
  readonly runId: string;
  readonly mode: 'incremental' | 'backfill';
  readonly phase: SweepPhase;
  readonly startedAt: string;
  /** The watermark this run searches from (absent: every agreement). */
  readonly since?: string;
  /** The latest `lastUpdateTime` seen so far: the next run's watermark once this one finishes. */
  readonly seenUpTo?: string;
  readonly agreementsToken?: string;
  /** Summaries of the current page already done: a run that stops mid-page goes on after them. */
  readonly agreementsDone?: number;
  /** The earliest `lastUpdateTime` of an agreement whose sync failed: the watermark stays before it. */
  readonly failedFrom?: string;
  readonly contractsCursor?: string;
  readonly counts: SweepCounts;
}

export interface SweepCounts {
  readonly agreements: number;
  readonly contracts: number;
  readonly created: number;
  readonly changed: number;
  readonly ended: number;
  readonly continued: number;
  readonly enriched: number;
  readonly failed: number;
}

const ZERO: SweepCounts = {
  agreements: 0,
  contracts: 0,
  created: 0,
  changed: 0,
  ended: 0,
  continued: 0,
  enriched: 0,
  failed: 0,
};

/** A contract the contracts phase re-reads. */
export interface StaleContract {
  readonly contractId: string;
  readonly key: ContractKey;
  readonly productCode: string;
  readonly licenseArn?: string;
  readonly customerAWSAccountId?: string;
  readonly version: number;
}

export interface SweepStore {
  /**
   * Takes the lease (until `leaseUntil`) unless another run holds it; returns the unfinished
   * run to continue (or undefined to start one) and the watermark, or `busy`.
   */
  acquire(
    owner: string,
    now: Date,
    leaseUntil: Date,
  ): Promise<
    | { readonly busy: true }
    | { readonly busy: false; readonly progress?: SweepProgress; readonly watermark?: string }
  >;
  /** Saves progress and extends the lease; throws SweepLeaseLostError if another run took it. */
  checkpoint(owner: string, progress: SweepProgress, leaseUntil: Date): Promise<void>;
  /** The run finished: the new watermark is stored, the progress cleared and the lease released. */
  finish(owner: string, watermark: string | undefined, progress: SweepProgress): Promise<void>;
  /** Gives the lease back, with the progress kept when given (the run ran out of time). */
  release(owner: string, progress: SweepProgress | undefined): Promise<void>;
  /** One page of live contracts synced before `cutoff`. */
  staleContracts(
    productCodes: readonly string[],
    cutoff: string,
    cursor: string | undefined,
    limit: number,
  ): Promise<{ readonly contracts: readonly StaleContract[]; readonly cursor?: string }>;
  /** Records that the contract was read and found unchanged (only if its version is still `version`). */
  touchSynced(contractId: string, version: number, at: string): Promise<void>;
}

export class SweepLeaseLostError extends Error {
  override readonly name = 'SweepLeaseLostError';
}

export interface SweepDeps {
  readonly catalog: ProductCatalog;
  readonly contracts: ContractRepository;
  readonly entitlements: EntitlementReader;
  /** Absent (the Agreement API off): only the contracts phase runs. */
  readonly agreements?: AgreementReader;
  readonly store: SweepStore;
  readonly clock: Clock;
  /** How long the run may still go on (ms); it stops and saves its place when less than `reserveMs` is left. */
  readonly remainingMs: () => number;
  readonly reserveMs?: number;
  readonly newRunId: () => string;
  /** How long a lease lasts without a checkpoint; default 15 minutes (a Lambda's longest run). */
  readonly leaseMs?: number;
  /** Contracts per page of the contracts phase; default 25. */
  readonly pageSize?: number;
}

export interface SweepResult {
  readonly status: 'busy' | 'finished' | 'paused';
  readonly progress?: SweepProgress;
  /** created + changed + ended + continued: what the notifications had missed. */
  readonly drift: number;
  /** Contract ids that drifted, the first 100, for the log's drift report. */
  readonly drifted: readonly string[];
}

const DAY_MS = 86_400_000;

export async function runSweep(
  deps: SweepDeps,
  request: { readonly mode: 'incremental' | 'backfill' | 'continue' },
): Promise<SweepResult> {
  const owner = deps.newRunId();
  const leaseMs = deps.leaseMs ?? 15 * 60_000;
  const reserveMs = deps.reserveMs ?? 30_000;
  const leaseUntil = () => new Date(deps.clock.now().getTime() + leaseMs);
  const acquired = await deps.store.acquire(owner, deps.clock.now(), leaseUntil());
  if (acquired.busy) return { status: 'busy', drift: 0, drifted: [] };
  if (request.mode === 'continue' && !acquired.progress) {
    await deps.store.release(owner, undefined);
    return { status: 'finished', drift: 0, drifted: [] };
  }
  const nowIso = deps.clock.now().toISOString();
  let progress: SweepProgress =
    acquired.progress && request.mode !== 'backfill'
      ? acquired.progress
      : {
          runId: owner,
          mode: request.mode === 'backfill' ? 'backfill' : 'incremental',
          phase: 'agreements',
          startedAt: nowIso,
          ...(request.mode !== 'backfill' && acquired.watermark ? { since: acquired.watermark } : {}),
          counts: ZERO,
        };
  const drifted: string[] = [];
  const timeLeft = () => deps.remainingMs() > reserveMs;
  const trigger = (id: string): Trigger => ({
    source: 'sweep',
    type: progress.mode === 'backfill' ? 'backfill' : 'reconciliation',
    id: `${progress.runId}:${id}`,
    at: deps.clock.now().toISOString(),
  });
  const count = (outcome: SyncOutcome, report: AgreementSyncReport) => {
    if (outcome.status !== 'synced') return;
    const c = { ...progress.counts };
    for (const result of outcome.contracts) {
      const types = new Set(result.changes.map((change) => change.type));
      if (types.has('created')) c.created++;
      else if (types.has('ended')) c.ended++;
      else if ([...types].some((t) => t !== 'facts-updated' && t !== 'identity-learned')) c.changed++;
      else continue;
      if (drifted.length < 100) drifted.push(result.contractId);
    }
    c.continued += report.continued.length;
    for (const link of report.continued) if (drifted.length < 100) drifted.push(link.to);
    c.enriched += report.enriched.length;
    progress = { ...progress, counts: c };
  };
  // The agreements phase reads each listed agreement's terms (it changed since the watermark);
  // the contracts phase reads GetEntitlements only, plus the terms of contracts it creates.
  const sync = async (command: SyncCommand, enrichAll: boolean) => {
    try {
      const { outcome, report } = await syncWithAgreements(command, deps, {
        enrichAll,
        retryUnavailable: progress.mode === 'backfill',
      });
      count(outcome, report);
      if (report.failed.length > 0) {
        progress = { ...progress, counts: { ...progress.counts, failed: progress.counts.failed + 1 } };
        return { outcome, ok: false };
      }
      return { outcome, ok: true };
    } catch (error) {
      if (error instanceof SweepLeaseLostError) throw error;
      progress = { ...progress, counts: { ...progress.counts, failed: progress.counts.failed + 1 } };
      return { outcome: undefined, ok: false };
    }
  };
  const agreements = deps.agreements;
  if (!agreements && progress.phase === 'agreements') progress = { ...progress, phase: 'contracts' };

  try {
    while (agreements && progress.phase === 'agreements' && timeLeft()) {
      const page = await agreements.search({
        ...(progress.since ? { afterLastUpdateTime: progress.since } : {}),
        ...(progress.agreementsToken ? { nextToken: progress.agreementsToken } : {}),
      });
      let done = progress.agreementsDone ?? 0;
      let stopped = false;
      for (const summary of page.summaries.slice(done)) {
        if (!timeLeft()) {
          stopped = true;
          break;
        }
        let ok = true;
        for (const command of commandsOf(summary, deps.catalog, trigger(summary.agreementId)))
          ok = (await sync(command, true)).ok && ok;
        const seenUpTo = later(progress.seenUpTo, summary.lastUpdateTime);
        const failedFrom = ok ? progress.failedFrom : earlier(progress.failedFrom, summary.lastUpdateTime);
        done++;
        progress = {
          ...progress,
          counts: { ...progress.counts, agreements: progress.counts.agreements + 1 },
          ...(seenUpTo ? { seenUpTo } : {}),
          ...(failedFrom ? { failedFrom } : {}),
          agreementsDone: done,
        };
        // The lease is extended as the run goes, not only between pages.
        if (done % 10 === 0) await deps.store.checkpoint(owner, progress, leaseUntil());
      }
      if (!stopped) {
        const { agreementsToken: _, agreementsDone: __, ...rest } = progress;
        progress = page.nextToken
          ? { ...rest, agreementsToken: page.nextToken }
          : { ...rest, phase: 'contracts' };
      }
      await deps.store.checkpoint(owner, progress, leaseUntil());
    }
    const productCodes = deps.catalog.products.map((p) => p.productCode);
    const cutoff = new Date(Date.parse(progress.startedAt) - DAY_MS).toISOString();
    while (progress.phase === 'contracts' && timeLeft()) {
      const page = await deps.store.staleContracts(
        productCodes,
        cutoff,
        progress.contractsCursor,
        deps.pageSize ?? 25,
      );
      let stopped = false;
      for (const stale of page.contracts) {
        if (!timeLeft()) {
          stopped = true;
          break;
        }
        const command = commandOfContract(stale, trigger(stale.contractId));
        // A contract with no license and no buyer account cannot be asked for: left to notifications.
        if (!command) continue;
        const { outcome } = await sync(command, false);
        progress = { ...progress, counts: { ...progress.counts, contracts: progress.counts.contracts + 1 } };
        const unchanged =
          outcome?.status === 'synced' && !outcome.contracts.some((c) => c.contractId === stale.contractId);
        if (unchanged)
          await deps.store.touchSynced(stale.contractId, stale.version, deps.clock.now().toISOString());
      }
      // Stopped mid-page: the same page again next time (the ones done are no longer stale).
      if (!stopped) {
        const { contractsCursor: _, ...rest } = progress;
        progress = page.cursor ? { ...rest, contractsCursor: page.cursor } : { ...rest, phase: 'done' };
      }
      await deps.store.checkpoint(owner, progress, leaseUntil());
    }
  } catch (error) {
    if (error instanceof SweepLeaseLostError)
      return { status: 'busy', progress, drift: driftOf(progress.counts), drifted };
    await deps.store.release(owner, progress);
    throw error;
  }
  if (progress.phase !== 'done') {
    await deps.store.release(owner, progress);
    return { status: 'paused', progress, drift: driftOf(progress.counts), drifted };
  }
  // The next run lists agreements updated after the latest one seen. No overlap: an overlap would
  // list the latest agreement again on every run. One updated in the same instant but listed
  // late is caught by the contracts phase within a day.
  // An agreement whose sync failed is listed again by the next run: the watermark stays before it.
  const failedBefore = progress.failedFrom
    ? new Date(Date.parse(progress.failedFrom) - 1).toISOString()
    : undefined;
  const watermark = earlier(progress.seenUpTo, failedBefore) ?? progress.since;
  await deps.store.finish(owner, watermark, progress);
  return { status: 'finished', progress, drift: driftOf(progress.counts), drifted };
}

export function driftOf(counts: SweepCounts): number {
  return counts.created + counts.changed + counts.ended + counts.continued;
}

function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) < Date.parse(a) ? b : a;
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** One sync per license of the agreement, for its product when the catalog knows it. */
function commandsOf(summary: AgreementSummary, catalog: ProductCatalog, trigger: Trigger): SyncCommand[] {
  const known = summary.productIds.map((id) => findProductById(catalog, id)).find((p) => p !== undefined);
  // A product id this deployment does not list: if the catalog names ids, it is another product's agreement.
  const catalogHasIds = catalog.products.some((p) => p.productId);
  if (!known && catalogHasIds && summary.productIds.length > 0) return [];
  const product: ProductRef = known ? { code: known.productCode } : { any: true };
  return summary.licenseArns.map((licenseArn) => ({
    product,
    scope: summary.acceptorAccountId
      ? { by: 'license', licenseArn, customerAWSAccountId: summary.acceptorAccountId }
      : { by: 'license', licenseArn },
    facts: { agreementId: { value: summary.agreementId, asOf: summary.lastUpdateTime ?? trigger.at } },
    factsApplyTo: 'scope',
    trigger,
  }));
}

function commandOfContract(stale: StaleContract, trigger: Trigger): SyncCommand | undefined {
  let scope: SyncCommand['scope'];
  if (stale.key.kind === 'customer')
    scope = { by: 'customer', customerIdentifier: stale.key.customerIdentifier };
  else if (stale.licenseArn)
    scope = stale.customerAWSAccountId
      ? { by: 'license', licenseArn: stale.licenseArn, customerAWSAccountId: stale.customerAWSAccountId }
      : { by: 'license', licenseArn: stale.licenseArn };
  else if (stale.customerAWSAccountId)
    scope = { by: 'account', customerAWSAccountId: stale.customerAWSAccountId };
  else return undefined;
  return { product: { code: stale.productCode }, scope, facts: {}, factsApplyTo: 'scope', trigger };
}

import type { Allocation, CreditSource, Ledger } from './model.js';

/** What a write did to the over-allocation of a business: the primary user hears of each start. */
export type LedgerTransition = 'became-over-allocated' | 'recovered';

export interface LedgerWrite {
  readonly next: Ledger;
  readonly transition?: LedgerTransition;
}

/** A business's ledger before it held anything. */
export function emptyLedger(
  businessId: string,
  now: Date,
  who: { readonly primaryEmail?: string; readonly businessName?: string } = {},
): Ledger {
  return {
    businessId,
    ...(who.primaryEmail ? { primaryEmail: who.primaryEmail } : {}),
    ...(who.businessName ? { businessName: who.businessName } : {}),
    sources: {},
    allocations: {},
    total: 0,
    allocated: 0,
    balance: 0,
    revision: 0,
    updatedAt: now.toISOString(),
  };
}

/** A source counts while it has credits and its expiration instant is still ahead (R2). */
export function counts(source: CreditSource, now: Date): boolean {
  return source.credits > 0 && Date.parse(source.expiresAt) > now.getTime();
}

/** Whether a source has lapsed since the ledger was written, so its `total` is no longer exact. */
export function needsRefresh(ledger: Ledger, now: Date): boolean {
  return ledger.earliestExpiry !== undefined && !(Date.parse(ledger.earliestExpiry) > now.getTime());
}

/**
 * The ledger with some sources set or removed (`undefined` removes) and every lapsed source
 * dropped, its totals recomputed; undefined when that changes nothing.
 *
 * Rules: the total is the credits of the sources that count (R2); `balance = total −
 * allocated`; nothing is cut when the balance falls below zero: the business is marked
 * over-allocated from that write on, until a later write brings the balance back (R9).
 */
export function withSources(
  ledger: Ledger,
  patch: Readonly<Record<string, CreditSource | undefined>>,
  now: Date,
): LedgerWrite | undefined {
  const sources: Record<string, CreditSource> = {};
  for (const [id, source] of Object.entries({ ...ledger.sources, ...patch })) {
    if (source && counts(source, now)) sources[id] = source;
  }
  if (sameSources(ledger.sources, sources)) return undefined;
  return settle(ledger, { sources }, now, lapsedInto(ledger, patch, now));
}

/**
 * When lapsed sources (not the patch) took the balance below zero before `now`: the instant
 * the first of them that did so ended. A business over-allocated since its license lapsed on
 * Monday says Monday, not the moment a write or a read first noticed.
 */
function lapsedInto(
  ledger: Ledger,
  patch: Readonly<Record<string, CreditSource | undefined>>,
  now: Date,
): Date | undefined {
  if (ledger.overAllocatedSince) return undefined;
  const lapsed = Object.entries(ledger.sources)
    .filter(([id, source]) => !(id in patch) && !counts(source, now))
    .map(([, source]) => source)
    .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  let total = ledger.total;
  for (const source of lapsed) {
    total -= source.credits;
    if (total < ledger.allocated) return new Date(source.expiresAt);
  }
  return undefined;
}

/** A refresh: lapsed sources dropped (undefined when none has lapsed). */
export function refreshed(ledger: Ledger, now: Date): LedgerWrite | undefined {
  return needsRefresh(ledger, now) ? withSources(ledger, {}, now) : undefined;
}

/** The ledger as it stands at `now`, lapsed sources dropped in memory (what reads show). */
export function ledgerAt(ledger: Ledger, now: Date): Ledger {
  return refreshed(ledger, now)?.next ?? ledger;
}

export interface AllocationRequest {
  readonly service: string;
  readonly productCode: string;
  /** Units wanted (0 disables the service). */
  readonly units: number;
  /** The service's published credits per unit (R14). */
  readonly creditsPerUnit: number;
}

export type AllocationPlan =
  | { readonly kind: 'unchanged'; readonly ledger: Ledger; readonly allocation?: Allocation }
  | {
      readonly kind: 'refused';
      readonly code: 'insufficient-credits';
      readonly ledger: Ledger;
      readonly needed: number;
      readonly available: number;
    }
  | {
      readonly kind: 'refused';
      readonly code: 'over-allocated';
      readonly ledger: Ledger;
      readonly overBy: number;
    }
  | {
      readonly kind: 'write';
      readonly next: Ledger;
      readonly transition?: LedgerTransition;
      /** The allocation before (absent: the service was not enabled). */
      readonly previous?: Allocation;
      /** The allocation after (absent: the service is disabled). */
      readonly allocation?: Allocation;
      /** Credits taken from the balance (negative: given back). */
      readonly delta: number;
      /** Whether lapsed sources were dropped on the way (the write must then replace the whole ledger). */
      readonly refreshed: boolean;
    };

/**
 * Sets a service's allocation to the units asked for (a PUT of the desired quantity, so a
 * repeat changes nothing).
 *
 * Rules (R9): enabling takes `units × rate` credits from the balance, resizing takes or
 * gives back the difference (free during the term), disabling (0 units) gives everything
 * back. An allocation that would take the balance below zero is refused with what is
 * available; while the business is over-allocated, allocations can only go down.
 */
export function planAllocation(ledger: Ledger, request: AllocationRequest, now: Date): AllocationPlan {
  const refresh = refreshed(ledger, now);
  const current = refresh?.next ?? ledger;
  // Own properties only: a service id such as `constructor` must not find Object's.
  const previous = Object.hasOwn(current.allocations, request.service)
    ? current.allocations[request.service]
    : undefined;
  const credits = request.units * request.creditsPerUnit;
  const unchanged =
    request.units === 0 ? !previous : previous?.units === request.units && previous.credits === credits;
  if (unchanged && !refresh) {
    return { kind: 'unchanged', ledger: current, ...(previous ? { allocation: previous } : {}) };
  }
  const delta = credits - (previous?.credits ?? 0);
  if (delta > 0 && current.balance < 0) {
    return { kind: 'refused', code: 'over-allocated', ledger: current, overBy: -current.balance };
  }
  if (delta > 0 && delta > current.balance) {
    return {
      kind: 'refused',
      code: 'insufficient-credits',
      ledger: current,
      needed: delta,
      available: Math.max(0, current.balance),
    };
  }
  const allocations: Record<string, Allocation> = { ...current.allocations };
  const allocation: Allocation | undefined =
    request.units === 0
      ? undefined
      : {
          service: request.service,
          productCode: request.productCode,
          units: request.units,
          credits,
          updatedAt: now.toISOString(),
        };
  if (allocation) allocations[request.service] = allocation;
  else delete allocations[request.service];
  const settled = unchanged ? (refresh as LedgerWrite) : settle(current, { allocations }, now);
  const transition = settled.transition ?? refresh?.transition;
  return {
    kind: 'write',
    next: settled.next,
    ...(transition ? { transition } : {}),
    ...(previous ? { previous } : {}),
    ...(unchanged ? (previous ? { allocation: previous } : {}) : allocation ? { allocation } : {}),
    delta: unchanged ? 0 : delta,
    refreshed: refresh !== undefined,
  };
}

/** Credit usage as the buyer and the product see it (R9): at `now`, lapsed sources left out. */
export interface CreditUsage {
  readonly total: number;
  readonly allocated: number;
  readonly balance: number;
  /** How far allocations exceed the total (0 when they do not). */
  readonly overAllocatedBy: number;
  readonly overAllocatedSince?: string;
  /** Allocations, largest first, with their share of what is allocated. */
  readonly distribution: readonly (Allocation & { readonly share: number })[];
  /** Sources that stop counting within the horizon, soonest first. */
  readonly expiringSoon: readonly (CreditSource & { readonly sourceId: string })[];
  readonly expiringCredits: number;
  readonly horizonDays: number;
}

export function creditUsage(ledger: Ledger, now: Date, horizonDays = 60): CreditUsage {
  const current = ledgerAt(ledger, now);
  const horizon = now.getTime() + horizonDays * 86_400_000;
  const expiringSoon = Object.entries(current.sources)
    .filter(([, source]) => Date.parse(source.expiresAt) <= horizon)
    .map(([sourceId, source]) => ({ sourceId, ...source }))
    .sort((a, b) => a.expiresAt.localeCompare(b.expiresAt) || a.sourceId.localeCompare(b.sourceId));
  const distribution = Object.values(current.allocations)
    .map((allocation) => ({
      ...allocation,
      share: current.allocated > 0 ? allocation.credits / current.allocated : 0,
    }))
    .sort((a, b) => b.credits - a.credits || a.service.localeCompare(b.service));
  return {
    total: current.total,
    allocated: current.allocated,
    balance: current.balance,
    overAllocatedBy: Math.max(0, -current.balance),
    ...(current.overAllocatedSince ? { overAllocatedSince: current.overAllocatedSince } : {}),
    distribution,
    expiringSoon,
    expiringCredits: expiringSoon.reduce((sum, source) => sum + source.credits, 0),
    horizonDays,
  };
}

/** The ledger with new sources or allocations and every derived figure recomputed from them. */
function settle(
  ledger: Ledger,
  change: {
    readonly sources?: Readonly<Record<string, CreditSource>>;
    readonly allocations?: Readonly<Record<string, Allocation>>;
  },
  now: Date,
  /** When the balance went below zero, if before now (a lapse nobody wrote at the time). */
  overSince?: Date,
): LedgerWrite {
  const sources = change.sources ?? ledger.sources;
  const allocations = change.allocations ?? ledger.allocations;
  const total = sum(Object.values(sources).map((s) => s.credits));
  const allocated = sum(Object.values(allocations).map((a) => a.credits));
  const balance = total - allocated;
  const earliestExpiry = Object.values(sources)
    .map((s) => s.expiresAt)
    .sort()[0];
  const nowIso = now.toISOString();
  const overAllocatedSince =
    balance < 0 ? (ledger.overAllocatedSince ?? (overSince ?? now).toISOString()) : undefined;
  const { earliestExpiry: _e, overAllocatedSince: _o, ...rest } = ledger;
  const next: Ledger = {
    ...rest,
    sources,
    allocations,
    total,
    allocated,
    balance,
    ...(earliestExpiry ? { earliestExpiry } : {}),
    ...(overAllocatedSince ? { overAllocatedSince } : {}),
    revision: ledger.revision + 1,
    updatedAt: nowIso,
  };
  const transition: LedgerTransition | undefined =
    overAllocatedSince && !ledger.overAllocatedSince
      ? 'became-over-allocated'
      : !overAllocatedSince && ledger.overAllocatedSince
        ? 'recovered'
        : undefined;
  return { next, ...(transition ? { transition } : {}) };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function sameSources(
  a: Readonly<Record<string, CreditSource>>,
  b: Readonly<Record<string, CreditSource>>,
): boolean {
  const ids = Object.keys(a);
  if (ids.length !== Object.keys(b).length) return false;
  return ids.every((id) => {
    const x = a[id];
    const y = b[id];
    return (
      !!x &&
      !!y &&
      x.credits === y.credits &&
      x.expiresAt === y.expiresAt &&
      x.kind === y.kind &&
      x.productCode === y.productCode
    );
  });
}

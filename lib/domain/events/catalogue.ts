/**
 * The events the vendor's product receives (ARCHITECTURE.md "Events out", samples in
 * `events/out/`). Each is built from a record that committed (an audit entry, a ledger write,
 * a notice claim), so a change that rolled back has no event, and the same record always
 * gives the same event with the same id: a redelivery is a duplicate consumers drop by id.
 *
 * Events carry ids, the product, credits, dates and items; never an email address or a token.
 */
import type { AuditEntry, ContractState } from '../contract/ports.js';
import type { ContractChange } from '../contract/reconcile.js';
import type { Ledger } from '../credits/model.js';
import { HISTORY_EVENT_TYPES, type HistoryEntry } from './history.js';

/** Bumped only for a change a consumer must handle differently; fields may be added within a version. */
export const EVENT_VERSION = 1;

export const EVENT_TYPES = [
  'contract.created',
  'contract.activated',
  'contract.upgraded',
  'contract.renewed',
  'contract.changed',
  'contract.cancelled',
  'contract.expired',
  'contract.reinstated',
  'contract.continued',
  'contract.handed-over',
  'contract.transferred',
  'credits.changed',
  'credits.allocated',
  'credits.over-allocated',
  'license.expiring',
  ...HISTORY_EVENT_TYPES,
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface OutboundEvent {
  /** Stable: the same committed change always has this id (`evt_` and 24 URL-safe characters). */
  readonly id: string;
  readonly type: EventType;
  readonly version: typeof EVENT_VERSION;
  /** When the change committed (ISO 8601). */
  readonly timestamp: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Turns an event's natural key (what it is about, which write) into its id; the adapter hashes. */
export type EventIdOf = (naturalKey: string) => string;

/** Which event a change of an audit entry is; changes no consumer acts on have none. */
function contractEventType(change: ContractChange): EventType | undefined {
  switch (change.type) {
    case 'created':
      return 'contract.created';
    case 'activated':
      return 'contract.activated';
    case 'upgraded':
      return 'contract.upgraded';
    case 'renewed':
      return 'contract.renewed';
    case 'ended':
      return change.term === 'cancelled' ? 'contract.cancelled' : 'contract.expired';
    case 'reinstated':
      return 'contract.reinstated';
    case 'continued':
      return 'contract.continued';
    case 'continued-by':
      return 'contract.handed-over';
    case 'transferred':
      return 'contract.transferred';
    case 'credits-reduced':
    case 'term-shortened':
      return 'contract.changed';
    case 'facts-updated':
      return change.facts.includes('autoRenew') ? 'contract.changed' : undefined;
    default:
      // dimensions-changed (the credits change says it), identity-learned, code-replaced (its
      // history entry on the business publishes `code.replaced`): internal.
      return undefined;
  }
}

/** What the change itself says, without the activating user's address. */
function changeData(change: ContractChange): Record<string, unknown> {
  switch (change.type) {
    case 'activated':
      return { type: change.type, businessId: change.businessId };
    case 'renewed':
    case 'term-shortened':
      return { type: change.type, previousExpiresAt: change.from, expiresAt: change.to };
    case 'credits-reduced':
      return { type: change.type, previousCredits: change.from, credits: change.to };
    case 'facts-updated':
      return { type: 'auto-renew-changed' };
    case 'continued':
      return { type: change.type, previousContractId: change.from, term: change.term };
    case 'continued-by':
      return {
        type: change.type,
        nextContractId: change.to,
        term: change.term,
        creditsHandedOver: change.creditsHandedOver,
      };
    case 'transferred':
      // The support caller's identity (an IAM ARN, whose session name may be an address) stays
      // in the audit trail; a reason that names an address is published without it.
      return {
        type: change.type,
        fromBusinessId: change.from,
        toBusinessId: change.to,
        ticket: change.ticket,
        reason: withoutAddresses(change.reason),
      };
    case 'code-replaced':
      return { type: change.type, itemNo: change.itemNo, ticket: change.ticket };
    default: {
      const { type, ...rest } = change;
      return { type, ...rest };
    }
  }
}

/** Free text as events may carry it: anything shaped like an email address is left out. */
function withoutAddresses(text: string): string {
  return text.replace(/[^\s@]+@[^\s@]+/g, '[address removed]');
}

/** The product code a contract id begins with (`<productCode>~L~…`), for entries written before they carried their state. */
function productOf(contractId: string): string {
  return contractId.split('~', 1)[0] ?? contractId;
}

function stateOf(entry: AuditEntry): ContractState | Omit<ContractState, 'items'> {
  return (
    entry.state ?? {
      productCode: productOf(entry.contractId),
      status: entry.after.status,
      credits: entry.after.activeCredits,
      expiresAt: entry.after.expiresAt,
    }
  );
}

/** The events of one contract version: one per change a consumer acts on, in the entry's order. */
export function contractEvents(entry: AuditEntry, eventIdOf: EventIdOf): OutboundEvent[] {
  const state = stateOf(entry);
  // One event per type; a version with two changes of one type (credits reduced and term
  // shortened: both `contract.changed`) lists them all in `changes`, the first also as `change`.
  const byType = new Map<EventType, ContractChange[]>();
  for (const change of entry.changes) {
    const type = contractEventType(change);
    if (type) byType.set(type, [...(byType.get(type) ?? []), change]);
  }
  const events: OutboundEvent[] = [];
  for (const [type, changes] of byType) {
    const [change] = changes;
    if (!change) continue;
    const businessId = change.type === 'activated' ? change.businessId : state.businessId;
    events.push({
      id: eventIdOf(`contract|${entry.contractId}|${entry.version}|${type}`),
      type,
      version: EVENT_VERSION,
      timestamp: entry.at,
      data: {
        contractId: entry.contractId,
        productCode: state.productCode,
        businessId: businessId ?? null,
        change: changeData(change),
        changes: changes.map(changeData),
        contract: {
          status: state.status,
          credits: state.credits,
          expiresAt: state.expiresAt,
          autoRenew: state.autoRenew ?? null,
          ...('items' in state ? { items: state.items } : {}),
        },
      },
    });
  }
  return events;
}

/** A ledger as events show it: figures and allocations, never the primary user's address. */
export function ledgerView(ledger: Ledger): Record<string, unknown> {
  return {
    total: ledger.total,
    allocated: ledger.allocated,
    balance: ledger.balance,
    earliestExpiry: ledger.earliestExpiry ?? null,
    overAllocatedSince: ledger.overAllocatedSince ?? null,
    revision: ledger.revision,
    allocations: Object.fromEntries(
      Object.entries(ledger.allocations).map(([service, a]) => [
        service,
        { productCode: a.productCode, units: a.units, credits: a.credits },
      ]),
    ),
    sources: Object.fromEntries(
      Object.entries(ledger.sources).map(([id, s]) => [
        id,
        { kind: s.kind, productCode: s.productCode, credits: s.credits, expiresAt: s.expiresAt },
      ]),
    ),
  };
}

const own = <T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined =>
  map && Object.hasOwn(map, key) ? map[key] : undefined;

function sourcesDiffer(before: Ledger | undefined, after: Ledger): boolean {
  const a = before?.sources ?? {};
  const b = after.sources;
  const ids = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const id of ids) {
    const x = own(a, id);
    const y = own(b, id);
    if (!x || !y || x.credits !== y.credits || x.expiresAt !== y.expiresAt) return true;
  }
  return false;
}

/**
 * The events of one ledger write (R2, R9): `credits.changed` when what counts changed (a
 * license activated, upgraded, ended or lapsed), `credits.allocated` per service whose
 * allocation changed, `credits.over-allocated` when the balance went below zero. The ledger's
 * revision (+1 on every write) makes each id unique to that write.
 */
export function ledgerEvents(
  before: Ledger | undefined,
  after: Ledger,
  eventIdOf: EventIdOf,
): OutboundEvent[] {
  const key = (type: EventType, extra = '') =>
    eventIdOf(`ledger|${after.businessId}|${after.revision}|${type}${extra}`);
  const ledger = ledgerView(after);
  const base = { businessId: after.businessId };
  const events: OutboundEvent[] = [];
  const at = after.updatedAt;
  if (sourcesDiffer(before, after) || (before?.total ?? 0) !== after.total) {
    events.push({
      id: key('credits.changed'),
      type: 'credits.changed',
      version: EVENT_VERSION,
      timestamp: at,
      data: { ...base, previousTotal: before?.total ?? 0, ledger },
    });
  }
  const services = new Set([...Object.keys(before?.allocations ?? {}), ...Object.keys(after.allocations)]);
  for (const service of [...services].sort()) {
    const was = own(before?.allocations, service);
    const is = own(after.allocations, service);
    if (was?.units === is?.units && was?.credits === is?.credits) continue;
    events.push({
      id: key('credits.allocated', `|${service}`),
      type: 'credits.allocated',
      version: EVENT_VERSION,
      timestamp: is?.updatedAt ?? at,
      data: {
        ...base,
        service,
        productCode: is?.productCode ?? was?.productCode ?? null,
        units: is?.units ?? 0,
        credits: is?.credits ?? 0,
        previousUnits: was?.units ?? 0,
        previousCredits: was?.credits ?? 0,
        ledger,
      },
    });
  }
  if (after.overAllocatedSince && !before?.overAllocatedSince) {
    events.push({
      id: key('credits.over-allocated'),
      type: 'credits.over-allocated',
      version: EVENT_VERSION,
      timestamp: at,
      data: { ...base, since: after.overAllocatedSince, overBy: Math.max(0, -after.balance), ledger },
    });
  }
  return events;
}

/** A claimed expiry notice (R10) as the claim row records it. */
export interface ExpiryNoticeClaim {
  readonly kind: 'contract' | 'direct';
  readonly licenseKey: string;
  readonly businessId: string;
  readonly productCode: string;
  readonly expiresAt: string;
  readonly threshold: number;
  readonly daysLeft: number;
  readonly credits: number;
  readonly autoRenew: boolean;
  readonly claimedAt: string;
}

/** `license.expiring`: one per license, term and threshold (a renewal's new term has new ones, R13). */
export function expiringEvent(claim: ExpiryNoticeClaim, eventIdOf: EventIdOf): OutboundEvent {
  return {
    id: eventIdOf(`notice|${claim.kind}|${claim.licenseKey}|${claim.expiresAt}|${claim.threshold}`),
    type: 'license.expiring',
    version: EVENT_VERSION,
    timestamp: claim.claimedAt,
    data: {
      businessId: claim.businessId,
      productCode: claim.productCode,
      ...(claim.kind === 'contract' ? { contractId: claim.licenseKey } : { reference: claim.licenseKey }),
      kind: claim.kind,
      expiresAt: claim.expiresAt,
      daysLeft: claim.daysLeft,
      threshold: claim.threshold,
      credits: claim.credits,
      autoRenew: claim.autoRenew,
    },
  };
}

/**
 * The event a history entry names (an order imported or registered, a license transferred, a
 * code replaced), or none. Its id is the entry's key: a redelivered insert gives the same id.
 */
export function historyEvents(
  entry: HistoryEntry,
  where: { readonly pk: string; readonly sk: string },
  eventIdOf: EventIdOf,
): OutboundEvent[] {
  if (!entry.event) return [];
  return [
    {
      id: eventIdOf(`history|${where.pk}|${where.sk}|${entry.event.type}`),
      type: entry.event.type,
      version: EVENT_VERSION,
      timestamp: entry.at,
      data: entry.event.data,
    },
  ];
}

import { auditEntryOf } from '../contract/audit.js';
import type { LicenseItem, StoredContract } from '../contract/model.js';
import type { Trigger } from '../contract/ports.js';
import { UnknownBusinessError } from '../credits/errors.js';
import { emptyLedger, ledgerAt, withSources } from '../credits/ledger.js';
import { type CreditSource, directSourceId, type Ledger } from '../credits/model.js';
import { contractSource } from '../credits/sources.js';
import type { HistoryEntry } from '../events/history.js';
import type { Order } from '../orders/model.js';
import type { Business } from '../setup/model.js';
import {
  BusinessMovedError,
  LicenseEndedError,
  SameBusinessError,
  TooManyItemsError,
  UnknownLicenseError,
} from './errors.js';
import type {
  HeldLicense,
  LedgerPut,
  LedgerSummary,
  PlacedHistory,
  SupportActor,
  TransferOutcome,
  TransferredCode,
  TransferWrite,
} from './model.js';

/**
 * Actions a contract transfer's items may take: DynamoDB's 100 per transaction, less the
 * contract, its audit entry, two ledgers with their lapse companions and two history entries.
 * Each item takes one (its row), and an active item with an Activation Code two more (its old
 * code's record turned `replaced`, the new code's record): at least 30 active items, or up to
 * 92 with ended ones.
 */
export const MAX_TRANSFER_ITEMS = 100 - 8;

/** An item whose code a transfer replaces: one that still counts (an ended one enables nothing). */
const rotates = (item: LicenseItem) => item.state === 'active' && item.activationCode !== undefined;

/** The transaction actions a contract's items take in a transfer (see MAX_TRANSFER_ITEMS). */
export function transferItemActions(items: readonly LicenseItem[]): number {
  return items.reduce((sum, item) => sum + (rotates(item) ? 3 : 1), 0);
}

/**
 * The trigger of a support operation in a contract's audit trail. `Trigger['source']` names the
 * notification channels and the setup; a support write is its own source (cast until
 * lib/domain/contract/ports.ts lists `'support'`).
 */
export function supportTrigger(type: 'transfer' | 'code-replacement', id: string, at: string): Trigger {
  return { source: 'support', type, id, at };
}

/** The business holding a license now; undefined for a contract nobody activated. */
export function holderOf(held: HeldLicense): string | undefined {
  return held.kind === 'contract' ? held.stored.contract.activatedBy : held.license.businessId;
}

export interface TransferInput {
  readonly license: string;
  readonly held: HeldLicense | undefined;
  readonly target: Business | undefined;
  readonly toBusinessId: string;
  /** The holder the write must find: the caller's `expectedFromBusinessId`, else the one first read. */
  readonly expectedFromBusinessId: string | undefined;
  readonly fromLedger: Ledger | undefined;
  readonly toLedger: Ledger | undefined;
  readonly actor: SupportActor;
  readonly transferId: string;
  readonly now: Date;
  /** Draws a new Activation Code in the style of the one it replaces (a CSPRNG in production). */
  readonly drawCode: (like: string) => string;
}

/**
 * Plans the one audited move of a license between registered businesses (R3). Pure: the same
 * reads give the same write.
 *
 * Steps and rules:
 * 1. The license must exist and be held: a contract activated by a business (R3), or a direct
 *    license (`unknown-license`); the target must be a registered business (`unknown-business`).
 * 2. Not to the business holding it (`same-business`; a replayed transfer ends here), and only
 *    from the business the caller expects (`business-moved`: another transfer came first).
 * 3. Only a license whose term still runs (`license-ended`): an ended one counts nowhere.
 * 4. The contract (or the direct license, and its order line's `registeredBy`) names the new
 *    holder; a contract's items move to the new business's index partition with it.
 * 5. Its credit source leaves the old ledger and joins the new one (R2), each replaced on the
 *    revision read; the old business may become over-allocated: nothing is cut, the ledger is
 *    marked (R9) and its primary user told after the commit.
 * 6. A contract gets an audit entry (`transferred`, version + 1: its `contract.transferred`
 *    event); both businesses (and a direct license) get a history entry, and only the target's
 *    publishes `license.transferred`: one event per transfer. Reason, ticket and caller are in
 *    the trail; events carry the ticket, never an address.
 */
export function planTransfer(input: TransferInput): { write: TransferWrite; outcome: TransferOutcome } {
  const { license, held, target, toBusinessId, now } = input;
  const at = now.toISOString();
  if (!held) throw new UnknownLicenseError(license);
  const from = holderOf(held);
  if (!from) throw new UnknownLicenseError(license, 'not-activated');
  if (!target) throw new UnknownBusinessError(toBusinessId);
  if (from === toBusinessId) throw new SameBusinessError(license, from);
  const expected = input.expectedFromBusinessId ?? from;
  if (expected !== from) throw new BusinessMovedError(license, expected, from);
  const ended = endOf(held, now);
  if (ended) throw new LicenseEndedError(license, ended);

  let source: CreditSource | undefined;
  let moved: TransferWrite['license'];
  const codes: TransferredCode[] = [];
  /** A new code for one the old holder knew (R11): the old one is refused from now on. */
  const rotate = (old: string | undefined, licenseId: string, itemNo: number): string | undefined => {
    if (!old) return undefined;
    const code = input.drawCode(old);
    codes.push({
      old,
      next: {
        code,
        target: { kind: 'activation-code', licenseId, itemNo },
        state: 'valid',
        createdAt: at,
        replaces: old,
      },
    });
    return code;
  };
  if (held.kind === 'contract') {
    const { stored } = held;
    if (transferItemActions(stored.items) > MAX_TRANSFER_ITEMS)
      throw new TooManyItemsError(license, transferItemActions(stored.items), MAX_TRANSFER_ITEMS);
    const next: StoredContract = {
      contract: {
        ...stored.contract,
        activatedBy: toBusinessId,
        businessName: target.name,
        version: stored.contract.version + 1,
        updatedAt: at,
      },
      items: stored.items.map((item) => {
        if (!rotates(item)) return item;
        const activationCode = rotate(item.activationCode, stored.contract.contractId, item.itemNo);
        return activationCode ? { ...item, activationCode } : item;
      }),
    };
    const audit = auditEntryOf(
      stored,
      next,
      [{ type: 'transferred', from, to: toBusinessId, ...input.actor }],
      supportTrigger('transfer', input.transferId, at),
      now,
    );
    source = contractSource(next.contract);
    moved = { kind: 'contract', before: stored, next, audit };
  } else {
    const before = held.license;
    const id = directSourceId(before.reference);
    source = (input.fromLedger && Object.hasOwn(input.fromLedger.sources, id)
      ? input.fromLedger.sources[id]
      : undefined) ?? {
      kind: 'direct',
      productCode: before.productCode,
      credits: before.credits,
      expiresAt: before.expiresAt,
      // What the new holder's next order registration checks conflicts against (R12).
      ...(before.service ? { service: before.service, startsAt: before.startsAt ?? before.createdAt } : {}),
    };
    const order = held.order ? movedOrderLine(held.order, before.lineNo, from, toBusinessId, at) : undefined;
    const activationCode = rotate(before.activationCode, id, 1);
    moved = {
      kind: 'direct',
      before,
      next: { ...before, businessId: toBusinessId, ...(activationCode ? { activationCode } : {}) },
      ...(order ? { order } : {}),
    };
  }

  const sourceId =
    held.kind === 'contract' ? held.stored.contract.contractId : directSourceId(held.license.reference);
  const fromWrite = input.fromLedger
    ? withSources(input.fromLedger, { [sourceId]: undefined }, now)
    : undefined;
  const toBase =
    input.toLedger ??
    emptyLedger(toBusinessId, now, { primaryEmail: target.primaryEmail, businessName: target.name });
  const toWrite = source ? withSources(toBase, { [sourceId]: source }, now) : undefined;
  const ledgers: LedgerPut[] = [];
  if (fromWrite && input.fromLedger)
    ledgers.push({
      next: fromWrite.next,
      readRevision: input.fromLedger.revision,
      ...transitionOf(fromWrite),
    });
  if (toWrite)
    ledgers.push({ next: toWrite.next, readRevision: input.toLedger?.revision, ...transitionOf(toWrite) });

  const credits = source && Date.parse(source.expiresAt) > now.getTime() ? source.credits : 0;
  const kind = held.kind;
  const details = {
    license,
    kind,
    fromBusinessId: from,
    toBusinessId,
    toBusinessName: target.name,
    credits,
    // How many Activation Codes were replaced; the codes themselves are never in the trail.
    codesReplaced: codes.length,
  };
  const entry = (event?: HistoryEntry['event']): HistoryEntry => ({
    entity: 'history',
    type: 'license-transferred',
    entryId: input.transferId,
    at,
    by: input.actor.by,
    reason: input.actor.reason,
    ticket: input.actor.ticket,
    details,
    ...(event ? { event } : {}),
  });
  const history: PlacedHistory[] = [
    { where: { on: 'business', businessId: from }, entry: entry() },
    {
      where: { on: 'business', businessId: toBusinessId },
      entry: entry({
        type: 'license.transferred',
        data: {
          license,
          kind,
          fromBusinessId: from,
          toBusinessId,
          ticket: input.actor.ticket,
          credits,
          at,
        },
      }),
    },
    ...(held.kind === 'direct'
      ? [{ where: { on: 'license' as const, reference: held.license.reference }, entry: entry() }]
      : []),
    // An order line's move shows in the order's history too (the sales view's order page).
    ...(held.kind === 'direct' && held.order
      ? [{ where: { on: 'order' as const, orderId: held.order.orderId }, entry: entry() }]
      : []),
  ];

  const fromAfter = fromWrite?.next ?? input.fromLedger ?? emptyLedger(from, now);
  const toAfter = toWrite?.next ?? toBase;
  return {
    write: { transferId: input.transferId, at, license: moved, ledgers, history, codes },
    outcome: {
      transferId: input.transferId,
      license,
      kind,
      fromBusinessId: from,
      toBusinessId,
      credits,
      at,
      from: summaryOf(fromAfter, now),
      to: summaryOf(toAfter, now),
    },
  };
}

/** When the license stopped counting, if it has: a contract's term ended or ran out, a direct license's expiry passed. */
function endOf(held: HeldLicense, now: Date): string | undefined {
  if (held.kind === 'contract') {
    const { contract } = held.stored;
    if (contract.term !== 'current') return contract.endedAt ?? contract.expiresAt;
    return Date.parse(contract.expiresAt) > now.getTime() ? undefined : contract.expiresAt;
  }
  return Date.parse(held.license.expiresAt) > now.getTime() ? undefined : held.license.expiresAt;
}

/** The order with the transferred line registered by the new business (only if the old one holds it). */
function movedOrderLine(
  order: Order,
  lineNo: number | undefined,
  from: string,
  to: string,
  at: string,
): { before: Order; next: Order } | undefined {
  const index = order.lines.findIndex((line) => line.lineNo === lineNo);
  const line = order.lines[index];
  if (!line || line.registeredBy !== from) return undefined;
  const lines = order.lines.map((l, i) => (i === index ? { ...l, registeredBy: to } : l));
  return { before: order, next: { ...order, lines, revision: order.revision + 1, updatedAt: at } };
}

function transitionOf(write: { readonly transition?: LedgerPut['transition'] }) {
  return write.transition ? { transition: write.transition } : {};
}

/** Total, allocated and balance at `now` (lapsed sources left out), and whether it is over-allocated. */
export function summaryOf(ledger: Ledger, now: Date): LedgerSummary {
  const current = ledgerAt(ledger, now);
  return {
    total: current.total,
    allocated: current.allocated,
    balance: current.balance,
    overAllocated: current.balance < 0,
  };
}

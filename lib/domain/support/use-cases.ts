import type { CodeRecord } from '../codes/records.js';
import type { Clock } from '../contract/ports.js';
import type { BusinessDirectory, CreditNotices } from '../credits/ports.js';
import { BadCodeError, CodeTargetMismatchError, SupportContentionError, UnknownCodeError } from './errors.js';
import {
  type CodeTargetState,
  type HeldLicense,
  licenseRefOf,
  type ReplacementOutcome,
  type SupportActor,
  type TransferOutcome,
} from './model.js';
import type { CodeBook, SupportStore } from './ports.js';
import { planReplacement } from './replace-code.js';
import { holderOf, planTransfer } from './transfer.js';

export interface SupportDeps {
  readonly store: SupportStore;
  readonly businesses: Pick<BusinessDirectory, 'get'>;
  /** Tells the primary user of a business its transfer left it over-allocated (R9). */
  readonly notices: CreditNotices;
  readonly codes: CodeBook;
  readonly clock: Clock;
  /** A fresh unique id for a transfer or a replacement (its history entries' id). */
  readonly newId: () => string;
  /** A short pause before the n-th retry, so racing writers spread out; none by default. */
  readonly pause?: (attempt: number) => Promise<unknown>;
  /** Writes tried before SupportContentionError; default 10. */
  readonly maxAttempts?: number;
}

export interface TransferRequest {
  /** A contract id, or `direct~<reference>`. */
  readonly license: string;
  readonly toBusinessId: string;
  /** The business the caller saw holding the license: refused if another holds it now. */
  readonly expectedFromBusinessId?: string;
  readonly actor: SupportActor;
}

async function readHeld(store: SupportStore, license: string): Promise<HeldLicense | undefined> {
  const ref = licenseRefOf(license);
  if (ref.kind === 'contract') {
    const stored = await store.contract(ref.contractId);
    return stored ? { kind: 'contract', stored } : undefined;
  }
  const direct = await store.directLicense(ref.reference);
  if (!direct) return undefined;
  const order = direct.orderId ? await store.order(direct.orderId) : undefined;
  return { kind: 'direct', license: direct, ...(order ? { order } : {}) };
}

/**
 * Moves an activated license to another registered business: the one audited support
 * operation of R3 (rules in `planTransfer`).
 *
 * Steps: read the license, then the target business and both ledgers at once; plan; write it
 * all in one transaction. A lost race (a sync or an allocation wrote in between) reads again and
 * plans again, but only from the business first read: if another transfer moved the license
 * meanwhile, the answer is `business-moved`, never a second move. After the commit, a business
 * the transfer left over-allocated is told (R9).
 */
export async function transferLicense(deps: SupportDeps, request: TransferRequest): Promise<TransferOutcome> {
  const { store, maxAttempts = 10 } = deps;
  const transferId = deps.newId();
  let expected = request.expectedFromBusinessId;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const held = await readHeld(store, request.license);
    const holder = held ? holderOf(held) : undefined;
    const [target, fromLedger, toLedger] = await Promise.all([
      held && holder ? deps.businesses.get(request.toBusinessId) : undefined,
      holder ? store.ledger(holder) : undefined,
      holder ? store.ledger(request.toBusinessId) : undefined,
    ]);
    const { write, outcome } = planTransfer({
      license: request.license,
      held,
      target,
      toBusinessId: request.toBusinessId,
      expectedFromBusinessId: expected,
      fromLedger,
      toLedger,
      actor: request.actor,
      transferId,
      now: deps.clock.now(),
      drawCode: (like) => deps.codes.draw('activation-code', like),
    });
    expected ??= holder;
    if ((await store.commitTransfer(write)) === 'committed') {
      for (const ledger of write.ledgers) {
        if (ledger.transition === 'became-over-allocated') await deps.notices.overAllocated(ledger.next);
      }
      return outcome;
    }
    await deps.pause?.(attempt);
  }
  throw new SupportContentionError(`License ${request.license}`, maxAttempts);
}

/** The code as its record stands: target and state (R11). Support sees it unmasked. */
export async function codeRecord(
  deps: Pick<SupportDeps, 'store' | 'codes'>,
  input: string,
): Promise<CodeRecord> {
  const parsed = deps.codes.parse(input);
  if (!parsed.ok) throw new BadCodeError(parsed.reason);
  const record = await deps.store.code(parsed.code);
  if (!record) throw new UnknownCodeError();
  return record;
}

async function readTarget(store: SupportStore, record: CodeRecord): Promise<CodeTargetState | undefined> {
  const { target } = record;
  if (target.kind === 'registration-key') {
    const order = await store.order(target.orderId);
    const index = order ? order.lines.findIndex((line) => line.lineNo === target.lineNo) : -1;
    const line = order?.lines[index];
    return order && line ? { kind: 'order-line', order, line, index } : undefined;
  }
  const ref = licenseRefOf(target.licenseId);
  if (ref.kind === 'direct') {
    const license = await store.directLicense(ref.reference);
    return license ? { kind: 'direct', license } : undefined;
  }
  const stored = await store.contract(ref.contractId);
  const item = stored?.items.find((i) => i.itemNo === target.itemNo);
  return stored && item ? { kind: 'contract-item', stored, item } : undefined;
}

/**
 * Invalidates a lost or stolen Activation Code (or the Registration Key of a line not yet
 * registered) and issues its replacement (R11; rules in `planReplacement`).
 *
 * Steps: parse (`bad-code`), read the code's record (`unknown-code`; `code-replaced` with its
 * replacement), read what it opens, draw a new code of the same kind and prefix, write it all in
 * one transaction. A drawn code that exists is drawn again; a lost race reads again, so of two
 * replacements at once one wins and the other learns the winner's code is the valid one.
 */
export async function replaceCode(
  deps: SupportDeps,
  request: { readonly code: string; readonly actor: SupportActor },
): Promise<ReplacementOutcome> {
  const { store, codes, maxAttempts = 10 } = deps;
  const parsed = codes.parse(request.code);
  if (!parsed.ok) throw new BadCodeError(parsed.reason);
  const entryId = deps.newId();
  let mismatches = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const record = await store.code(parsed.code);
    if (!record) throw new UnknownCodeError();
    const target = record.state === 'valid' ? await readTarget(store, record) : undefined;
    const code = codes.draw(record.target.kind, record.code);
    const replaced = codes.mask(record.code);
    let write: ReturnType<typeof planReplacement>;
    try {
      write = planReplacement({
        record,
        target,
        code,
        masked: { old: replaced, next: codes.mask(code) },
        actor: request.actor,
        entryId,
        now: deps.clock.now(),
      });
    } catch (error) {
      // The code and its target are two reads: a replacement that committed between them shows
      // as a target holding another code. Read the code again once; it then says replaced.
      if (!(error instanceof CodeTargetMismatchError) || mismatches++ > 0) throw error;
      continue;
    }
    const result = await store.commitReplacement(write);
    if (result === 'committed') return { code, replaced };
    // A drawn code that exists is drawn again at once; a lost race waits a moment first.
    if (result === 'lost-race') await deps.pause?.(attempt);
  }
  throw new SupportContentionError('The code', maxAttempts);
}

import { describe, expect, it } from 'vitest';
import type { CodeRecord } from '../../../lib/domain/codes/records.js';
import type { StoredContract } from '../../../lib/domain/contract/model.js';
import type { Ledger } from '../../../lib/domain/credits/model.js';
import {
  BadCodeError,
  BusinessMovedError,
  CodeReplacedError,
  SupportContentionError,
  UnknownCodeError,
} from '../../../lib/domain/support/errors.js';
import type { ReplacementWrite, TransferWrite } from '../../../lib/domain/support/model.js';
import type { CodeBook, CommitResult, SupportStore } from '../../../lib/domain/support/ports.js';
import {
  codeRecord,
  replaceCode,
  type SupportDeps,
  transferLicense,
} from '../../../lib/domain/support/use-cases.js';
import {
  A,
  ACTOR,
  B,
  business,
  CONTRACT_ID,
  holderLedger,
  ITEM_CODE,
  NOW,
  codeRecord as record,
  stored,
} from './fixtures.js';

const C = 'biz-unitC000000000000003';

/** A store in memory: what it holds, what was committed, and scripted answers to commits. */
function memoryStore(options: {
  contract?: StoredContract;
  ledgers?: Record<string, Ledger>;
  codes?: Record<string, CodeRecord>;
  transfers?: (write: TransferWrite, n: number) => CommitResult;
  replacements?: (write: ReplacementWrite, n: number) => CommitResult | 'code-taken';
}) {
  const state = {
    contract: options.contract,
    ledgers: { ...(options.ledgers ?? {}) },
    codes: { ...(options.codes ?? {}) },
  };
  const committed: (TransferWrite | ReplacementWrite)[] = [];
  let transfers = 0;
  let replacements = 0;
  const store: SupportStore = {
    contract: async (id) => (state.contract?.contract.contractId === id ? state.contract : undefined),
    directLicense: async () => undefined,
    order: async () => undefined,
    ledger: async (id) => state.ledgers[id],
    code: async (code) => state.codes[code],
    async commitTransfer(write) {
      const result = options.transfers?.(write, ++transfers) ?? 'committed';
      if (result === 'committed') committed.push(write);
      return result;
    },
    async commitReplacement(write) {
      const result = options.replacements?.(write, ++replacements) ?? 'committed';
      if (result === 'committed') committed.push(write);
      return result;
    },
  };
  return { store, state, committed };
}

/** A code book whose draws count from 1 in each test (transfers draw too). */
const codeBookOf = (): CodeBook => ({
  parse: (input) =>
    input.startsWith('PC-')
      ? { ok: true, kind: 'activation-code', code: input.toUpperCase() }
      : { ok: false, reason: 'format' },
  draw: (() => {
    let n = 0;
    return () => `PC-NEW-${++n}`;
  })(),
  mask: (code) => `${code.slice(0, 3)}***`,
});

function deps(
  store: SupportStore,
  overrides: Partial<SupportDeps> = {},
): SupportDeps & { mailed: Ledger[]; pauses: number[] } {
  const mailed: Ledger[] = [];
  const pauses: number[] = [];
  return {
    store,
    businesses: { get: async (id) => ([A, B, C].includes(id) ? business(id) : undefined) },
    notices: { overAllocated: async (ledger) => void mailed.push(ledger) },
    codes: codeBookOf(),
    clock: { now: () => NOW },
    newId: () => 'sup-1',
    pause: async (attempt) => void pauses.push(attempt),
    mailed,
    pauses,
    ...overrides,
  };
}

describe('transferLicense', () => {
  it('writes once and tells the old business it is over-allocated after the commit (R9)', async () => {
    const { store, committed } = memoryStore({ contract: stored(), ledgers: { [A]: holderLedger(300) } });
    const d = deps(store);

    const outcome = await transferLicense(d, { license: CONTRACT_ID, toBusinessId: B, actor: ACTOR });

    expect(outcome).toMatchObject({ fromBusinessId: A, toBusinessId: B, from: { overAllocated: true } });
    expect(committed).toHaveLength(1);
    expect(d.mailed.map((l) => l.businessId)).toEqual([A]);
  });

  it('reads again after a lost race (an allocation, a sync) and writes on what it read then', async () => {
    const { store, state, committed } = memoryStore({
      contract: stored(),
      ledgers: { [A]: holderLedger() },
      transfers: (_, n) => {
        // The first attempt loses to an allocation of 300 on A.
        if (n === 1) {
          state.ledgers[A] = holderLedger(300);
          return 'lost-race';
        }
        return 'committed';
      },
    });
    const d = deps(store);

    const outcome = await transferLicense(d, { license: CONTRACT_ID, toBusinessId: B, actor: ACTOR });

    expect(d.pauses).toEqual([1]);
    expect(committed).toHaveLength(1);
    expect(outcome.from).toEqual({ total: 0, allocated: 300, balance: -300, overAllocated: true });
  });

  it('refuses with business-moved when another transfer moved the license meanwhile: never a second move', async () => {
    const { store, state, committed } = memoryStore({
      contract: stored(),
      ledgers: { [A]: holderLedger() },
      transfers: (_, n) => {
        if (n === 1) {
          // Another transfer to C committed first.
          state.contract = stored({ activatedBy: C, version: 4 });
          return 'lost-race';
        }
        return 'committed';
      },
    });

    await expect(
      transferLicense(deps(store), { license: CONTRACT_ID, toBusinessId: B, actor: ACTOR }),
    ).rejects.toThrow(
      expect.objectContaining({ name: 'BusinessMovedError', expectedBusinessId: A, currentBusinessId: C }),
    );
    expect(committed).toEqual([]);
  });

  it('gives up with SupportContentionError after its attempts', async () => {
    const { store } = memoryStore({ contract: stored(), transfers: () => 'lost-race' });
    await expect(
      transferLicense(deps(store, { maxAttempts: 3 }), {
        license: CONTRACT_ID,
        toBusinessId: B,
        actor: ACTOR,
      }),
    ).rejects.toThrow(SupportContentionError);
  });

  it('checks the expected holder on the first read too', async () => {
    const { store } = memoryStore({ contract: stored() });
    await expect(
      transferLicense(deps(store), {
        license: CONTRACT_ID,
        toBusinessId: B,
        expectedFromBusinessId: C,
        actor: ACTOR,
      }),
    ).rejects.toThrow(BusinessMovedError);
  });
});

describe('replaceCode', () => {
  const valid = () => ({
    [ITEM_CODE]: record({ kind: 'activation-code', licenseId: CONTRACT_ID, itemNo: 1 }),
  });

  it('answers the new code and the old one masked', async () => {
    const { store, committed } = memoryStore({ contract: stored(), codes: valid() });
    const answer = await replaceCode(deps(store), { code: ITEM_CODE, actor: ACTOR });
    expect(answer).toEqual({ code: 'PC-NEW-1', replaced: 'PC-***' });
    expect(committed).toHaveLength(1);
  });

  it('draws again, without a pause, when the drawn code exists', async () => {
    const drawn: string[] = [];
    const { store } = memoryStore({
      contract: stored(),
      codes: valid(),
      replacements: (write, n) => {
        drawn.push(write.next.code);
        return n === 1 ? 'code-taken' : 'committed';
      },
    });
    const d = deps(store);
    const answer = await replaceCode(d, { code: ITEM_CODE, actor: ACTOR });
    expect(drawn).toHaveLength(2);
    expect(drawn[0]).not.toBe(drawn[1]);
    expect(answer.code).toBe(drawn[1]);
    expect(d.pauses).toEqual([]);
  });

  it('tells the loser of a race which code is valid now', async () => {
    const { store, state } = memoryStore({
      contract: stored(),
      codes: valid(),
      replacements: () => {
        const current = state.codes[ITEM_CODE];
        if (current) state.codes[ITEM_CODE] = { ...current, state: 'replaced', replacedBy: 'PC-WINNER' };
        return 'lost-race';
      },
    });
    await expect(replaceCode(deps(store), { code: ITEM_CODE, actor: ACTOR })).rejects.toThrow(
      expect.objectContaining({ name: 'CodeReplacedError', replacedBy: 'PC-WINNER' }),
    );
  });

  it('refuses a code that does not parse before any read, and an unknown one after', async () => {
    const { store } = memoryStore({});
    await expect(replaceCode(deps(store), { code: 'nonsense', actor: ACTOR })).rejects.toThrow(BadCodeError);
    await expect(replaceCode(deps(store), { code: 'PC-UNKNOWN', actor: ACTOR })).rejects.toThrow(
      UnknownCodeError,
    );
    await expect(codeRecord(deps(store), 'nonsense')).rejects.toThrow(BadCodeError);
    await expect(codeRecord(deps(store), 'PC-UNKNOWN')).rejects.toThrow(UnknownCodeError);
  });

  it('refuses a replaced code, and shows it as replaced', async () => {
    const replaced = {
      ...record({ kind: 'activation-code', licenseId: CONTRACT_ID, itemNo: 1 }),
      state: 'replaced' as const,
      replacedBy: 'PC-X',
    };
    const { store } = memoryStore({ codes: { [ITEM_CODE]: replaced } });
    await expect(replaceCode(deps(store), { code: ITEM_CODE, actor: ACTOR })).rejects.toThrow(
      CodeReplacedError,
    );
    expect(await codeRecord(deps(store), ITEM_CODE)).toEqual(replaced);
  });
});

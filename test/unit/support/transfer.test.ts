import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredContract } from '../../../lib/domain/contract/model.js';
import { UnknownBusinessError } from '../../../lib/domain/credits/errors.js';
import type { Ledger } from '../../../lib/domain/credits/model.js';
import {
  BusinessMovedError,
  LicenseEndedError,
  SameBusinessError,
  TooManyItemsError,
  UnknownLicenseError,
} from '../../../lib/domain/support/errors.js';
import { licenseRefOf } from '../../../lib/domain/support/model.js';
import {
  MAX_TRANSFER_ITEMS,
  planTransfer,
  type TransferInput,
  transferItemActions,
} from '../../../lib/domain/support/transfer.js';
import {
  A,
  ACTOR,
  B,
  business,
  CONTRACT_ID,
  direct,
  EXPIRES,
  holderLedger,
  ITEM_CODE,
  ledger,
  NEW_CODE,
  NOW,
  order,
  PRODUCT,
  stored,
} from './fixtures.js';

function input(overrides: Partial<TransferInput> = {}): TransferInput {
  return {
    license: CONTRACT_ID,
    held: { kind: 'contract', stored: stored() },
    target: business(B),
    toBusinessId: B,
    expectedFromBusinessId: undefined,
    fromLedger: holderLedger(),
    toLedger: undefined,
    actor: ACTOR,
    transferId: 'sup-1',
    now: NOW,
    drawCode: () => NEW_CODE,
    ...overrides,
  };
}

describe('planTransfer (R3)', () => {
  it('moves an activated contract: new holder, version + 1, a transferred audit entry, its credits between ledgers', () => {
    // Act
    const { write, outcome } = planTransfer(input({ toLedger: ledger(B, { revision: 2 }) }));

    // Assert
    if (write.license.kind !== 'contract') throw new Error('expected a contract');
    expect(write.license.next.contract).toMatchObject({
      activatedBy: B,
      businessName: `Business ${B}`,
      version: 4,
      updatedAt: NOW.toISOString(),
      activatedAt: '2026-02-01T00:00:00.000Z',
    });
    expect(write.license.audit).toMatchObject({
      contractId: CONTRACT_ID,
      version: 4,
      changes: [{ type: 'transferred', from: A, to: B, ...ACTOR }],
      trigger: { source: 'support', type: 'transfer', id: 'sup-1' },
      state: { businessId: B },
    });
    const [from, to] = write.ledgers;
    expect(from).toMatchObject({ readRevision: 7, next: { businessId: A, total: 0, sources: {} } });
    expect(to).toMatchObject({ readRevision: 2, next: { businessId: B, total: 1000, balance: 1000 } });
    expect(outcome).toEqual({
      transferId: 'sup-1',
      license: CONTRACT_ID,
      kind: 'contract',
      fromBusinessId: A,
      toBusinessId: B,
      credits: 1000,
      at: NOW.toISOString(),
      from: { total: 0, allocated: 0, balance: 0, overAllocated: false },
      to: { total: 1000, allocated: 0, balance: 1000, overAllocated: false },
    });
  });

  it('marks the old business over-allocated when its allocations exceed what is left (R9), cutting nothing', () => {
    const { write, outcome } = planTransfer(input({ fromLedger: holderLedger(600, extraDirect(200)) }));

    const [from] = write.ledgers;
    expect(from?.transition).toBe('became-over-allocated');
    expect(from?.next).toMatchObject({
      total: 200,
      allocated: 600,
      balance: -400,
      overAllocatedSince: NOW.toISOString(),
    });
    expect(Object.keys(from?.next.allocations ?? {})).toEqual(['endpoint-security']);
    expect(outcome.from).toEqual({ total: 200, allocated: 600, balance: -400, overAllocated: true });
  });

  it("starts the target's ledger with its primary user when it had none (undefined revision: create only)", () => {
    const { write } = planTransfer(input());
    expect(write.ledgers[1]).toMatchObject({
      readRevision: undefined,
      next: { businessId: B, primaryEmail: `${B}@example.com`, businessName: `Business ${B}`, revision: 1 },
    });
  });

  it('records it on both businesses, and only the target publishes license.transferred (one event per transfer)', () => {
    const { write } = planTransfer(input());
    expect(write.history.map((h) => h.where)).toEqual([
      { on: 'business', businessId: A },
      { on: 'business', businessId: B },
    ]);
    const [onA, onB] = write.history;
    expect(onA?.entry).toMatchObject({ type: 'license-transferred', entryId: 'sup-1', ...ACTOR });
    expect(onA?.entry.event).toBeUndefined();
    expect(onB?.entry.event).toEqual({
      type: 'license.transferred',
      data: {
        license: CONTRACT_ID,
        kind: 'contract',
        fromBusinessId: A,
        toBusinessId: B,
        ticket: ACTOR.ticket,
        credits: 1000,
        at: NOW.toISOString(),
      },
    });
    // The event carries neither the reason nor the caller
    expect(JSON.stringify(onB?.entry.event)).not.toContain(ACTOR.reason);
    expect(JSON.stringify(onB?.entry.event)).not.toContain(ACTOR.by);
  });

  it('replaces the Activation Codes the old holder knew (R11): new codes on the moved items, the old ones listed for refusal', () => {
    const { write } = planTransfer(input({ held: { kind: 'contract', stored: stored({}, 2) } }));

    // Item 1 has a code (the fixture), item 2 none: only item 1's is replaced.
    expect(write.codes).toEqual([
      {
        old: ITEM_CODE,
        next: {
          code: NEW_CODE,
          target: { kind: 'activation-code', licenseId: CONTRACT_ID, itemNo: 1 },
          state: 'valid',
          createdAt: NOW.toISOString(),
          replaces: ITEM_CODE,
        },
      },
    ]);
    const moved = write.license.kind === 'contract' ? write.license.next.items : [];
    expect(moved.map((i) => i.activationCode)).toEqual([NEW_CODE, undefined]);
    // The trail counts them and never holds a code.
    expect(write.history[0]?.entry.details).toMatchObject({ codesReplaced: 1 });
    expect(JSON.stringify(write.history)).not.toContain('PC-');
    expect(JSON.stringify(write.license.kind === 'contract' ? write.license.audit : {})).not.toContain(
      NEW_CODE,
    );
  });

  it("moves a direct license, its ledger source as the old ledger had it, and its order line's holder", () => {
    // Arrange: an order line's license
    const license = direct({ reference: 'order~ORD-1~1', orderId: 'ORD-1', lineNo: 1 });
    const fromLedger = ledger(A, {
      sources: {
        'direct~order~ORD-1~1': { kind: 'direct', productCode: PRODUCT, credits: 300, expiresAt: EXPIRES },
      },
      total: 300,
      balance: 300,
    });

    // Act
    const { write, outcome } = planTransfer(
      input({
        license: 'direct~order~ORD-1~1',
        held: { kind: 'direct', license, order: order(A) },
        fromLedger,
      }),
    );

    // Assert
    if (write.license.kind !== 'direct') throw new Error('expected a direct license');
    expect(write.license.next.businessId).toBe(B);
    expect(write.license.order?.next).toMatchObject({
      revision: 5,
      lines: [expect.objectContaining({ registeredBy: B })],
    });
    expect(write.ledgers[1]?.next.sources['direct~order~ORD-1~1']?.credits).toBe(300);
    expect(outcome.credits).toBe(300);
    expect(write.history.map((h) => h.where)).toContainEqual({ on: 'license', reference: 'order~ORD-1~1' });
    expect(write.history.map((h) => h.where)).toContainEqual({ on: 'order', orderId: 'ORD-1' });
    expect(write.license.kind === 'direct' && write.license.next.activationCode).toBe(NEW_CODE);
    expect(write.codes.map((c) => [c.old, c.next.target])).toEqual([
      [ITEM_CODE, { kind: 'activation-code', licenseId: 'direct~order~ORD-1~1', itemNo: 1 }],
    ]);
  });

  it('leaves an order line alone that the old holder does not hold', () => {
    const license = direct({ reference: 'order~ORD-1~1', orderId: 'ORD-1', lineNo: 1 });
    const { write } = planTransfer(
      input({
        license: 'direct~order~ORD-1~1',
        held: { kind: 'direct', license, order: order('biz-someoneelse000000001') },
      }),
    );
    if (write.license.kind !== 'direct') throw new Error('expected a direct license');
    expect(write.license.order).toBeUndefined();
  });

  it.each([
    ['no such license', input({ held: undefined }), UnknownLicenseError],
    [
      'a contract nobody activated',
      input({
        held: { kind: 'contract', stored: stored({ activatedBy: undefined, setupState: 'pending-setup' }) },
      }),
      UnknownLicenseError,
    ],
    ['no such business', input({ target: undefined }), UnknownBusinessError],
    ['the holder itself', input({ toBusinessId: A, target: business(A) }), SameBusinessError],
    [
      'another holder than expected',
      input({ expectedFromBusinessId: 'biz-other000000000000001' }),
      BusinessMovedError,
    ],
    [
      'a cancelled contract',
      input({
        held: {
          kind: 'contract',
          stored: stored({ term: 'cancelled', endedAt: '2026-04-01T00:00:00.000Z' }),
        },
      }),
      LicenseEndedError,
    ],
    [
      'a contract continued by its renewal',
      input({ held: { kind: 'contract', stored: stored({ term: 'renewed' }) } }),
      LicenseEndedError,
    ],
    [
      'a contract past its end, notification or not',
      input({ held: { kind: 'contract', stored: stored({ expiresAt: NOW.toISOString() }) } }),
      LicenseEndedError,
    ],
    [
      'a direct license past its end',
      input({
        license: 'direct~deal-1',
        held: { kind: 'direct', license: direct({ expiresAt: '2026-04-30T00:00:00.000Z' }) },
      }),
      LicenseEndedError,
    ],
    [
      'more items than one transaction moves',
      input({ held: { kind: 'contract', stored: stored({}, MAX_TRANSFER_ITEMS + 1) } }),
      TooManyItemsError,
    ],
  ])('refuses %s', (_, given, error) => {
    expect(() => planTransfer(given)).toThrow(error);
  });

  it('counts three actions for an active item with a code and one for any other, up to 92 (DynamoDB: 100 a transaction)', () => {
    const withCodes = (active: number, ended: number): StoredContract => {
      const base = stored({}, active + ended);
      return {
        ...base,
        items: base.items.map((item, i) =>
          i < active
            ? { ...item, activationCode: `${NEW_CODE.slice(0, -2)}${i}` }
            : { ...item, state: 'ended', endReason: 'superseded', activationCode: `${ITEM_CODE}${i}` },
        ),
      };
    };
    expect(MAX_TRANSFER_ITEMS).toBe(92);
    expect(transferItemActions(withCodes(30, 2).items)).toBe(92);
    const moved = planTransfer(input({ held: { kind: 'contract', stored: withCodes(30, 2) } }));
    // Only the active items' codes are replaced: an ended item enables nothing.
    expect(moved.write.codes).toHaveLength(30);
    expect(() => planTransfer(input({ held: { kind: 'contract', stored: withCodes(30, 3) } }))).toThrow(
      TooManyItemsError,
    );
    expect(() => planTransfer(input({ held: { kind: 'contract', stored: withCodes(31, 0) } }))).toThrow(
      TooManyItemsError,
    );
    expect(
      planTransfer(input({ held: { kind: 'contract', stored: withCodes(10, 62) } })).write.codes,
    ).toHaveLength(10);
  });

  it('answers a replay (the license already at the target) with same-business, before any other check', () => {
    const moved = stored({ activatedBy: B });
    expect(() =>
      planTransfer(input({ held: { kind: 'contract', stored: moved }, expectedFromBusinessId: A })),
    ).toThrow(SameBusinessError);
  });

  it('keeps every credit: what leaves the old total joins the new one, and both ledgers stay exact (property)', () => {
    const source = fc.record({
      credits: fc.integer({ min: 0, max: 5000 }),
      expires: fc.integer({ min: -30, max: 400 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.array(source, { maxLength: 4 }),
        fc.array(source, { maxLength: 4 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        (credits, fromOthers, toOthers, fromAllocated, toAllocated) => {
          const day = (n: number) => new Date(NOW.getTime() + n * 86_400_000).toISOString();
          const sourcesOf = (list: typeof fromOthers, prefix: string) =>
            Object.fromEntries(
              list.map((s, i) => [
                `direct~${prefix}-${i}`,
                {
                  kind: 'direct' as const,
                  productCode: PRODUCT,
                  credits: s.credits,
                  expiresAt: day(s.expires),
                },
              ]),
            );
          const ledgerWith = (id: string, sources: Ledger['sources'], allocated: number): Ledger => {
            const total = Object.values(sources).reduce((sum, s) => sum + s.credits, 0);
            return ledger(id, {
              sources,
              allocations: allocated
                ? {
                    svc: {
                      service: 'svc',
                      productCode: PRODUCT,
                      units: allocated,
                      credits: allocated,
                      updatedAt: EXPIRES,
                    },
                  }
                : {},
              total,
              allocated,
              balance: total - allocated,
              ...(total < allocated ? { overAllocatedSince: '2026-04-01T00:00:00.000Z' } : {}),
            });
          };
          const contract = stored({ activeCredits: credits });
          const fromLedger = ledgerWith(
            A,
            {
              ...sourcesOf(fromOthers, 'a'),
              [CONTRACT_ID]: { kind: 'contract', productCode: PRODUCT, credits, expiresAt: EXPIRES },
            },
            fromAllocated,
          );
          const toLedger = ledgerWith(B, sourcesOf(toOthers, 'b'), toAllocated);
          const { write } = planTransfer(
            input({ held: { kind: 'contract', stored: contract }, fromLedger, toLedger }),
          );
          const after = new Map(write.ledgers.map((l) => [l.next.businessId, l.next]));
          const from = after.get(A) as Ledger;
          const to = after.get(B) as Ledger;
          const live = (l: Ledger) =>
            Object.entries(l.sources).filter(([, s]) => Date.parse(s.expiresAt) > NOW.getTime());
          // What counts now, before and after, adds up to the same (lapsed sources drop out on both sides)
          const count = (l: Ledger) => live(l).reduce((sum, [, s]) => sum + s.credits, 0);
          expect(count(from) + count(to)).toBe(count(fromLedger) + count(toLedger));
          expect(Object.hasOwn(from.sources, CONTRACT_ID)).toBe(false);
          expect(to.sources[CONTRACT_ID]?.credits).toBe(credits);
          for (const l of [from, to]) {
            expect(l.total).toBe(Object.values(l.sources).reduce((sum, s) => sum + s.credits, 0));
            expect(l.balance).toBe(l.total - l.allocated);
            expect(Boolean(l.overAllocatedSince)).toBe(l.balance < 0);
          }
        },
      ),
    );
  });
});

describe('licenseRefOf', () => {
  it('tells a direct license from a contract by its prefix', () => {
    expect(licenseRefOf('direct~order~ORD-1~2')).toEqual({ kind: 'direct', reference: 'order~ORD-1~2' });
    expect(licenseRefOf(CONTRACT_ID)).toEqual({ kind: 'contract', contractId: CONTRACT_ID });
  });
});

function extraDirect(credits: number): Ledger['sources'] {
  return { 'direct~deal-9': { kind: 'direct', productCode: PRODUCT, credits, expiresAt: EXPIRES } };
}

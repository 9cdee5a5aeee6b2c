import { describe, expect, it } from 'vitest';
import {
  CodeReplacedError,
  CodeTargetMismatchError,
  KeyRegisteredError,
} from '../../../lib/domain/support/errors.js';
import type { CodeTargetState } from '../../../lib/domain/support/model.js';
import { planReplacement, type ReplacementInput } from '../../../lib/domain/support/replace-code.js';
import { A, ACTOR, CONTRACT_ID, codeRecord, direct, ITEM_CODE, NOW, order, stored } from './fixtures.js';

const NEW_CODE = 'PC-1111-11111-11111-11111-11111-1111Y';
const MASKED = {
  old: 'PC-0000-*****-*****-*****-*****-0000X',
  next: 'PC-1111-*****-*****-*****-*****-1111Y',
};

function itemTarget(contract = stored()): CodeTargetState {
  const item = contract.items[0];
  if (!item) throw new Error('no item');
  return { kind: 'contract-item', stored: contract, item };
}

function input(overrides: Partial<ReplacementInput> = {}): ReplacementInput {
  return {
    record: codeRecord({ kind: 'activation-code', licenseId: CONTRACT_ID, itemNo: 1 }),
    target: itemTarget(),
    code: NEW_CODE,
    masked: MASKED,
    actor: ACTOR,
    entryId: 'sup-9',
    now: NOW,
    ...overrides,
  };
}

describe('planReplacement (R11)', () => {
  it("replaces a contract item's code: records, an audit entry with the codes masked, one event on the business", () => {
    const write = planReplacement(input());

    expect(write.old.code).toBe(ITEM_CODE);
    expect(write.next).toEqual({
      code: NEW_CODE,
      target: { kind: 'activation-code', licenseId: CONTRACT_ID, itemNo: 1 },
      state: 'valid',
      createdAt: NOW.toISOString(),
      replaces: ITEM_CODE,
    });
    if (write.target.kind !== 'contract-item') throw new Error('expected a contract item');
    expect(write.target).toMatchObject({ contractId: CONTRACT_ID, itemNo: 1, readVersion: 3 });
    expect(write.target.audit).toMatchObject({
      version: 4,
      changes: [
        {
          type: 'code-replaced',
          itemNo: 1,
          by: ACTOR.by,
          ticket: ACTOR.ticket,
          reason: ACTOR.reason,
          replaced: MASKED.old,
          replacement: MASKED.next,
        },
      ],
      trigger: { source: 'support', type: 'code-replacement', id: 'sup-9' },
    });
    // No code in full anywhere but in the two code records
    const trail = JSON.stringify({ audit: write.target.audit, history: write.history });
    expect(trail).not.toContain(ITEM_CODE);
    expect(trail).not.toContain(NEW_CODE);
    expect(write.history).toHaveLength(1);
    expect(write.history[0]?.where).toEqual({ on: 'business', businessId: A });
    expect(write.history[0]?.entry.event).toEqual({
      type: 'code.replaced',
      data: {
        kind: 'activation-code',
        license: CONTRACT_ID,
        itemNo: 1,
        businessId: A,
        at: NOW.toISOString(),
      },
    });
  });

  it('writes only the audit entry for a contract nobody activated (no business to tell)', () => {
    const write = planReplacement(input({ target: itemTarget(stored({ activatedBy: undefined })) }));
    expect(write.history).toEqual([]);
  });

  it("replaces a direct license's code, with history on its business (the event) and on the license", () => {
    const write = planReplacement(
      input({
        record: codeRecord({ kind: 'activation-code', licenseId: 'direct~deal-1', itemNo: 1 }),
        target: { kind: 'direct', license: direct() },
      }),
    );
    expect(write.target).toEqual({ kind: 'direct', reference: 'deal-1', businessId: direct().businessId });
    expect(write.history.map((h) => [h.where, h.entry.event?.type])).toEqual([
      [{ on: 'business', businessId: A }, 'code.replaced'],
      [{ on: 'license', reference: 'deal-1' }, undefined],
    ]);
  });

  it("replaces the Registration Key of an order line not yet registered, on the order's revision", () => {
    const key = 'PC-0000-0000-0000-0000';
    const open = order();
    const line = open.lines[0];
    if (!line) throw new Error('no line');
    const write = planReplacement(
      input({
        record: codeRecord({ kind: 'registration-key', orderId: 'ORD-1', lineNo: 1 }, key),
        target: { kind: 'order-line', order: open, line, index: 0 },
        code: 'PC-1111-1111-1111-1111',
      }),
    );
    expect(write.target).toEqual({
      kind: 'order-line',
      orderId: 'ORD-1',
      index: 0,
      lineNo: 1,
      readRevision: 4,
    });
    expect(write.history).toEqual([
      expect.objectContaining({
        where: { on: 'order', orderId: 'ORD-1' },
        entry: expect.objectContaining({
          event: {
            type: 'code.replaced',
            data: { kind: 'registration-key', orderId: 'ORD-1', lineNo: 1, at: NOW.toISOString() },
          },
        }),
      }),
    ]);
  });

  it('refuses a key whose line is registered (its license has its own Activation Code)', () => {
    const registered = order(A);
    const line = registered.lines[0];
    if (!line) throw new Error('no line');
    expect(() =>
      planReplacement(
        input({
          record: codeRecord({ kind: 'registration-key', orderId: 'ORD-1', lineNo: 1 }, line.registrationKey),
          target: { kind: 'order-line', order: registered, line, index: 0 },
        }),
      ),
    ).toThrow(KeyRegisteredError);
  });

  it('refuses a code replaced already, naming the replacement', () => {
    const replaced = {
      ...input().record,
      state: 'replaced' as const,
      replacedBy: NEW_CODE,
      replacedAt: NOW.toISOString(),
    };
    expect(() => planReplacement(input({ record: replaced }))).toThrow(
      expect.objectContaining({ name: 'CodeReplacedError', replacedBy: NEW_CODE }),
    );
    expect(() => planReplacement(input({ record: replaced }))).toThrow(CodeReplacedError);
  });

  it.each([
    ['the target is gone', input({ target: undefined })],
    [
      'the item holds another code',
      input({
        target: itemTarget(stored({}, 1)),
        record: codeRecord({ kind: 'activation-code', licenseId: CONTRACT_ID, itemNo: 1 }, 'PC-OTHER'),
      }),
    ],
    [
      'the direct license holds another code',
      input({
        record: codeRecord({ kind: 'activation-code', licenseId: 'direct~deal-1', itemNo: 1 }),
        target: { kind: 'direct', license: direct({ activationCode: 'PC-OTHER' }) },
      }),
    ],
    [
      'the record says registration key but the target is an item',
      input({ record: codeRecord({ kind: 'registration-key', orderId: 'ORD-1', lineNo: 1 }) }),
    ],
  ])('refuses when %s', (_, given) => {
    expect(() => planReplacement(given)).toThrow(CodeTargetMismatchError);
  });
});

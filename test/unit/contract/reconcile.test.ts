import { describe, expect, it } from 'vitest';
import type { Entitlement } from '../../../lib/domain/contract/entitlement.js';
import type { ContractKey, StoredContract } from '../../../lib/domain/contract/model.js';
import { type Observation, reconcile } from '../../../lib/domain/contract/reconcile.js';
import type { ProductConfig } from '../../../lib/domain/product/catalog.js';

const product: ProductConfig = {
  productCode: 'prodcredits01',
  creditsPerUnit: { Credits: 1, CreditPack: 100 },
};
const key: ContractKey = { kind: 'license', productCode: 'prodcredits01', licenseId: 'l-0123456789abcdef' };
const licenseArn = 'arn:aws:license-manager::111122223333:license:l-0123456789abcdef';
const T0 = new Date('2026-01-10T00:00:00.000Z');
const YEAR_END = '2027-01-10T00:00:00.000Z';

function row(dimension: string, quantity: number, expiresAt = YEAR_END): Entitlement {
  return {
    productCode: 'prodcredits01',
    dimension,
    quantity,
    expiresAt,
    licenseArn,
    customerAWSAccountId: '111122223333',
  };
}

function observe(entitlements: Entitlement[], at = T0): Observation {
  return { key, entitlements, facts: {}, observedAt: at.toISOString() };
}

function stored(entitlements: Entitlement[], at = T0): StoredContract {
  const result = reconcile(undefined, observe(entitlements, at), product, at);
  if (!result.changed) throw new Error('fixture did not create a contract');
  return result.next;
}

function apply(before: StoredContract, entitlements: Entitlement[], at: Date): StoredContract {
  const result = reconcile(before, observe(entitlements, at), product, at);
  if (!result.changed) throw new Error('expected a change');
  return result.next;
}

const activeItems = (s: StoredContract) => s.items.filter((i) => i.state === 'active');
const days = (n: number) => n * 24 * 3600 * 1000;

describe('reconcile', () => {
  it('creates a pending-setup contract with license item 1 when the contract is first seen (R1)', () => {
    // Arrange
    const entitlements = [row('Credits', 500), row('CreditPack', 2)];
    // Act
    const result = reconcile(undefined, observe(entitlements), product, T0);
    // Assert
    expect(result.changed).toBe(true);
    if (!result.changed) return;
    expect(result.next.contract).toMatchObject({
      contractId: 'prodcredits01~L~l-0123456789abcdef',
      setupState: 'pending-setup',
      term: 'current',
      activeCredits: 700,
      expiresAt: YEAR_END,
      licenseArn,
      customerAWSAccountId: '111122223333',
      version: 1,
      itemCount: 1,
    });
    expect(result.next.items).toEqual([
      expect.objectContaining({
        itemNo: 1,
        origin: 'purchase',
        credits: 700,
        expiresAt: YEAR_END,
        state: 'active',
      }),
    ]);
    expect(result.changes).toEqual([{ type: 'created', credits: 700, expiresAt: YEAR_END }]);
  });

  it('records nothing when a never-seen contract has no live entitlements', () => {
    expect(reconcile(undefined, observe([]), product, T0)).toEqual({ changed: false });
    expect(
      reconcile(undefined, observe([row('Credits', 5, '2025-01-01T00:00:00.000Z')]), product, T0),
    ).toEqual({
      changed: false,
    });
  });

  it('changes nothing when the same entitlements arrive again', () => {
    const before = stored([row('Credits', 500)]);
    const later = new Date(T0.getTime() + days(3));
    expect(reconcile(before, observe([row('Credits', 500)], later), product, later)).toEqual({
      changed: false,
    });
  });

  it('adds an upgrade item for the difference with the contract expiration date when the quantity grows (R6)', () => {
    const before = stored([row('Credits', 500)]);
    const at = new Date(T0.getTime() + days(40));
    const after = apply(before, [row('Credits', 800)], at);
    expect(after.contract.activeCredits).toBe(800);
    expect(after.contract.version).toBe(2);
    expect(after.items).toEqual([
      expect.objectContaining({ itemNo: 1, credits: 500, state: 'active', expiresAt: YEAR_END }),
      expect.objectContaining({
        itemNo: 2,
        origin: 'upgrade',
        credits: 300,
        state: 'active',
        expiresAt: YEAR_END,
      }),
    ]);
  });

  it('moves the contract and every active item to the new date when the contract renews (R13)', () => {
    const before = apply(
      stored([row('Credits', 500)]),
      [row('Credits', 600)],
      new Date(T0.getTime() + days(10)),
    );
    const renewedTo = '2028-01-10T00:00:00.000Z';
    const at = new Date(T0.getTime() + days(360));
    const result = reconcile(before, observe([row('Credits', 600, renewedTo)], at), product, at);
    expect(result.changed && result.changes).toEqual([{ type: 'renewed', from: YEAR_END, to: renewedTo }]);
    if (!result.changed) return;
    expect(result.next.contract.expiresAt).toBe(renewedTo);
    expect(activeItems(result.next).map((i) => i.expiresAt)).toEqual([renewedTo, renewedTo]);
    expect(result.touchedItems).toHaveLength(2);
  });

  it('supersedes the active items with one item for the new quantity when a renewal lowers it (R13)', () => {
    const before = apply(
      stored([row('Credits', 500)]),
      [row('Credits', 800)],
      new Date(T0.getTime() + days(10)),
    );
    const renewedTo = '2028-01-10T00:00:00.000Z';
    const after = apply(before, [row('Credits', 300, renewedTo)], new Date(T0.getTime() + days(365)));
    expect(after.contract.activeCredits).toBe(300);
    expect(after.items.map((i) => [i.itemNo, i.state, i.credits, i.endReason ?? null])).toEqual([
      [1, 'ended', 500, 'superseded'],
      [2, 'ended', 300, 'superseded'],
      [3, 'active', 300, null],
    ]);
    expect(after.items[2]).toMatchObject({ origin: 'renewal', expiresAt: renewedTo });
  });

  it('ends the term as cancelled and withdraws the credits when entitlements vanish before the end date', () => {
    const before = stored([row('Credits', 500)]);
    const at = new Date(T0.getTime() + days(2));
    const result = reconcile(before, observe([], at), product, at);
    expect(result.changed && result.changes).toEqual([
      { type: 'ended', term: 'cancelled', creditsWithdrawn: 500 },
    ]);
    if (!result.changed) return;
    expect(result.next.contract).toMatchObject({
      term: 'cancelled',
      activeCredits: 0,
      endedAt: at.toISOString(),
    });
    expect(result.next.items).toEqual([expect.objectContaining({ state: 'ended', endReason: 'cancelled' })]);
  });

  it('ends the term as expired when the expiration date has passed, even if rows are still returned', () => {
    const before = stored([row('Credits', 500)]);
    const at = new Date(Date.parse(YEAR_END) + 1000);
    const after = apply(before, [row('Credits', 500)], at);
    expect(after.contract.term).toBe('expired');
    expect(activeItems(after)).toHaveLength(0);
  });

  it('reinstates with one item for the whole quantity when entitlements come back after an end', () => {
    const cancelled = apply(stored([row('Credits', 500)]), [], new Date(T0.getTime() + days(1)));
    const after = apply(cancelled, [row('Credits', 200)], new Date(T0.getTime() + days(5)));
    expect(after.contract).toMatchObject({ term: 'current', activeCredits: 200, itemCount: 2 });
    expect(after.contract.endedAt).toBeUndefined();
    expect(activeItems(after)).toEqual([
      expect.objectContaining({ itemNo: 2, origin: 'reinstatement', credits: 200 }),
    ]);
  });

  it('never resets the setup state or the activating business on a sync (R3)', () => {
    const base = stored([row('Credits', 500)]);
    const activated: StoredContract = {
      ...base,
      contract: {
        ...base.contract,
        setupState: 'active',
        activatedBy: 'biz-1',
        activatedAt: T0.toISOString(),
      },
    };
    const at = new Date(T0.getTime() + days(2));
    const upgraded = apply(activated, [row('Credits', 900)], at);
    const cancelled = apply(upgraded, [], at);
    const back = apply(cancelled, [row('Credits', 900)], at);
    for (const s of [upgraded, cancelled, back]) {
      expect(s.contract).toMatchObject({ setupState: 'active', activatedBy: 'biz-1' });
    }
  });

  it('counts one credit per unit for every dimension when the product has no credit map', () => {
    const plain: ProductConfig = { productCode: 'prodcredits01' };
    const result = reconcile(undefined, observe([row('Credits', 5), row('Other', 7)]), plain, T0);
    expect(result.changed && result.next.contract.activeCredits).toBe(12);
  });

  it('records dimensions that carry no credits without adding credits', () => {
    const result = reconcile(undefined, observe([row('Credits', 5), row('Support', 1)]), product, T0);
    expect(result.changed && result.next.contract).toMatchObject({
      activeCredits: 5,
      dimensions: { Credits: 5, Support: 1 },
    });
  });

  it('keeps the newer fact when notifications carrying facts arrive out of order', () => {
    const base = stored([row('Credits', 500)]);
    const newer = { key, entitlements: [row('Credits', 500)], observedAt: T0.toISOString() };
    const afterNew = reconcile(
      base,
      { ...newer, facts: { freeTrial: { value: false, asOf: '2026-01-03T00:00:00Z' } } },
      product,
      T0,
    );
    if (!afterNew.changed) throw new Error('expected the fact to be stored');
    const afterStale = reconcile(
      afterNew.next,
      { ...newer, facts: { freeTrial: { value: true, asOf: '2026-01-02T00:00:00Z' } } },
      product,
      T0,
    );
    expect(afterNew.next.contract.facts.freeTrial?.value).toBe(false);
    expect(afterStale).toEqual({ changed: false });
  });

  it('learns the account id once and never replaces it with another (R3)', () => {
    const legacyKey: ContractKey = {
      kind: 'customer',
      productCode: 'prodcredits01',
      customerIdentifier: 'X01EXAMPLEX',
    };
    const legacyRow: Entitlement = {
      productCode: 'prodcredits01',
      dimension: 'Credits',
      quantity: 5,
      expiresAt: YEAR_END,
      customerIdentifier: 'X01EXAMPLEX',
    };
    const first = reconcile(
      undefined,
      { key: legacyKey, entitlements: [legacyRow], facts: {}, observedAt: T0.toISOString() },
      product,
      T0,
    );
    if (!first.changed) throw new Error('expected create');
    const learn = reconcile(
      first.next,
      {
        key: legacyKey,
        entitlements: [{ ...legacyRow, customerAWSAccountId: '111122223333' }],
        facts: {},
        observedAt: T0.toISOString(),
      },
      product,
      T0,
    );
    if (!learn.changed) throw new Error('expected identity to be learned');
    const other = reconcile(
      learn.next,
      {
        key: legacyKey,
        entitlements: [{ ...legacyRow, customerAWSAccountId: '999999999999' }],
        facts: {},
        observedAt: T0.toISOString(),
      },
      product,
      T0,
    );
    expect(learn.changes).toEqual([{ type: 'identity-learned', fields: ['customerAWSAccountId'] }]);
    expect(other).toEqual({ changed: false });
  });
});

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createSalesReader } from '../../lib/adapters/dynamodb/sales-reader.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { reconcile } from '../../lib/domain/contract/reconcile.js';
import { createTestTable, type TestTable } from '../support/table.js';

const PRODUCT = 'prodalpha0000000000000001';
const NOW = new Date('2026-06-01T10:00:00.000Z');
const ENDS = new Date('2026-09-15T12:30:00.000Z');

let table: TestTable;

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
});
afterAll(async () => {
  await table.drop();
});

describe('sales summary after an activation', () => {
  it('moves the activated contract in the expiry buckets too, so it ends as expired, not as a negative pending-setup', async () => {
    // Arrange: a purchase as the sync stores it, and its buyer's session at the review step.
    const contracts = createContractStore({ client: table.client, tableName: table.tableName });
    const result = reconcile(
      undefined,
      {
        key: { kind: 'license', productCode: PRODUCT, licenseId: `l-${'7'.repeat(32)}` },
        entitlements: [
          { productCode: PRODUCT, dimension: 'Credits', quantity: 1000, expiresAt: ENDS.toISOString() },
        ],
        facts: {},
        observedAt: NOW.toISOString(),
      },
      { productCode: PRODUCT },
      NOW,
    );
    if (!result.changed) throw new Error('a purchase must change');
    const { contract } = result.next;
    const pending = { status: 'pending-setup' as const, activeCredits: 1000, expiresAt: contract.expiresAt };
    await contracts.save({
      next: result.next,
      touchedItems: result.next.items,
      expectedVersion: undefined,
      audit: {
        contractId: contract.contractId,
        version: 1,
        at: NOW.toISOString(),
        changes: result.changes,
        trigger: { source: 'sns', type: 'entitlement-updated', id: 'm-1', at: NOW.toISOString() },
        after: pending,
      },
    });
    const setups = createSetupStore({ client: table.client, tableName: table.tableName });
    const session = {
      sessionKey: 'activation-summary',
      contractId: contract.contractId,
      productCode: PRODUCT,
      freeTrialOffer: false,
      createdAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 4 * 3600 * 1000).toISOString(),
      step: 'review' as const,
      csrfToken: 'c'.repeat(43),
      email: 'buyer@example.com',
      businessId: 'biz-1',
      businessName: 'Business One',
      version: 1,
    };
    await setups.createSession(session);

    // Act: the activation's own transaction (setup-store.ts), as activate-license.ts calls it.
    const failure = await setups.activate({
      session,
      stored: { contract, items: [] },
      ledger: undefined,
      contractId: contract.contractId,
      expectedContractVersion: 1,
      businessId: 'biz-1',
      at: NOW.toISOString(),
      audit: {
        contractId: contract.contractId,
        version: 2,
        at: NOW.toISOString(),
        changes: [{ type: 'activated', businessId: 'biz-1', email: 'buyer@example.com' }],
        trigger: { source: 'setup', type: 'activation', id: 'activation-summa', at: NOW.toISOString() },
        before: pending,
        after: { ...pending, status: 'active' },
      },
    });

    // Assert: active while the term runs; once it has ended (no notification yet), expired.
    expect(failure).toBeUndefined();
    const reader = createSalesReader({ client: table.client, tableName: table.tableName });
    const running = await reader.summary({ productCodes: [PRODUCT], now: NOW });
    expect(running.byStatus).toEqual({
      'pending-setup': 0,
      active: 1,
      expired: 0,
      cancelled: 0,
      renewed: 0,
      replaced: 0,
    });
    expect(running.expiring).toEqual({ days30: 0, days60: 0, days90: 0 });
    // A minute after the end (that hour's contracts are read), and a day after (only the buckets count).
    for (const after of [60_000, 24 * 3600 * 1000]) {
      const over = await reader.summary({ productCodes: [PRODUCT], now: new Date(ENDS.getTime() + after) });
      expect(over.byStatus, `${after} ms after`).toEqual({
        'pending-setup': 0,
        active: 0,
        expired: 1,
        cancelled: 0,
        renewed: 0,
        replaced: 0,
      });
      expect(over.activeCredits).toBe(0);
    }
  });
});

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import {
  InsufficientCreditsError,
  LicenseReferenceConflictError,
  OverAllocatedError,
  UnknownServiceError,
} from '../../lib/domain/credits/errors.js';
import type { LedgerTransition } from '../../lib/domain/credits/ledger.js';
import type { Ledger } from '../../lib/domain/credits/model.js';
import type { CreditsDeps } from '../../lib/domain/credits/use-cases.js';
import {
  addOtherChannelLicense,
  businessCredits,
  businessLicenses,
  setServiceAllocation,
} from '../../lib/domain/credits/use-cases.js';
import {
  activatedContract,
  CREDITS_PRODUCT,
  creation,
  creditsCatalog,
  creditsChange,
  registerBusiness,
} from '../support/credits.js';
import { createTestTable, type TestTable } from '../support/table.js';

const DAY = 86_400_000;
const T0 = new Date('2026-04-01T10:00:00.000Z');
let now = T0;
let table: TestTable;
let seq = 0;
const noticed: Ledger[] = [];
const transitions: LedgerTransition[] = [];

function deps(): CreditsDeps {
  return {
    catalog: creditsCatalog,
    ledgers: createLedgerStore({ client: table.client, tableName: table.tableName }),
    businesses: createBusinessDirectory({ client: table.client, tableName: table.tableName }),
    notices: { overAllocated: async (ledger) => void noticed.push(ledger) },
    clock: { now: () => now },
  };
}
const contracts = () =>
  createContractStore({
    client: table.client,
    tableName: table.tableName,
    onLedgerTransition: async (ledger, transition) => {
      transitions.push(transition);
      if (transition === 'became-over-allocated') noticed.push(ledger);
    },
  });

/** A business holding one activated contract of `credits` credits ending in `days` days. */
async function businessWith(credits: number, days = 365) {
  const businessId = `biz-${++seq}`;
  await registerBusiness(table, businessId);
  const stored = activatedContract(
    `l-${seq}abc`,
    credits,
    new Date(now.getTime() + days * DAY),
    now,
    businessId,
  );
  await contracts().save(creation(stored));
  return { businessId, stored };
}

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
});
afterAll(async () => {
  await table.drop();
});

describe('credit ledger on DynamoDB Local', () => {
  it('gives exactly 50 of 100 concurrent 1-credit allocations against a balance of 50, and refuses the rest for insufficient credits (R9)', async () => {
    // Arrange
    now = T0;
    const { businessId } = await businessWith(50);
    const d = deps();

    // Act: a hundred services enabled at once, one credit each.
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) =>
        setServiceAllocation(d, businessId, `svc-${String(i).padStart(3, '0')}`, 1),
      ),
    );

    // Assert: no refusal for contention, none into a negative balance, and the ledger adds up.
    const won = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    expect(won).toHaveLength(50);
    expect(refused).toHaveLength(50);
    for (const reason of refused) {
      expect(reason).toBeInstanceOf(InsufficientCreditsError);
      expect(reason).toMatchObject({ needed: 1, available: 0 });
    }
    for (const r of won)
      if (r.status === 'fulfilled') expect(r.value.ledger.balance).toBeGreaterThanOrEqual(0);
    const { usage } = await businessCredits(d, businessId);
    expect(usage).toMatchObject({ total: 50, allocated: 50, balance: 0, overAllocatedBy: 0 });
    expect(usage.distribution).toHaveLength(50);
  });

  it('keeps the balance exact when a sync lowers the total while allocations race it, and marks the business over-allocated once', async () => {
    // Arrange
    now = T0;
    const { businessId, stored } = await businessWith(100);
    const d = deps();
    noticed.length = 0;
    transitions.length = 0;

    // Act: 60 one-credit allocations and a sync that takes the contract down to 30 credits, at once.
    const [sync, ...results] = await Promise.allSettled([
      contracts().save(creditsChange(stored, 30, now)),
      ...Array.from({ length: 60 }, (_, i) =>
        setServiceAllocation(d, businessId, `svc-${String(i).padStart(3, '0')}`, 1),
      ),
    ]);

    // Assert
    expect(sync.status).toBe('fulfilled');
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of results) {
      if (r.status === 'rejected')
        expect([InsufficientCreditsError, OverAllocatedError]).toContainEqual(r.reason.constructor);
    }
    for (const outcome of won) expect(outcome.ledger.balance).toBeGreaterThanOrEqual(0);
    const ledger = await d.ledgers.get(businessId);
    expect(ledger).toMatchObject({ total: 30, allocated: won.length, balance: 30 - won.length });
    expect(Object.keys(ledger?.allocations ?? {})).toHaveLength(won.length);
    // Over-allocated exactly when the sync committed after more than 30 had been allocated.
    expect(ledger?.overAllocatedSince !== undefined).toBe(won.length > 30);
    expect(noticed.filter((l) => l.businessId === businessId)).toHaveLength(won.length > 30 ? 1 : 0);
  });

  it('marks a business over-allocated when a license lapses without a notification, lets allocations only go down, and clears the mark when the balance is back (R2, R9)', async () => {
    // Arrange: 100 credits ending in 10 days, and a direct license of 50 ending in a year.
    now = T0;
    const { businessId } = await businessWith(100, 10);
    const d = deps();
    noticed.length = 0;
    await addOtherChannelLicense(d, businessId, {
      reference: `deal-${seq}`,
      productCode: CREDITS_PRODUCT,
      credits: 50,
      expiresAt: new Date(now.getTime() + 365 * DAY).toISOString(),
    });
    await setServiceAllocation(d, businessId, 'endpoint-security', 40); // 120 credits of 150

    // Act: eleven days later, no notification: the contract's 100 credits no longer count.
    now = new Date(T0.getTime() + 11 * DAY);
    const seen = await businessCredits(d, businessId);
    const marked = await d.ledgers.get(businessId); // the read wrote the lapse down
    const mailsAfterRead = noticed.filter((l) => l.businessId === businessId).length;
    await businessCredits(d, businessId);
    const raise = setServiceAllocation(d, businessId, 'email-security', 1);
    await expect(raise).rejects.toBeInstanceOf(OverAllocatedError);
    const lower = await setServiceAllocation(d, businessId, 'endpoint-security', 20); // 60 of 50
    const back = await setServiceAllocation(d, businessId, 'endpoint-security', 10); // 30 of 50

    // Assert
    expect(seen.usage).toMatchObject({ total: 50, allocated: 120, balance: -70, overAllocatedBy: 70 });
    expect(marked).toMatchObject({
      total: 50,
      balance: -70,
      overAllocatedSince: new Date(T0.getTime() + 10 * DAY).toISOString(),
    });
    expect(mailsAfterRead).toBe(1);
    expect(lower.ledger).toMatchObject({ total: 50, allocated: 60, balance: -10 });
    expect(lower.ledger.overAllocatedSince).toBeDefined();
    expect(noticed.filter((l) => l.businessId === businessId)).toHaveLength(1);
    expect(back.ledger).toMatchObject({ total: 50, allocated: 30, balance: 20 });
    expect(back.ledger.overAllocatedSince).toBeUndefined();
    expect(back.transition).toBe('recovered');
  });

  it('releases a service the catalog no longer lists, and refuses to enable it', async () => {
    // Arrange: 10 mailboxes of Email Security, then the vendor drops the service.
    now = T0;
    const { businessId } = await businessWith(100);
    await setServiceAllocation(deps(), businessId, 'email-security', 10);
    const products = creditsCatalog.products.map((p) => {
      const { 'email-security': _dropped, ...services } = p.services ?? {};
      return { ...p, services };
    });
    const later = { ...deps(), catalog: { products } };

    // Act
    const raise = await setServiceAllocation(later, businessId, 'email-security', 11).catch(
      (e: unknown) => e,
    );
    const released = await setServiceAllocation(later, businessId, 'email-security', 0);

    // Assert
    expect(raise).toBeInstanceOf(UnknownServiceError);
    expect(released.ledger).toMatchObject({ allocated: 0, balance: 100, allocations: {} });
    await expect(setServiceAllocation(later, businessId, 'never-existed', 0)).rejects.toBeInstanceOf(
      UnknownServiceError,
    );
  });

  it('adds a license from another channel once by its reference and refuses a different one under the same reference', async () => {
    // Arrange
    now = T0;
    const businessId = `biz-${++seq}`;
    await registerBusiness(table, businessId);
    const d = deps();
    const license = {
      reference: `deal-${seq}`,
      productCode: CREDITS_PRODUCT,
      credits: 500,
      expiresAt: '2027-04-01T00:00:00Z',
      description: 'Direct deal',
    };

    // Act
    const first = await addOtherChannelLicense(d, businessId, license);
    const again = await Promise.all([1, 2, 3].map(() => addOtherChannelLicense(d, businessId, license)));
    const other = addOtherChannelLicense(d, businessId, { ...license, credits: 600 });

    // Assert
    expect(first.created).toBe(true);
    expect(again.map((r) => r.created)).toEqual([false, false, false]);
    await expect(other).rejects.toBeInstanceOf(LicenseReferenceConflictError);
    const { usage } = await businessCredits(d, businessId);
    expect(usage.total).toBe(500);
  });

  it('lists every license of a business with its items in one Query, and sets an allocation with one read and one write', async () => {
    // Arrange: three activated contracts and a direct license.
    now = T0;
    const { businessId } = await businessWith(100);
    for (const credits of [200, 300]) {
      const stored = activatedContract(
        `l-${++seq}xyz`,
        credits,
        new Date(now.getTime() + 200 * DAY),
        now,
        businessId,
      );
      await contracts().save(creation(stored));
    }
    const d = deps();
    await addOtherChannelLicense(d, businessId, {
      reference: `deal-${++seq}`,
      productCode: CREDITS_PRODUCT,
      credits: 5,
      expiresAt: new Date(now.getTime() + 30 * DAY).toISOString(),
    });

    // Act
    table.resetCalls();
    const listed = await d.ledgers.holdings(businessId);
    const listCalls = new Map(table.calls);
    table.resetCalls();
    await d.ledgers.setAllocation(
      businessId,
      { service: 'endpoint-security', productCode: CREDITS_PRODUCT, units: 10, creditsPerUnit: 3 },
      now,
    );
    const allocationCalls = new Map(table.calls);
    const { licenses } = await businessLicenses(d, businessId);
    const { usage } = await businessCredits(d, businessId);

    // Assert
    expect(listCalls).toEqual(new Map([['QueryCommand', 1]]));
    expect(allocationCalls).toEqual(
      new Map([
        ['GetItemCommand', 1],
        ['UpdateItemCommand', 1],
      ]),
    );
    expect(listed.contracts).toHaveLength(3);
    expect(listed.contracts.every((c) => c.items.length === 1)).toBe(true);
    expect(licenses.map((l) => l.origin).sort()).toEqual([
      'marketplace',
      'marketplace',
      'marketplace',
      'other-channel',
    ]);
    expect(usage).toMatchObject({ total: 605, allocated: 30, balance: 575, expiringCredits: 5 });
  });

  it('lists over-allocated businesses, flagged or lapsed since their last write', async () => {
    // Arrange: one flagged by a sync, one whose license lapsed without any write.
    now = T0;
    const d = deps();
    const flagged = await businessWith(10);
    await setServiceAllocation(d, flagged.businessId, 'email-security', 5);
    await contracts().save(creditsChange(flagged.stored, 4, now));
    const lapsing = await businessWith(10, 2);
    await setServiceAllocation(d, lapsing.businessId, 'email-security', 5);

    // Act
    now = new Date(T0.getTime() + 3 * DAY);
    const over = await d.ledgers.overAllocated(now, 100);

    // Assert
    const ids = over.map((l) => l.businessId);
    expect(ids).toContain(flagged.businessId);
    expect(ids).toContain(lapsing.businessId);
    expect(over.find((l) => l.businessId === lapsing.businessId)).toMatchObject({ total: 0, balance: -10 });
  });
});

import type { AuditEntry } from '../../../lib/domain/contract/ports.js';
import type { Ledger } from '../../../lib/domain/credits/model.js';
import type { ExpiryNoticeClaim } from '../../../lib/domain/events/catalogue.js';
import type { HistoryEntry } from '../../../lib/domain/events/history.js';

export const PRODUCT = 'a1b2c3d4e5credits0example';
export const CONTRACT = `${PRODUCT}~L~l-0a1b2c3d4e5f60718293a4b5c6d7e8f9`;
export const BUSINESS = 'biz-Q2hhbmdlTWVQbGVhc2U1';
export const OTHER_BUSINESS = 'biz-T3RoZXJCdXNpbmVzczAx';
const EXPIRES = '2027-12-01T00:00:00.000Z';
const SUCCESSOR = `${PRODUCT}~L~l-99887766554433221100ffeeddccbbaa`;
const SUCCESSOR_EXPIRES = '2028-12-01T00:00:00.000Z';

const item = (
  itemNo: number,
  origin: 'purchase' | 'upgrade' | 'renewal',
  credits: number,
  expiresAt = EXPIRES,
) => ({
  itemNo,
  origin,
  credits,
  expiresAt,
});

/** Audit entries as the sync and the activation write them, one per kind of change. */
export function auditEntries(): Record<string, AuditEntry> {
  const trigger = {
    source: 'eventbridge',
    type: 'License Updated - Manufacturer',
    id: 'e-1',
    at: '2026-12-01T09:59:58.000Z',
  } as const;
  const state = (
    status: AuditEntry['after']['status'],
    credits: number,
    items = [item(1, 'purchase', credits)],
    expiresAt = EXPIRES,
  ) => ({
    productCode: PRODUCT,
    status,
    credits,
    expiresAt,
    autoRenew: false,
    ...(status === 'pending-setup' ? {} : { businessId: BUSINESS }),
    items,
  });
  const snap = (status: AuditEntry['after']['status'], activeCredits: number, expiresAt = EXPIRES) => ({
    status,
    activeCredits,
    expiresAt,
  });
  return {
    'contract.created': {
      contractId: CONTRACT,
      version: 1,
      at: '2026-12-01T10:00:00.000Z',
      trigger,
      changes: [{ type: 'created', credits: 1000, expiresAt: EXPIRES }],
      after: snap('pending-setup', 1000),
      state: state('pending-setup', 1000),
    },
    'contract.activated': {
      contractId: CONTRACT,
      version: 2,
      at: '2026-12-01T10:20:00.000Z',
      trigger: {
        source: 'setup',
        type: 'activation',
        id: 'abcdef0123456789',
        at: '2026-12-01T10:20:00.000Z',
      },
      changes: [{ type: 'activated', businessId: BUSINESS, email: 'owner@buyer.example' }],
      before: snap('pending-setup', 1000),
      after: snap('active', 1000),
      state: state('active', 1000),
    },
    'contract.upgraded': {
      contractId: CONTRACT,
      version: 3,
      at: '2027-02-01T10:00:00.000Z',
      trigger,
      changes: [
        { type: 'upgraded', addedCredits: 500, itemNo: 2 },
        { type: 'dimensions-changed', dimensions: { Credits: 1500 } },
      ],
      before: snap('active', 1000),
      after: snap('active', 1500),
      state: state('active', 1500, [item(1, 'purchase', 1000), item(2, 'upgrade', 500)]),
    },
    'contract.renewed': {
      contractId: CONTRACT,
      version: 4,
      at: '2027-11-20T10:00:00.000Z',
      trigger,
      changes: [{ type: 'renewed', from: EXPIRES, to: '2028-12-01T00:00:00.000Z' }],
      before: snap('active', 1500),
      after: snap('active', 1500, '2028-12-01T00:00:00.000Z'),
      state: state(
        'active',
        1500,
        [
          item(1, 'purchase', 1000, '2028-12-01T00:00:00.000Z'),
          item(2, 'upgrade', 500, '2028-12-01T00:00:00.000Z'),
        ],
        '2028-12-01T00:00:00.000Z',
      ),
    },
    'contract.changed': {
      contractId: CONTRACT,
      version: 5,
      at: '2027-03-01T10:00:00.000Z',
      trigger,
      changes: [{ type: 'credits-reduced', from: 1500, to: 1200 }],
      before: snap('active', 1500),
      after: snap('active', 1200),
      state: state('active', 1200, [item(3, 'purchase', 1200)]),
    },
    'contract.cancelled': {
      contractId: CONTRACT,
      version: 6,
      at: '2027-04-01T10:00:00.000Z',
      trigger,
      changes: [{ type: 'ended', term: 'cancelled', creditsWithdrawn: 1200 }],
      before: snap('active', 1200),
      after: snap('cancelled', 0),
      state: state('cancelled', 0, []),
    },
    'contract.expired': {
      contractId: CONTRACT,
      version: 6,
      at: '2027-12-01T00:05:00.000Z',
      trigger,
      changes: [{ type: 'ended', term: 'expired', creditsWithdrawn: 1200 }],
      before: snap('active', 1200),
      after: snap('expired', 0),
      state: state('expired', 0, []),
    },
    'contract.reinstated': {
      contractId: CONTRACT,
      version: 7,
      at: '2027-04-02T10:00:00.000Z',
      trigger,
      changes: [{ type: 'reinstated', credits: 1200, expiresAt: EXPIRES }],
      before: snap('cancelled', 0),
      after: snap('active', 1200),
      state: state('active', 1200, [item(4, 'reinstatement' as 'purchase', 1200)]),
    },
    // A renewal under a new license (R13): the old contract hands over, the new one continues.
    'contract.handed-over': {
      contractId: CONTRACT,
      version: 8,
      at: '2027-12-01T00:00:05.000Z',
      trigger: { ...trigger, type: 'Purchase Agreement Created - Proposer', id: 'e-9' },
      changes: [{ type: 'continued-by', to: SUCCESSOR, term: 'renewed', creditsHandedOver: 1200 }],
      before: snap('active', 1200),
      after: snap('renewed', 0),
      state: { ...state('renewed', 0, []), businessId: BUSINESS },
    },
    // The one audited support operation that moves a license (R3).
    'contract.transferred': {
      contractId: CONTRACT,
      version: 9,
      at: '2027-01-10T09:00:00.000Z',
      trigger: { source: 'support', type: 'transfer', id: 'trf-Qm3xY2', at: '2027-01-10T09:00:00.000Z' },
      changes: [
        {
          type: 'transferred',
          from: BUSINESS,
          to: OTHER_BUSINESS,
          reason: 'Accounts merged at the customer',
          ticket: 'SUP-1234',
          by: 'arn:aws:sts::111122223333:assumed-role/Support/agent-7',
        },
      ],
      before: snap('active', 1000),
      after: snap('active', 1000),
      state: { ...state('active', 1000, [item(1, 'purchase', 1000)]), businessId: OTHER_BUSINESS },
    },
    'contract.continued': {
      contractId: SUCCESSOR,
      version: 2,
      at: '2027-12-01T00:00:05.000Z',
      trigger: { ...trigger, type: 'Purchase Agreement Created - Proposer', id: 'e-9' },
      changes: [{ type: 'continued', from: CONTRACT, businessId: BUSINESS, term: 'renewed' }],
      before: snap('pending-setup', 1200, SUCCESSOR_EXPIRES),
      after: snap('active', 1200, SUCCESSOR_EXPIRES),
      state: state('active', 1200, [item(1, 'purchase', 1200, SUCCESSOR_EXPIRES)], SUCCESSOR_EXPIRES),
    },
  };
}

export function ledger(overrides: Partial<Ledger> = {}): Ledger {
  return {
    businessId: BUSINESS,
    primaryEmail: 'owner@buyer.example',
    businessName: 'Acme Robotics',
    sources: { [CONTRACT]: { kind: 'contract', productCode: PRODUCT, credits: 1000, expiresAt: EXPIRES } },
    allocations: {},
    total: 1000,
    allocated: 0,
    balance: 1000,
    earliestExpiry: EXPIRES,
    revision: 1,
    updatedAt: '2026-12-01T10:20:00.000Z',
    ...overrides,
  };
}

export const allocation = (
  service: string,
  units: number,
  creditsPerUnit: number,
  updatedAt = '2026-12-02T08:00:00.000Z',
) => ({
  service,
  productCode: PRODUCT,
  units,
  credits: units * creditsPerUnit,
  updatedAt,
});

export const noticeClaim: ExpiryNoticeClaim = {
  kind: 'contract',
  licenseKey: CONTRACT,
  businessId: BUSINESS,
  productCode: PRODUCT,
  expiresAt: EXPIRES,
  threshold: 30,
  daysLeft: 30,
  credits: 1000,
  autoRenew: true,
  claimedAt: '2027-11-01T08:00:03.000Z',
};

/**
 * One history entry per history event type (orders R12, transfers R3, codes R11), shaped as
 * import-order.ts, register-order.ts and lib/domain/support build them, with where each is written.
 */
export function historyEntries(): { where: { pk: string; sk: string }; entry: HistoryEntry }[] {
  const line = { lineNo: 1, productCode: PRODUCT, service: 'endpoint-security', units: 200, credits: 600 };
  const term = { startsAt: '2026-12-02T10:00:00.000Z', expiresAt: '2027-12-01T00:00:00.000Z' };
  return [
    {
      where: { pk: 'ORDER#SO-2026-0042', sk: 'HISTORY#2026-12-02T10:00:00.000Z#r1' },
      entry: {
        entity: 'history',
        type: 'order-imported',
        entryId: 'r1',
        at: '2026-12-02T10:00:00.000Z',
        by: 'arn:aws:sts::111122223333:assumed-role/VendorBackend/orders',
        details: { lines: 1 },
        event: {
          type: 'order.imported',
          data: {
            orderId: 'SO-2026-0042',
            company: { name: 'Example Customer GmbH', country: 'DE' },
            lines: [{ ...line, ...term }],
          },
        },
      },
    },
    {
      where: { pk: 'ORDER#SO-2026-0042', sk: 'HISTORY#2026-12-03T08:00:00.000Z#r2' },
      entry: {
        entity: 'history',
        type: 'order-registered',
        entryId: 'r2',
        at: '2026-12-03T08:00:00.000Z',
        by: `buyer:${BUSINESS}`,
        details: { businessId: BUSINESS, lines: [1], conflicts: [] },
        event: {
          type: 'order.registered',
          data: {
            orderId: 'SO-2026-0042',
            businessId: BUSINESS,
            lines: [
              {
                lineNo: 1,
                licenseId: 'direct~order~SO-2026-0042~1',
                productCode: PRODUCT,
                service: 'endpoint-security',
                credits: 600,
                expiresAt: term.expiresAt,
              },
            ],
            conflictedLines: [],
          },
        },
      },
    },
    {
      where: { pk: `BUSINESS#${OTHER_BUSINESS}`, sk: 'HISTORY#2027-01-10T09:00:00.000Z#trf-Qm3xY2' },
      entry: {
        entity: 'history',
        type: 'license-transferred',
        entryId: 'trf-Qm3xY2',
        at: '2027-01-10T09:00:00.000Z',
        by: 'arn:aws:sts::111122223333:assumed-role/Support/agent-7',
        reason: 'Accounts merged at the customer',
        ticket: 'SUP-1234',
        details: {
          license: CONTRACT,
          kind: 'contract',
          fromBusinessId: BUSINESS,
          toBusinessId: OTHER_BUSINESS,
        },
        event: {
          type: 'license.transferred',
          data: {
            license: CONTRACT,
            kind: 'contract',
            fromBusinessId: BUSINESS,
            toBusinessId: OTHER_BUSINESS,
            ticket: 'SUP-1234',
            credits: 1000,
            at: '2027-01-10T09:00:00.000Z',
          },
        },
      },
    },
    {
      where: { pk: `BUSINESS#${BUSINESS}`, sk: 'HISTORY#2027-02-01T12:00:00.000Z#rpl-8kP2' },
      entry: {
        entity: 'history',
        type: 'code-replaced',
        entryId: 'rpl-8kP2',
        at: '2027-02-01T12:00:00.000Z',
        by: 'arn:aws:sts::111122223333:assumed-role/Support/agent-7',
        reason: 'Reported stolen by the licensee',
        ticket: 'SUP-1301',
        details: {
          kind: 'activation-code',
          license: 'direct~order~SO-2026-0042~1',
          itemNo: 1,
          businessId: BUSINESS,
        },
        event: {
          type: 'code.replaced',
          data: {
            kind: 'activation-code',
            license: 'direct~order~SO-2026-0042~1',
            itemNo: 1,
            businessId: BUSINESS,
            at: '2027-02-01T12:00:00.000Z',
          },
        },
      },
    },
  ];
}

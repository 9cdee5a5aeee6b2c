import type { CodeRecord } from '../../../lib/domain/codes/records.js';
import type { Contract, LicenseItem, StoredContract } from '../../../lib/domain/contract/model.js';
import type { DirectLicense } from '../../../lib/domain/credits/licenses.js';
import type { Ledger } from '../../../lib/domain/credits/model.js';
import type { Order } from '../../../lib/domain/orders/model.js';
import type { Business } from '../../../lib/domain/setup/model.js';
import type { SupportActor } from '../../../lib/domain/support/model.js';

export const NOW = new Date('2026-05-01T10:00:00.000Z');
export const EXPIRES = '2027-05-01T00:00:00.000Z';
export const PRODUCT = 'a1b2c3d4e5credits0example';
export const A = 'biz-unitA000000000000001';
export const B = 'biz-unitB000000000000002';
export const CONTRACT_ID = `${PRODUCT}~L~l-unit1`;
export const ACTOR: SupportActor = {
  by: 'arn:aws:sts::123456789012:assumed-role/Support/agent-7',
  reason: 'Accounts merged at the customer',
  ticket: 'SUP-1',
};
export const ITEM_CODE = 'PC-0000-00000-00000-00000-00000-0000X';
/** What a transfer draws for the codes it replaces, in these tests. */
export const NEW_CODE = 'PC-1111-11111-11111-11111-11111-1111X';

export function business(businessId: string): Business {
  return {
    businessId,
    name: `Business ${businessId}`,
    country: 'DE',
    dataCenterRegion: 'eu',
    timeZone: 'Europe/Berlin',
    primaryEmail: `${businessId}@example.com`,
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

export function stored(overrides: Partial<Contract> = {}, items = 1): StoredContract {
  const contract: Contract = {
    contractId: CONTRACT_ID,
    key: { kind: 'license', productCode: PRODUCT, licenseId: 'l-unit1' },
    productCode: PRODUCT,
    setupState: 'active',
    term: 'current',
    expiresAt: EXPIRES,
    activeCredits: 1000,
    dimensions: { Credits: 1000 },
    itemCount: items,
    facts: {},
    activatedBy: A,
    activatedAt: '2026-02-01T00:00:00.000Z',
    businessName: `Business ${A}`,
    createdAt: '2026-02-01T00:00:00.000Z',
    updatedAt: '2026-02-01T00:00:00.000Z',
    syncedAt: '2026-02-01T00:00:00.000Z',
    version: 3,
    ...overrides,
  };
  const list: LicenseItem[] = Array.from({ length: items }, (_, i) => ({
    contractId: CONTRACT_ID,
    itemNo: i + 1,
    origin: i === 0 ? 'purchase' : 'upgrade',
    credits: i === 0 ? 1000 : 1,
    createdAt: '2026-02-01T00:00:00.000Z',
    expiresAt: EXPIRES,
    state: 'active',
    ...(i === 0 ? { activationCode: ITEM_CODE } : {}),
  }));
  return { contract, items: list };
}

export function ledger(businessId: string, overrides: Partial<Ledger> = {}): Ledger {
  return {
    businessId,
    sources: {},
    allocations: {},
    total: 0,
    allocated: 0,
    balance: 0,
    revision: 7,
    updatedAt: '2026-04-01T00:00:00.000Z',
    ...overrides,
  };
}

/** A's ledger with the contract (1,000) and `allocated` credits of endpoint-security. */
export function holderLedger(allocated = 0, extra: Ledger['sources'] = {}): Ledger {
  const sources = {
    [CONTRACT_ID]: { kind: 'contract' as const, productCode: PRODUCT, credits: 1000, expiresAt: EXPIRES },
    ...extra,
  };
  const total = Object.values(sources).reduce((sum, s) => sum + s.credits, 0);
  return ledger(A, {
    sources,
    allocations: allocated
      ? {
          'endpoint-security': {
            service: 'endpoint-security',
            productCode: PRODUCT,
            units: allocated / 3,
            credits: allocated,
            updatedAt: '2026-04-01T00:00:00.000Z',
          },
        }
      : {},
    total,
    allocated,
    balance: total - allocated,
    earliestExpiry: EXPIRES,
  });
}

export function direct(overrides: Partial<DirectLicense> = {}): DirectLicense {
  return {
    reference: 'deal-1',
    businessId: A,
    productCode: PRODUCT,
    credits: 200,
    expiresAt: EXPIRES,
    createdAt: '2026-03-01T00:00:00.000Z',
    activationCode: ITEM_CODE,
    ...overrides,
  };
}

export function order(registeredBy?: string): Order {
  return {
    orderId: 'ORD-1',
    company: { name: 'Reseller Buyer GmbH' },
    lines: [
      {
        lineNo: 1,
        productCode: PRODUCT,
        service: 'endpoint-security',
        credits: 300,
        startsAt: NOW.toISOString(),
        expiresAt: EXPIRES,
        registrationKey: 'PC-0000-0000-0000-0000',
        ...(registeredBy ? { registeredBy, licenseReference: 'order~ORD-1~1' } : {}),
      },
    ],
    importedAt: '2026-04-01T00:00:00.000Z',
    revision: 4,
    updatedAt: '2026-04-01T00:00:00.000Z',
  };
}

export function codeRecord(target: CodeRecord['target'], code = ITEM_CODE): CodeRecord {
  return { code, target, state: 'valid', createdAt: '2026-02-01T00:00:00.000Z' };
}

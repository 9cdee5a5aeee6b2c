import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import type { Contract, LicenseItem, StoredContract } from '../../lib/domain/contract/model.js';
import type { ContractChangeSet } from '../../lib/domain/contract/ports.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import type { Business } from '../../lib/domain/setup/model.js';

export const CREDITS_PRODUCT = 'a1b2c3d4e5credits0example';

/** A catalog with a hundred 1-credit services (`svc-000` …) and a few priced ones. */
export const creditsCatalog: ProductCatalog = {
  products: [
    {
      productCode: CREDITS_PRODUCT,
      name: 'Example Platform',
      services: {
        'endpoint-security': { name: 'Endpoint Security', unit: 'endpoint', creditsPerUnit: 3 },
        'email-security': { name: 'Email Security', unit: 'mailbox', creditsPerUnit: 2 },
        ...Object.fromEntries(
          Array.from({ length: 100 }, (_, i) => [
            `svc-${String(i).padStart(3, '0')}`,
            { name: `Service ${i}`, unit: 'unit', creditsPerUnit: 1 },
          ]),
        ),
      },
    },
  ],
};

/** A contract as the sync stores it, activated by `businessId` when given. */
export function activatedContract(
  licenseId: string,
  credits: number,
  expiresAt: Date,
  at: Date,
  businessId?: string,
): StoredContract {
  const contractId = `${CREDITS_PRODUCT}~L~${licenseId}`;
  const contract: Contract = {
    contractId,
    key: { kind: 'license', productCode: CREDITS_PRODUCT, licenseId },
    productCode: CREDITS_PRODUCT,
    licenseArn: `arn:aws:license-manager::123456789012:license:${licenseId}`,
    customerAWSAccountId: '123456789012',
    setupState: businessId ? 'active' : 'pending-setup',
    term: 'current',
    expiresAt: expiresAt.toISOString(),
    activeCredits: credits,
    dimensions: { Credits: credits },
    itemCount: 1,
    facts: {},
    ...(businessId ? { activatedBy: businessId, activatedAt: at.toISOString(), businessName: 'Acme' } : {}),
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    syncedAt: at.toISOString(),
    version: 1,
  };
  const item: LicenseItem = {
    contractId,
    itemNo: 1,
    origin: 'purchase',
    credits,
    createdAt: at.toISOString(),
    expiresAt: expiresAt.toISOString(),
    state: 'active',
  };
  return { contract, items: [item] };
}

/** The change set that creates `stored` (version 1). */
export function creation(stored: StoredContract): ContractChangeSet {
  const { contract } = stored;
  return {
    next: stored,
    touchedItems: stored.items,
    expectedVersion: undefined,
    audit: {
      contractId: contract.contractId,
      version: 1,
      at: contract.createdAt,
      changes: [{ type: 'created', credits: contract.activeCredits, expiresAt: contract.expiresAt }],
      trigger: { source: 'sweep', type: 'test', id: 'test', at: contract.createdAt },
      after: {
        status: contract.setupState,
        activeCredits: contract.activeCredits,
        expiresAt: contract.expiresAt,
      },
    },
  };
}

/** The change set that moves `stored` to `credits` (the active items superseded by one new item). */
export function creditsChange(stored: StoredContract, credits: number, at: Date): ContractChangeSet {
  const { contract } = stored;
  const itemNo = contract.itemCount + 1;
  const ended = stored.items
    .filter((item) => item.state === 'active')
    .map((item) => ({
      ...item,
      state: 'ended' as const,
      endedAt: at.toISOString(),
      endReason: 'superseded' as const,
    }));
  const added: LicenseItem = {
    contractId: contract.contractId,
    itemNo,
    origin: 'adjustment',
    credits,
    createdAt: at.toISOString(),
    expiresAt: contract.expiresAt,
    state: 'active',
  };
  const next: Contract = {
    ...contract,
    activeCredits: credits,
    dimensions: { Credits: credits },
    itemCount: itemNo,
    updatedAt: at.toISOString(),
    version: contract.version + 1,
  };
  return {
    next: { contract: next, items: [...stored.items.filter((i) => i.state !== 'active'), ...ended, added] },
    touchedItems: [...ended, added],
    expectedVersion: contract.version,
    audit: {
      contractId: contract.contractId,
      version: next.version,
      at: at.toISOString(),
      changes: [{ type: 'credits-reduced', from: contract.activeCredits, to: credits }],
      trigger: { source: 'sweep', type: 'test', id: 'test', at: at.toISOString() },
      before: { status: 'active', activeCredits: contract.activeCredits, expiresAt: contract.expiresAt },
      after: { status: 'active', activeCredits: credits, expiresAt: contract.expiresAt },
    },
  };
}

/** A registered business and its primary user, as the setup writes them. */
export async function registerBusiness(
  table: { readonly client: DynamoDBDocumentClient; readonly tableName: string },
  businessId: string,
  email = `${businessId}@example.com`,
  at = new Date('2026-03-01T00:00:00.000Z'),
): Promise<Business> {
  const business: Business = {
    businessId,
    name: `Business ${businessId}`,
    country: 'DE',
    dataCenterRegion: 'eu',
    timeZone: 'Europe/Berlin',
    primaryEmail: email,
    createdAt: at.toISOString(),
  };
  await table.client.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: table.tableName,
            Item: { ...keys.business(businessId), entity: 'business', ...business },
          },
        },
        {
          Put: {
            TableName: table.tableName,
            Item: { ...keys.user(email), entity: 'user', email, businessId, createdAt: at.toISOString() },
          },
        },
      ],
    }),
  );
  return business;
}

import { Logger } from '@aws-lambda-powertools/logger';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { nodeSecrets } from '../../lib/adapters/crypto/node-secrets.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient, createMeteringClient } from '../../lib/adapters/marketplace/clients.js';
import { BUYER_RETRY, createCustomerResolver } from '../../lib/adapters/marketplace/customer-resolver.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { createSetupHandler } from './create-handler.js';

// Built once per cold start; a wrong configuration fails here, before any buyer is served.
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const documents = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
const tableName = env('TABLE_NAME');
const marketplaceEndpoint = process.env.MARKETPLACE_ENDPOINT;
const sender = env('SENDER_EMAIL');

// Eager, though only the registration POST calls the marketplace: with import() esbuild wraps
// every module the lazy part shares with the rest, and the bench measured the cold start 2 ms
// slower and the bundle 9 KB larger that way.
const marketplaceClients = {
  metering: createMeteringClient({ endpoint: marketplaceEndpoint }),
  entitlements: createEntitlementClient({ endpoint: marketplaceEndpoint }),
};

export const handler = createSetupHandler({
  catalog: parseProductCatalog(process.env.PRODUCTS),
  resolver: createCustomerResolver({ client: marketplaceClients.metering }),
  contracts: createContractStore({ client: documents, tableName }),
  entitlements: createEntitlementReader({ client: marketplaceClients.entitlements, retry: BUYER_RETRY }),
  setups: createSetupStore({ client: documents, tableName }),
  secrets: nodeSecrets,
  mailer: createSesMailer({ client: createSesClient({ endpoint: process.env.SES_ENDPOINT }), from: sender }),
  clock: { now: () => new Date() },
  logger: new Logger({ serviceName: 'setup' }),
  productName: process.env.PRODUCT_NAME ?? 'our product',
  supportEmail: env('SUPPORT_EMAIL'),
  consoleUrl: env('CONSOLE_URL'),
  dataCenterRegions: parseRegions(env('DATA_CENTER_REGIONS')),
  timeZones: () => Intl.supportedValuesOf('timeZone'),
});

/** `us=United States,eu=Europe` → [{ id: 'us', label: 'United States' }, …]. */
function parseRegions(value: string): { id: string; label: string }[] {
  const regions = value
    .split(',')
    .map((entry) => entry.split('='))
    .map(([id, label]) => ({ id: (id ?? '').trim(), label: (label ?? id ?? '').trim() }))
    .filter((r) => r.id);
  if (regions.length === 0) throw new Error('DATA_CENTER_REGIONS lists no region');
  return regions;
}

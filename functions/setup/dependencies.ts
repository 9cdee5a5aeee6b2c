import { Logger } from '@aws-lambda-powertools/logger';
import { parseRegions, requireEnv } from '../../lib/adapters/config/environment.js';
import { parseProductCatalog } from '../../lib/adapters/config/product-catalog.js';
import { cryptoRandomBytes } from '../../lib/adapters/crypto/code-random.js';
import { nodeSecrets } from '../../lib/adapters/crypto/node-secrets.js';
import { createAccountStore } from '../../lib/adapters/dynamodb/account-store.js';
import { createBudgetCounter } from '../../lib/adapters/dynamodb/budgets.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory, createLedgerReader } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createOrderStore } from '../../lib/adapters/dynamodb/order-store.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createCreditNotices } from '../../lib/adapters/email/credit-notices.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { invocationClock } from '../../lib/adapters/lambda/remaining-time.js';
import { createEntitlementClient, createMeteringClient } from '../../lib/adapters/marketplace/clients.js';
import { BUYER_RETRY, createCustomerResolver } from '../../lib/adapters/marketplace/customer-resolver.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import type { LedgerTransition } from '../../lib/domain/credits/ledger.js';
import type { Ledger } from '../../lib/domain/credits/model.js';
import type { SetupOptions } from './create-handler.js';

/** This deployment's clients and configuration, built once per cold start from the environment. */
export function setupDependencies(): SetupOptions {
  // The marketplace clients are eager too: a lazy import() measured slower.
  const documents = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT });
  const tableName = requireEnv('TABLE_NAME');
  const marketplace = { endpoint: process.env.MARKETPLACE_ENDPOINT };
  // Retries stop in time for the answer: both marketplace calls read the invocation's time left.
  const invocation = invocationClock();
  const retry = { ...BUYER_RETRY, remainingMs: invocation.remainingMs };
  const mailer = createSesMailer({
    client: createSesClient({ endpoint: process.env.SES_ENDPOINT }),
    from: requireEnv('SENDER_EMAIL'),
  });
  const logger = new Logger({ serviceName: 'setup' });
  const productName = process.env.PRODUCT_NAME ?? 'our product';
  // Any write of a ledger here (an activation, a sync at the setup POST, a usage read that
  // finds a lapse) may be the one that makes the business over-allocated: it tells (R9).
  const businesses = createBusinessDirectory({ client: documents, tableName });
  const notices = createCreditNotices({ mailer, productName, logger, businesses });
  const onLedgerTransition = async (ledger: Ledger, transition: LedgerTransition) => {
    if (transition === 'became-over-allocated') await notices.overAllocated(ledger);
  };
  const ledgers = createLedgerReader({ client: documents, tableName });
  const orders = createOrderStore({ client: documents, tableName, onLedgerTransition });
  return {
    invocation,
    catalog: parseProductCatalog(process.env.PRODUCTS),
    resolver: createCustomerResolver({ client: createMeteringClient(marketplace), retry }),
    contracts: createContractStore({ client: documents, tableName, onLedgerTransition }),
    entitlements: createEntitlementReader({
      client: createEntitlementClient(marketplace),
      retry,
    }),
    setups: createSetupStore({ client: documents, tableName, onLedgerTransition }),
    budgets: createBudgetCounter({ client: documents, tableName }),
    secrets: nodeSecrets,
    mailer,
    clock: { now: () => new Date() },
    logger,
    productName,
    supportEmail: requireEnv('SUPPORT_EMAIL'),
    consoleUrl: requireEnv('CONSOLE_URL'),
    dataCenterRegions: parseRegions(requireEnv('DATA_CENTER_REGIONS')),
    timeZones: () => Intl.supportedValuesOf('timeZone'),
    account: {
      accounts: createAccountStore({ client: documents, tableName }),
      ledgers,
      businesses,
      notices,
    },
    registration: { orders, codes: orders, random: cryptoRandomBytes, ledgers },
  };
}

import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { createSetupHandler, type SetupOptions } from '../../functions/setup/create-handler.js';
import { cryptoRandomBytes } from '../../lib/adapters/crypto/code-random.js';
import { nodeSecrets } from '../../lib/adapters/crypto/node-secrets.js';
import { createAccountStore } from '../../lib/adapters/dynamodb/account-store.js';
import { createBudgetCounter } from '../../lib/adapters/dynamodb/budgets.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import {
  createBusinessDirectory,
  createLedgerReader,
  createLedgerStore,
} from '../../lib/adapters/dynamodb/ledger-store.js';
import { createOrderStore } from '../../lib/adapters/dynamodb/order-store.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient, createMeteringClient } from '../../lib/adapters/marketplace/clients.js';
import { createCustomerResolver } from '../../lib/adapters/marketplace/customer-resolver.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { contractIdOf, licenseIdFromArn } from '../../lib/domain/contract/identity.js';
import type { CreditsDeps } from '../../lib/domain/credits/use-cases.js';
import { MarketplaceSimulator, type RunningSimulator } from '../../local/marketplace-simulator/index.js';
import { type RunningSesLocal, startSesLocal } from '../../local/ses-local.js';
import { Browser, type Page } from './browser.js';
import { FIXTURE } from './events.js';
import { lambdaContext } from './lambda-context.js';
import { createTestTable, type TestTable } from './table.js';

const FAST_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 };

export interface SetupHarnessOptions {
  /** Wire the order registration pages (/register) over this test's table, with the CSPRNG. */
  readonly registration?: boolean;
}

/**
 * The setup function over DynamoDB Local, the marketplace simulator and local SES, fresh for
 * every test (a new table, no mail, the clock at `start`): the hooks are installed by calling
 * this at the top of a test file.
 */
export function setupHarness(
  start = new Date('2026-05-01T10:00:00.000Z'),
  harnessOptions: SetupHarnessOptions = {},
) {
  const state = {
    now: new Date(start),
    table: undefined as unknown as TestTable,
    options: undefined as unknown as SetupOptions,
    running: undefined as unknown as RunningSimulator,
    ses: undefined as unknown as RunningSesLocal,
  };
  const clock = { now: () => new Date(state.now) };
  const simulator = new MarketplaceSimulator({ now: clock.now });
  let handler: ReturnType<typeof createSetupHandler>;

  beforeAll(async () => {
    state.running = await simulator.start();
    state.ses = await startSesLocal();
  });
  afterAll(async () => {
    await state.running.close();
    await state.ses.close();
  });
  beforeEach(async () => {
    state.now = new Date(start);
    simulator.clearFaults();
    await state.ses.clear();
    state.table = await createTestTable(inject('dynamoEndpoint'));
    const documents = { client: state.table.client, tableName: state.table.tableName };
    state.options = {
      catalog: { products: [{ productCode: FIXTURE.productCode, creditsPerUnit: { Credits: 1 } }] },
      resolver: createCustomerResolver({
        client: createMeteringClient({ endpoint: state.running.endpoint }),
        retry: FAST_RETRY,
      }),
      contracts: createContractStore(documents),
      entitlements: createEntitlementReader({
        client: createEntitlementClient({ endpoint: state.running.endpoint }),
        retry: FAST_RETRY,
      }),
      setups: createSetupStore(documents),
      budgets: createBudgetCounter(documents),
      secrets: nodeSecrets,
      mailer: createSesMailer({
        client: createSesClient({ endpoint: state.ses.endpoint }),
        from: 'no-reply@vendor.example',
      }),
      clock,
      logger: new Logger({ serviceName: 'setup', logLevel: 'SILENT' }),
      productName: 'Example Platform',
      supportEmail: 'support@vendor.example',
      consoleUrl: 'https://console.example.com/welcome',
      dataCenterRegions: [{ id: 'eu', label: 'Europe (Frankfurt)' }],
      timeZones: ['UTC', 'Europe/Berlin'],
      account: {
        accounts: createAccountStore(documents),
        ledgers: createLedgerStore(documents),
        businesses: createBusinessDirectory(documents),
      },
      ...(harnessOptions.registration
        ? {
            registration: {
              orders: createOrderStore(documents),
              codes: createOrderStore(documents),
              random: cryptoRandomBytes,
              ledgers: createLedgerReader(documents),
            },
          }
        : {}),
    };
    handler = createSetupHandler(state.options);
  });
  afterEach(async () => {
    await state.table.drop();
  });

  let addresses = 0;
  const harness = {
    state,
    simulator,
    /** Rebuilds the handler over other options (from those of this test). */
    use(overrides: Partial<SetupOptions>) {
      state.options = { ...state.options, ...overrides };
      handler = createSetupHandler(state.options);
    },
    /** The credits use cases' dependencies over this test's table, catalog and clock. */
    credits(): CreditsDeps {
      const { account, catalog } = state.options;
      if (!account) throw new Error('The harness was built without the account pages');
      const notices = { overAllocated: async () => {} };
      const ledgers = createLedgerStore({ client: state.table.client, tableName: state.table.tableName });
      return { catalog, ledgers, businesses: account.businesses, notices, clock };
    },
    /** A buyer's browser; each from its own address unless one is given. */
    browser(sourceIp = `198.51.100.${++addresses % 250}`) {
      return new Browser((event, context) => handler(event, context), lambdaContext(), sourceIp);
    },
    buy(credits = 1000) {
      const license = simulator.purchase({
        productCode: FIXTURE.productCode,
        quantities: { Credits: credits },
        months: 12,
      });
      const licenseId = licenseIdFromArn(license.licenseArn) ?? '';
      return {
        license,
        contractId: contractIdOf({ kind: 'license', productCode: FIXTURE.productCode, licenseId }),
      };
    },
    /** Clicks "Set up your account": the marketplace POSTs a token from the buyer's browser. */
    arrive(b: Browser, licenseArnOrToken: { licenseArn: string } | { token: string }): Promise<Page> {
      const token =
        'token' in licenseArnOrToken
          ? licenseArnOrToken.token
          : simulator.mintToken(licenseArnOrToken.licenseArn);
      return b.post('/', { 'x-amzn-marketplace-token': token });
    },
    async mailsTo(email: string) {
      return (await state.ses.emails()).filter((m) => m.destination.to.includes(email));
    },
    async lastCodeFor(email: string): Promise<string> {
      const mails = await harness.mailsTo(email);
      const code = /code is (\d{6})/.exec(mails.at(-1)?.body.text ?? '')?.[1];
      if (!code) throw new Error(`No code mailed to ${email}`);
      return code;
    },
    /** Arrives and asks for a code to `email`; answers the email form's response. */
    async askCode(b: Browser, licenseArn: string, email: string): Promise<Page> {
      await harness.arrive(b, { licenseArn });
      await b.get('/setup');
      return b.submit('/setup/email', { email });
    },
  };
  return harness;
}

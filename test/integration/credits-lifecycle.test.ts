import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import { createMarketplaceEventsHandler } from '../../functions/marketplace-events/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createCreditNotices } from '../../lib/adapters/email/credit-notices.js';
import { createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { OverAllocatedError } from '../../lib/domain/credits/errors.js';
import { type CreditsDeps, setServiceAllocation } from '../../lib/domain/credits/use-cases.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { FIXTURE, fixtureJson, sqsEvent, sqsRecord } from '../support/events.js';
import { lambdaContext } from '../support/lambda-context.js';
import { setupHarness } from '../support/setup-harness.js';

/**
 * A contract's credits in its business's total through the real flows (R2, R6, R9, R13): the
 * setup's activation opens the ledger, and every later sync of the marketplace-events consumer
 * moves it in the contract's own transaction: upgrade, a renewal with fewer credits (the
 * business becomes over-allocated and its primary user is mailed once), cancellation.
 */

const h = setupHarness();
const BUSINESS = { name: 'Example Corp', country: 'DE', dataCenterRegion: 'eu', timeZone: 'Europe/Berlin' };
const catalog: ProductCatalog = {
  products: [
    {
      productCode: FIXTURE.productCode,
      productId: FIXTURE.productId,
      creditsPerUnit: { Credits: 1 },
      services: { 'endpoint-security': { name: 'Endpoint Security', unit: 'endpoint', creditsPerUnit: 1 } },
    },
  ],
};

function licenseUpdated(licenseArn: string, accountId: string, at: Date) {
  const event = fixtureJson<Record<string, unknown> & { detail: Record<string, unknown> }>(
    'eventbridge/license-updated',
  );
  return sqsRecord({
    ...event,
    id: `evt-${at.getTime()}`,
    time: `${at.toISOString().slice(0, 19)}Z`,
    detail: { ...event.detail, license: { arn: licenseArn.replace(/^arn:/, '') }, acceptor: { accountId } },
  });
}

describe('credits through activation and syncs', () => {
  it('opens the ledger at activation and moves it with upgrade, a lower renewal and cancellation', async () => {
    // Arrange: a purchase of 100, activated through the setup pages.
    const { license, contractId } = h.buy(100);
    const b = h.browser();
    await h.askCode(b, license.licenseArn, 'owner@example.com');
    await b.submit('/setup/code', { code: await h.lastCodeFor('owner@example.com') });
    await b.submit('/setup/business', BUSINESS);
    await b.get('/setup');
    expect((await b.submit('/setup/activate')).status).toBe(303);
    const documents = { client: h.state.table.client, tableName: h.state.table.tableName };
    const ledgers = createLedgerStore(documents);
    const contract = (await createContractStore(documents).load(contractId))?.contract;
    const businessId = contract?.activatedBy ?? '';
    const mailer = h.state.options.mailer;
    const logger = new Logger({ serviceName: 'credits-lifecycle', logLevel: 'SILENT' });
    const notices = createCreditNotices({
      mailer,
      productName: 'Example Platform',
      logger,
      businesses: createBusinessDirectory(documents),
    });
    const deps: CreditsDeps = {
      catalog,
      ledgers,
      businesses: createBusinessDirectory(documents),
      notices,
      clock: { now: () => h.state.now },
    };
    const consumer = createMarketplaceEventsHandler({
      catalog,
      contracts: createContractStore({
        ...documents,
        onLedgerTransition: async (ledger, transition) => {
          if (transition === 'became-over-allocated') await notices.overAllocated(ledger);
        },
      }),
      entitlementsFor: () =>
        createEntitlementReader({
          client: createEntitlementClient({ endpoint: h.state.running.endpoint }),
          retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
        }),
      clock: { now: () => h.state.now },
      logger,
    });
    const sync = async () => {
      h.state.now = new Date(h.state.now.getTime() + 60_000);
      const out = await consumer(
        sqsEvent(licenseUpdated(license.licenseArn, license.customerAWSAccountId ?? '', h.state.now)),
        lambdaContext(),
      );
      expect(out.batchItemFailures).toEqual([]);
      return ledgers.get(businessId);
    };

    // Act + Assert, step by step.
    const opened = await ledgers.get(businessId);
    expect(opened).toMatchObject({
      total: 100,
      balance: 100,
      primaryEmail: 'owner@example.com',
      businessName: 'Example Corp',
    });
    const holdings = await ledgers.holdings(businessId);
    expect(holdings.contracts.map((c) => [c.contract.contractId, c.items.length])).toEqual([[contractId, 1]]);

    await setServiceAllocation(deps, businessId, 'endpoint-security', 80);
    h.simulator.upgrade(license.licenseArn, { Credits: 50 });
    expect(await sync()).toMatchObject({ total: 150, allocated: 80, balance: 70 });
    expect((await ledgers.holdings(businessId)).contracts[0]?.items.map((i) => i.origin)).toEqual([
      'purchase',
      'upgrade',
    ]);
    expect(await sync()).toMatchObject({ total: 150, revision: 3 }); // a repeat moves nothing

    h.simulator.renew(license.licenseArn, { months: 12, quantities: { Credits: 60 } });
    const lowered = await sync();
    expect(lowered).toMatchObject({ total: 60, allocated: 80, balance: -20 });
    expect(lowered?.overAllocatedSince).toBeDefined();
    await expect(setServiceAllocation(deps, businessId, 'endpoint-security', 81)).rejects.toBeInstanceOf(
      OverAllocatedError,
    );
    await sync(); // the same notification again: no second mail
    const mails = (await h.mailsTo('owner@example.com')).filter((m) =>
      /more credits than you have/.test(m.subject),
    );
    expect(mails).toHaveLength(1);
    expect(mails[0]?.body.text).toContain('over-allocated by 20 credits');

    h.simulator.cancel(license.licenseArn);
    expect(await sync()).toMatchObject({ total: 0, allocated: 80, balance: -80, sources: {} });
    const released = await setServiceAllocation(deps, businessId, 'endpoint-security', 0);
    expect(released.ledger).toMatchObject({ total: 0, allocated: 0, balance: 0 });
    expect(released.ledger.overAllocatedSince).toBeUndefined();
  });
});

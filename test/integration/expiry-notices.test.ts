import { Logger } from '@aws-lambda-powertools/logger';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createNoticesHandler, type NoticesReport } from '../../functions/notices/create-handler.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createBusinessDirectory, createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import {
  createExpiringLicenses,
  createNoticeClaims,
  refreshLapsedLedgers,
} from '../../lib/adapters/dynamodb/notice-store.js';
import { sendSalesDigest } from '../../lib/adapters/email/sales-digest.js';
import type { Contract, StoredContract } from '../../lib/domain/contract/model.js';
import type { ContractChangeSet } from '../../lib/domain/contract/ports.js';
import type { Ledger } from '../../lib/domain/credits/model.js';
import type { Business } from '../../lib/domain/setup/model.js';
import type { EmailMessage } from '../../lib/domain/setup/ports.js';
import { activatedContract, CREDITS_PRODUCT, creation, creditsChange } from '../support/credits.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Monday 1 June 2026, 08:00 UTC: 17:00 in Tokyo, 01:00 in Los Angeles, the same date in both. */
const NOW = new Date('2026-06-01T08:00:00.000Z');
const SALES = 'sales@vendor.example';
const CONSOLE = 'https://console.example.com/licenses';

let table: TestTable;
let now: Date;
let seq = 0;
const mails: EmailMessage[] = [];
const overAllocatedNotices: Ledger[] = [];
const warnings: string[] = [];

beforeEach(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  now = NOW;
  mails.length = 0;
  overAllocatedNotices.length = 0;
  warnings.length = 0;
});
afterEach(async () => {
  await table.drop();
  // Nothing in these cases is a failure the sweep should have had to log.
  expect(warnings.splice(0)).toEqual([]);
});

const documents = () => ({ client: table.client, tableName: table.tableName });
const contracts = () => createContractStore(documents());
const ledgers = () => createLedgerStore(documents());

/** The daily run as handler.ts wires it, over this test's table, a recording mailer and the test's clock. */
function dailyRun(): Promise<NoticesReport> {
  const ledgerStore = ledgers();
  const mailer = { send: async (message: EmailMessage) => void mails.push(message) };
  const log = { warn: (message: string) => void warnings.push(message) };
  const handler = createNoticesHandler({
    expiry: {
      licenses: createExpiringLicenses({ ...documents(), productCodes: [CREDITS_PRODUCT] }),
      businesses: createBusinessDirectory(documents()),
      claims: createNoticeClaims(documents()),
      mailer,
      productName: () => 'Example Platform',
      consoleUrl: CONSOLE,
      log,
    },
    refreshLapsed: (at) =>
      refreshLapsedLedgers(
        {
          ...documents(),
          ledgers: ledgerStore,
          notices: { overAllocated: async (ledger) => void overAllocatedNotices.push(ledger) },
          logger: log,
        },
        at,
      ),
    digest: (at) =>
      sendSalesDigest(
        {
          ...documents(),
          mailer,
          to: [SALES],
          productName: 'Example Platform',
          productCodes: [CREDITS_PRODUCT],
          ledgers: ledgerStore,
        },
        at,
      ),
    clock: { now: () => now },
    logger: new Logger({ serviceName: 'notices', logLevel: 'SILENT' }),
  });
  return handler({}, lambdaContext());
}

/** A registered business in `timeZone` (R8), its row as the setup writes it. */
async function business(timeZone: string): Promise<Business> {
  const businessId = `biz-exp-${++seq}`;
  const row: Business = {
    businessId,
    name: `Business ${seq}`,
    country: 'DE',
    dataCenterRegion: 'eu',
    timeZone,
    primaryEmail: `owner-${seq}@example.com`,
    createdAt: new Date(NOW.getTime() - 90 * DAY).toISOString(),
  };
  await table.client.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { ...keys.business(businessId), entity: 'business', ...row },
    }),
  );
  return row;
}

interface LicenseOptions {
  readonly credits?: number;
  readonly createdAt?: Date;
  readonly autoRenew?: boolean;
  readonly term?: Contract['term'];
}

/** A contract stored through the real contract store: activated by `owner` when given, else waiting for setup. */
async function contract(
  owner: Business | undefined,
  expiresAt: Date,
  { credits = 1000, createdAt = new Date(NOW.getTime() - 30 * DAY), autoRenew, term }: LicenseOptions = {},
): Promise<StoredContract> {
  const base = activatedContract(`l-exp${++seq}`, credits, expiresAt, createdAt, owner?.businessId);
  const stored: StoredContract = {
    contract: {
      ...base.contract,
      ...(autoRenew ? { facts: { autoRenew: { value: true, asOf: createdAt.toISOString() } } } : {}),
      ...(term && term !== 'current' ? { term, endedAt: expiresAt.toISOString() } : {}),
    },
    items: base.items,
  };
  await contracts().save(creation(stored));
  return stored;
}

/** The change set of a renewal (R13): the contract and its active items get the new expiration date. */
function renewal(stored: StoredContract, to: Date, at: Date): ContractChangeSet {
  const { contract: current } = stored;
  const expiresAt = to.toISOString();
  const items = stored.items.map((item) => (item.state === 'active' ? { ...item, expiresAt } : item));
  const next: Contract = { ...current, expiresAt, updatedAt: at.toISOString(), version: current.version + 1 };
  const snapshot = (e: string) => ({
    status: 'active' as const,
    activeCredits: current.activeCredits,
    expiresAt: e,
  });
  return {
    next: { contract: next, items },
    touchedItems: items.filter((item) => item.state === 'active'),
    expectedVersion: current.version,
    audit: {
      contractId: current.contractId,
      version: next.version,
      at: at.toISOString(),
      changes: [{ type: 'renewed', from: current.expiresAt, to: expiresAt }],
      trigger: { source: 'sweep', type: 'test', id: 'renewal', at: at.toISOString() },
      before: snapshot(current.expiresAt),
      after: snapshot(expiresAt),
    },
  };
}

/** `days` days from NOW, at 12:00 UTC. */
const inDays = (days: number) => new Date(NOW.getTime() + days * DAY + 4 * HOUR);
/** Mails to businesses (the sales digest left out). */
const toBusinesses = () => mails.filter((m) => m.to !== SALES);
const mailsAbout = (licenseKey: string) => toBusinesses().filter((m) => m.text.includes(licenseKey));
const subjects = (licenseKey: string) => mailsAbout(licenseKey).map((m) => m.subject);

/** The thresholds claimed for a license (its notice rows), as `<expiresAt> <threshold>`, in key order. */
async function claimed(licensePk: string): Promise<string[]> {
  const out = await table.client.send(
    new QueryCommand({
      TableName: table.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': licensePk, ':prefix': keys.noticePrefix },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((row) => `${row.expiresAt} ${row.threshold} ${row.state}`);
}
const claimedFor = (stored: StoredContract) => claimed(keys.contract(stored.contract.contractId).pk);

describe('daily expiry notices on DynamoDB Local (R10, R13)', () => {
  it('mails each license in its due bracket (60 for 31–60 days, 30 for 8–30, 7 for 0–7) and none at 61 days', async () => {
    // Arrange: one business in UTC, licenses at 61, 60, 45, 30, 8, 7 and 1 days.
    const owner = await business('UTC');
    const at = async (days: number) => ({ days, stored: await contract(owner, inDays(days)) });
    const licenses = [
      await at(61),
      await at(60),
      await at(45),
      await at(30),
      await at(8),
      await at(7),
      await at(1),
    ];

    // Act
    const report = await dailyRun();

    // Assert
    expect(report.expiry).toEqual({ examined: 7, due: 6, sent: 6, alreadySent: 0, failed: 0, skipped: 0 });
    const expected: Record<number, { threshold: number | undefined; when: string; reminder: string }> = {
      61: { threshold: undefined, when: '', reminder: '' },
      60: {
        threshold: 60,
        when: 'in 60 days, on Friday, 31 July 2026 at 12:00 (UTC time)',
        reminder: 'We will remind you again 30 and 7 days before that date.',
      },
      45: {
        threshold: 60,
        when: 'in 45 days, on Thursday, 16 July 2026 at 12:00 (UTC time)',
        reminder: 'We will remind you again 30 and 7 days before that date.',
      },
      30: {
        threshold: 30,
        when: 'in 30 days, on Wednesday, 1 July 2026 at 12:00 (UTC time)',
        reminder: 'We will remind you again 7 days before that date.',
      },
      8: {
        threshold: 30,
        when: 'in 8 days, on Tuesday, 9 June 2026 at 12:00 (UTC time)',
        reminder: 'We will remind you again 7 days before that date.',
      },
      7: {
        threshold: 7,
        when: 'in 7 days, on Monday, 8 June 2026 at 12:00 (UTC time)',
        reminder: 'This is the last reminder for this term.',
      },
      1: {
        threshold: 7,
        when: 'tomorrow, on Tuesday, 2 June 2026 at 12:00 (UTC time)',
        reminder: 'This is the last reminder for this term.',
      },
    };
    for (const { days, stored } of licenses) {
      const want = expected[days];
      const { contractId, expiresAt } = stored.contract;
      const sent = mailsAbout(contractId);
      if (!want?.threshold) {
        expect(sent, `${days} days`).toEqual([]);
        expect(await claimedFor(stored)).toEqual([]);
        continue;
      }
      expect(sent, `${days} days`).toHaveLength(1);
      expect(sent[0]?.to).toBe(owner.primaryEmail);
      expect(sent[0]?.subject).toBe(`Your Example Platform license expires ${want.when.split(', on')[0]}`);
      expect(sent[0]?.text).toContain(`The Example Platform license of ${owner.name} expires ${want.when}.`);
      expect(sent[0]?.text).toContain(want.reminder);
      expect(sent[0]?.text).toContain(`Your licenses: ${CONSOLE}`);
      expect(await claimedFor(stored)).toEqual([`${expiresAt} ${want.threshold} sent`]);
    }
  });

  it("decides the bracket in each business's time zone: one expiry instant, other dates in Tokyo and Los Angeles (R8)", async () => {
    // Arrange: both businesses hold licenses ending at the same two instants.
    const tokyo = await business('Asia/Tokyo');
    const losAngeles = await business('America/Los_Angeles');
    // 16:00 UTC: 1 August 01:00 in Tokyo (61 days), 31 July 09:00 in Los Angeles (60 days).
    const edge60 = new Date('2026-07-31T16:00:00.000Z');
    // 9 June 01:00 in Tokyo (8 days), 8 June 09:00 in Los Angeles (7 days).
    const edge7 = new Date('2026-06-08T16:00:00.000Z');
    const tokyo60 = await contract(tokyo, edge60);
    const tokyo7 = await contract(tokyo, edge7);
    const la60 = await contract(losAngeles, edge60);
    const la7 = await contract(losAngeles, edge7);

    // Act
    await dailyRun();

    // Assert
    expect(mailsAbout(tokyo60.contract.contractId)).toEqual([]);
    expect(await claimedFor(tokyo60)).toEqual([]);
    expect(await claimedFor(tokyo7)).toEqual([`${edge7.toISOString()} 30 sent`]);
    expect(mailsAbout(tokyo7.contract.contractId).map((m) => [m.to, m.subject])).toEqual([
      [tokyo.primaryEmail, 'Your Example Platform license expires in 8 days'],
    ]);
    expect(mailsAbout(tokyo7.contract.contractId)[0]?.text).toContain(
      'on Tuesday, 9 June 2026 at 01:00 (Asia/Tokyo time)',
    );
    expect(await claimedFor(la60)).toEqual([`${edge60.toISOString()} 60 sent`]);
    expect(mailsAbout(la60.contract.contractId)[0]?.text).toContain(
      'expires in 60 days, on Friday, 31 July 2026 at 09:00 (America/Los_Angeles time)',
    );
    expect(await claimedFor(la7)).toEqual([`${edge7.toISOString()} 7 sent`]);
    expect(mailsAbout(la7.contract.contractId).map((m) => [m.to, m.subject])).toEqual([
      [losAngeles.primaryEmail, 'Your Example Platform license expires in 7 days'],
    ]);
    expect(mailsAbout(la7.contract.contractId)[0]?.text).toContain(
      'on Monday, 8 June 2026 at 09:00 (America/Los_Angeles time)',
    );
  });

  it('sends each notice once when two runs go at the same time, and nothing on a rerun the same day', async () => {
    // Arrange
    const first = await business('Europe/Berlin');
    const second = await business('UTC');
    const licenses = [
      await contract(first, inDays(50)),
      await contract(first, inDays(20)),
      await contract(second, inDays(3)),
    ];

    // Act
    const [a, b] = await Promise.all([dailyRun(), dailyRun()]);
    const sentAtOnce = toBusinesses().length;
    now = new Date(NOW.getTime() + 10 * HOUR);
    const rerun = await dailyRun();

    // Assert
    expect(sentAtOnce).toBe(3);
    expect((a.expiry?.sent ?? 0) + (b.expiry?.sent ?? 0)).toBe(3);
    expect((a.expiry?.alreadySent ?? 0) + (b.expiry?.alreadySent ?? 0)).toBe(3);
    for (const stored of licenses) expect(mailsAbout(stored.contract.contractId)).toHaveLength(1);
    expect(rerun.expiry).toMatchObject({ examined: 3, due: 3, sent: 0, alreadySent: 3 });
    expect(toBusinesses()).toHaveLength(3);
  });

  it('sends the 30-day notice once when the days left go from 45 to 29, and the 7-day one at 6', async () => {
    // Arrange
    const owner = await business('UTC');
    const stored = await contract(owner, inDays(45));
    const { contractId, expiresAt } = stored.contract;

    // Act: day 0, day 16 twice, day 39.
    await dailyRun();
    now = new Date(NOW.getTime() + 16 * DAY);
    await dailyRun();
    await dailyRun();
    now = new Date(NOW.getTime() + 39 * DAY);
    await dailyRun();

    // Assert
    expect(subjects(contractId)).toEqual([
      'Your Example Platform license expires in 45 days',
      'Your Example Platform license expires in 29 days',
      'Your Example Platform license expires in 6 days',
    ]);
    expect(mailsAbout(contractId)[2]?.text).toContain('This is the last reminder for this term.');
    expect(await claimedFor(stored)).toEqual([
      `${expiresAt} 7 sent`,
      `${expiresAt} 30 sent`,
      `${expiresAt} 60 sent`,
    ]);
  });

  it('starts the notices again for the new term after a renewal, although the old term had its 30-day one (R13)', async () => {
    // Arrange: the old term's 60- and 30-day notices go out.
    const owner = await business('UTC');
    const stored = await contract(owner, inDays(45));
    const { contractId, expiresAt: oldExpiry } = stored.contract;
    await dailyRun();
    now = new Date(NOW.getTime() + 20 * DAY);
    await dailyRun();
    const renewed = inDays(75);
    await contracts().save(renewal(stored, renewed, now));

    // Act: the same day, 55 days before the new expiry.
    const report = await dailyRun();

    // Assert
    expect(report.expiry).toMatchObject({ examined: 1, due: 1, sent: 1 });
    expect(subjects(contractId)).toEqual([
      'Your Example Platform license expires in 45 days',
      'Your Example Platform license expires in 25 days',
      'Your Example Platform license expires in 55 days',
    ]);
    expect(mailsAbout(contractId)[2]?.text).toContain('on Saturday, 15 August 2026 at 12:00 (UTC time)');
    expect(mailsAbout(contractId)[2]?.text).toContain(
      'We will remind you again 30 and 7 days before that date.',
    );
    expect(await claimedFor(stored)).toEqual([
      `${oldExpiry} 30 sent`,
      `${oldExpiry} 60 sent`,
      `${renewed.toISOString()} 60 sent`,
    ]);
  });

  it('says that an auto-renewing contract renews automatically, and one that does not that it expires (R1)', async () => {
    // Arrange
    const owner = await business('UTC');
    const renewing = await contract(owner, inDays(30), { autoRenew: true });
    const ending = await contract(owner, inDays(30));

    // Act
    await dailyRun();

    // Assert
    const [renews] = mailsAbout(renewing.contract.contractId);
    expect(renews?.subject).toBe('Your Example Platform license renews automatically in 30 days');
    expect(renews?.text).toContain(
      `The Example Platform license of ${owner.name} renews automatically on Wednesday, 1 July 2026 at 12:00 (UTC time), in 30 days.`,
    );
    expect(renews?.text).toContain('change the renewal setting of the subscription on AWS Marketplace');
    const [expires] = mailsAbout(ending.contract.contractId);
    expect(expires?.subject).toBe('Your Example Platform license expires in 30 days');
    expect(expires?.text).not.toContain('renews automatically');
    expect(expires?.text).toContain('renew the subscription on AWS Marketplace before that date');
  });

  it('mails nothing about a contract waiting for setup, one whose term expired, or one whose expiry passed an hour ago', async () => {
    // Arrange: beside them, one activated license 20 days from expiry.
    const owner = await business('UTC');
    const elsewhere = await business('UTC');
    const pending = await contract(undefined, inDays(20));
    const expired = await contract(owner, new Date(NOW.getTime() - DAY), { term: 'expired' });
    const lapsed = await contract(elsewhere, new Date(NOW.getTime() - HOUR));
    const live = await contract(owner, inDays(20));

    // Act
    const report = await dailyRun();

    // Assert
    expect(report.expiry).toEqual({ examined: 1, due: 1, sent: 1, alreadySent: 0, failed: 0, skipped: 0 });
    expect(toBusinesses().map((m) => [m.to, m.subject])).toEqual([
      [owner.primaryEmail, 'Your Example Platform license expires in 20 days'],
    ]);
    expect(mailsAbout(live.contract.contractId)).toHaveLength(1);
    for (const stored of [pending, expired, lapsed]) {
      expect(mailsAbout(stored.contract.contractId)).toEqual([]);
      expect(await claimedFor(stored)).toEqual([]);
    }
  });

  it('mails the expiry of a license from another channel as well (R2, R10)', async () => {
    // Arrange
    const owner = await business('UTC');
    const reference = 'deal-2026-0042';
    await ledgers().addDirectLicense(
      {
        reference,
        businessId: owner.businessId,
        productCode: CREDITS_PRODUCT,
        credits: 250,
        expiresAt: inDays(20).toISOString(),
        createdAt: new Date(NOW.getTime() - 10 * DAY).toISOString(),
      },
      { primaryEmail: owner.primaryEmail, businessName: owner.name },
      new Date(NOW.getTime() - 10 * DAY),
    );

    // Act
    const report = await dailyRun();

    // Assert
    expect(report.expiry).toMatchObject({ examined: 1, sent: 1 });
    const [mail] = mailsAbout(reference);
    expect(mail?.to).toBe(owner.primaryEmail);
    expect(mail?.subject).toBe('Your Example Platform license expires in 20 days');
    expect(mail?.text).toContain(`License: ${reference} (not bought on AWS Marketplace)`);
    expect(mail?.text).toContain('Credits: 250');
    expect(mail?.text).toContain('ask your sales representative to renew it');
    expect(await claimed(keys.directLicense(reference).pk)).toEqual([`${inDays(20).toISOString()} 30 sent`]);
  });
});

describe('daily sales digest and lapsed ledgers on DynamoDB Local (R4, R9, R2)', () => {
  it('lists setups stuck past four hours and over-allocated businesses once a day', async () => {
    // Arrange: purchases 5 h and 1 h old, and a business whose contract was cut below its allocations.
    const stuck = await contract(undefined, inDays(365), { createdAt: new Date(NOW.getTime() - 5 * HOUR) });
    const fresh = await contract(undefined, inDays(365), { createdAt: new Date(NOW.getTime() - HOUR) });
    const owner = await business('UTC');
    const twoDaysAgo = new Date(NOW.getTime() - 2 * DAY);
    const held = await contract(owner, inDays(365), { credits: 100, createdAt: twoDaysAgo });
    await ledgers().setAllocation(
      owner.businessId,
      { service: 'endpoint-security', productCode: CREDITS_PRODUCT, units: 25, creditsPerUnit: 3 },
      twoDaysAgo,
    );
    await contracts().save(creditsChange(held, 30, new Date(NOW.getTime() - DAY)));

    // Act
    const first = await dailyRun();
    now = new Date(NOW.getTime() + 2 * HOUR);
    const second = await dailyRun();

    // Assert
    expect(first.digest).toEqual({ stuck: 1, overAllocated: 1, mailed: 1 });
    const digests = mails.filter((m) => m.to === SALES);
    expect(digests).toHaveLength(1);
    const [digest] = digests;
    expect(digest?.subject).toBe(
      'Example Platform sales digest 2026-06-01: 1 setup stuck, 1 business over-allocated',
    );
    expect(digest?.text).toContain(stuck.contract.contractId);
    expect(digest?.text).toContain('5.0 h');
    expect(digest?.text).not.toContain(fresh.contract.contractId);
    expect(digest?.text).toMatch(new RegExp(`${owner.businessId}.*45 credits`));
    expect(second.digest).toEqual({ stuck: 1, overAllocated: 1, mailed: 0 });
  });

  it('mails no digest on a day with nothing to report', async () => {
    // Arrange: one business with a healthy, activated license.
    const owner = await business('UTC');
    await contract(owner, inDays(365));

    // Act
    const report = await dailyRun();

    // Assert
    expect(report.digest).toEqual({ stuck: 0, overAllocated: 0, mailed: 0 });
    expect(mails).toEqual([]);
  });

  it('writes down a ledger whose source lapsed, tells the business it is now over-allocated, and refreshes nothing the second time', async () => {
    // Arrange: 100 credits ending an hour ago and 50 still running, 80 allocated since ten days ago.
    const owner = await business('UTC');
    const tenDaysAgo = new Date(NOW.getTime() - 10 * DAY);
    const lapsing = await contract(owner, new Date(NOW.getTime() - HOUR), {
      credits: 100,
      createdAt: tenDaysAgo,
    });
    await contract(owner, inDays(200), { credits: 50, createdAt: tenDaysAgo });
    await ledgers().setAllocation(
      owner.businessId,
      { service: 'svc-000', productCode: CREDITS_PRODUCT, units: 80, creditsPerUnit: 1 },
      tenDaysAgo,
    );
    const before = await ledgers().get(owner.businessId);
    expect(before).toMatchObject({ total: 150, balance: 70 });

    // Act
    const first = await dailyRun();
    const written = await ledgers().get(owner.businessId);
    const second = await dailyRun();

    // Assert
    expect(first.lapsed).toEqual({ refreshed: 1, failed: 0 });
    expect(written).toMatchObject({
      total: 50,
      allocated: 80,
      balance: -30,
      overAllocatedSince: lapsing.contract.expiresAt,
      revision: (before?.revision ?? 0) + 1,
    });
    expect(written?.sources).not.toHaveProperty(lapsing.contract.contractId);
    expect(overAllocatedNotices.map((l) => l.businessId)).toEqual([owner.businessId]);
    expect(first.digest).toMatchObject({ overAllocated: 1, mailed: 1 });
    expect(second.lapsed).toEqual({ refreshed: 0, failed: 0 });
    expect((await ledgers().get(owner.businessId))?.revision).toBe(written?.revision);
    expect(overAllocatedNotices).toHaveLength(1);
  });
});

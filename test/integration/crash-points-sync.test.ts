import { Logger } from '@aws-lambda-powertools/logger';
import type { MarketplaceEntitlementServiceClient } from '@aws-sdk/client-marketplace-entitlement-service';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMarketplaceEventsHandler } from '../../functions/marketplace-events/create-handler.js';
import { createDocumentClient } from '../../lib/adapters/dynamodb/client.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createLedgerStore } from '../../lib/adapters/dynamodb/ledger-store.js';
import type { Row } from '../../lib/adapters/dynamodb/rows.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { createEntitlementClient } from '../../lib/adapters/marketplace/clients.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { contractIdOf } from '../../lib/domain/contract/identity.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import {
  type License,
  MarketplaceSimulator,
  type RunningSimulator,
} from '../../local/marketplace-simulator/index.js';
import {
  crashSeed,
  describeKill,
  type KillPoint,
  killPoints,
  processes,
  seededRandom,
} from '../support/crash/process-death.js';
import {
  canonical,
  contractRows,
  summaryViolations,
  tableViolations,
} from '../support/crash/table-invariants.js';
import { restoreTable, scanTable } from '../support/crash/table-snapshot.js';
import { type EventFixture, FIXTURE, fixtureBody, sqsEvent, sqsRecord } from '../support/events.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * Crash points of the marketplace-events sync (issue 12, item 17). The handler's process is
 * killed at a boundary of one of its AWS calls (before it is sent, or after it was answered with
 * the answer lost: for TransactWriteItems a commit whose response never came back), the same
 * SQS record is redelivered to fresh handlers, and the table must then be exactly what a run
 * without the crash leaves, and consistent at every moment in between.
 */

const SEED = crashSeed(0x5eed_0017);
/** Kills per scenario: every kill point once, then random chains of kills until there were this many. */
const KILLS_PER_SCENARIO = 28;
/** The sales summary (100 ms a read on DynamoDB Local) is checked after every this many trials' redelivery. */
const SALES_EVERY = 5;
const MIN_KILLS = 200;
const WRITES = new Set(['TransactWriteCommand', 'PutCommand', 'UpdateCommand', 'DeleteCommand']);

const OTHER_PRODUCT = 'b2c3d4e5f6credits0example';
const catalog: ProductCatalog = {
  products: [
    {
      productCode: FIXTURE.productCode,
      productId: FIXTURE.productId,
      creditsPerUnit: { Credits: 1, CreditPack: 100 },
    },
    { productCode: OTHER_PRODUCT },
  ],
};
const productCodes = catalog.products.map((p) => p.productCode);
const NOW = new Date('2026-03-29T05:12:20.000Z');
const clock = { now: () => new Date(NOW) };
const MONTH = 30 * 24 * 3600 * 1000;
const SECOND_LICENSE = 'arn:aws:license-manager::111122223333:license:l-fedcba9876543210fedcba9876543210';

const simulator = new MarketplaceSimulator({ now: clock.now });
let running: RunningSimulator;
const logger = new Logger({ serviceName: 'marketplace-events', logLevel: 'SILENT' });

/** The same record every time (same message id): the audit's trigger is part of what must match. */
const record = (name: EventFixture, id: string): SQSRecord =>
  sqsRecord(fixtureBody(name), { messageId: `00000000-0000-4000-8000-crash${id.padStart(7, '0')}` });

function license(licenseArn: string, quantities: Record<string, number>, legacy: boolean) {
  simulator.putLicense({
    licenseArn,
    productCode: FIXTURE.productCode,
    customerAWSAccountId: FIXTURE.accountId,
    ...(legacy ? { customerIdentifier: FIXTURE.customerIdentifier } : {}),
    entitlements: Object.entries(quantities).map(([dimension, quantity]) => ({
      dimension,
      quantity,
      expirationDate: new Date(NOW.getTime() + 12 * MONTH),
    })),
  });
}

interface Scenario {
  readonly name: string;
  /** The marketplace, and the notifications already synced without a fault. */
  readonly before: (deliver: (r: SQSRecord) => Promise<void>, table: TestTable) => Promise<void>;
  /** What the buyer did at the marketplace since. */
  readonly change: () => void;
  /** The notification whose sync is killed. */
  readonly notification: SQSRecord;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'first purchase (SNS entitlement-updated, legacy customer)',
    before: async () => license(FIXTURE.licenseArn, { Credits: 500, CreditPack: 2 }, true),
    change: () => undefined,
    notification: record('sns/entitlement-updated', '1'),
  },
  {
    name: 'first purchase (License Updated, by account)',
    before: async () => license(FIXTURE.licenseArn, { Credits: 500 }, false),
    change: () => undefined,
    notification: record('eventbridge/license-updated', '2'),
  },
  {
    name: 'upgrade (R6)',
    before: async (deliver) => {
      license(FIXTURE.licenseArn, { Credits: 500 }, false);
      await deliver(record('eventbridge/license-updated', '30'));
    },
    change: () => simulator.upgrade(FIXTURE.licenseArn, { Credits: 250 }),
    notification: record('eventbridge/license-updated', '31'),
  },
  {
    name: 'renewal (R13, Agreement Created renewal)',
    before: async (deliver) => {
      license(FIXTURE.licenseArn, { Credits: 500, CreditPack: 1 }, false);
      await deliver(record('eventbridge/license-updated', '40'));
    },
    change: () => simulator.renew(FIXTURE.licenseArn, { months: 12 }),
    notification: record('eventbridge/agreement-created-renewal-manufacturer', '41'),
  },
  {
    name: 'renewal with fewer credits (items superseded)',
    before: async (deliver) => {
      license(FIXTURE.licenseArn, { Credits: 500 }, false);
      await deliver(record('eventbridge/license-updated', '50'));
      simulator.upgrade(FIXTURE.licenseArn, { Credits: 200 });
      await deliver(record('eventbridge/license-updated', '51'));
    },
    change: () => simulator.renew(FIXTURE.licenseArn, { months: 12, quantities: { Credits: 300 } }),
    notification: record('eventbridge/license-updated', '52'),
  },
  {
    name: 'cancellation (License Deprovisioned)',
    before: async (deliver) => {
      license(FIXTURE.licenseArn, { Credits: 500 }, false);
      await deliver(record('eventbridge/license-updated', '60'));
    },
    change: () => simulator.cancel(FIXTURE.licenseArn),
    notification: record('eventbridge/license-deprovisioned', '61'),
  },
  {
    name: 'cancellation (SNS unsubscribe-success, legacy customer)',
    before: async (deliver) => {
      license(FIXTURE.licenseArn, { Credits: 10 }, true);
      await deliver(record('sns/subscribe-success', '70'));
    },
    change: () => simulator.cancel(FIXTURE.licenseArn),
    notification: record('sns/unsubscribe-success', '71'),
  },
  {
    name: "two contracts of one buyer end (Agreement Ended: every product, the buyer's account)",
    before: async (deliver) => {
      license(FIXTURE.licenseArn, { Credits: 500 }, false);
      license(SECOND_LICENSE, { Credits: 40 }, false);
      await deliver(record('eventbridge/agreement-created-proposer', '80'));
    },
    change: () => {
      simulator.cancel(FIXTURE.licenseArn);
      simulator.cancel(SECOND_LICENSE);
    },
    notification: record('eventbridge/agreement-ended-proposer', '81'),
  },
  {
    name: 'renewal of an activated contract with fewer credits than its services hold (ledger, over-allocated)',
    before: async (deliver, table) => {
      license(FIXTURE.licenseArn, { Credits: 500 }, false);
      await deliver(record('eventbridge/license-updated', '90'));
      await activateAndAllocate(table, 400);
    },
    change: () => simulator.renew(FIXTURE.licenseArn, { months: 12, quantities: { Credits: 300 } }),
    notification: record('eventbridge/license-updated', '91'),
  },
];

/** The setup's activation of the fixture's contract by one business, and 400 credits allocated (R2, R9). */
async function activateAndAllocate(table: TestTable, credits: number): Promise<void> {
  const documents = { client: table.client, tableName: table.tableName };
  const contractId = contractIdOf({
    kind: 'license',
    productCode: FIXTURE.productCode,
    licenseId: FIXTURE.licenseId,
  });
  const stored = await createContractStore(documents).load(contractId);
  if (!stored) throw new Error('no contract to activate');
  const at = NOW.toISOString();
  const session = {
    sessionKey: 'crash-activation',
    contractId,
    productCode: FIXTURE.productCode,
    freeTrialOffer: false,
    createdAt: at,
    expiresAt: new Date(NOW.getTime() + 4 * 3600 * 1000).toISOString(),
    step: 'review' as const,
    csrfToken: 'c'.repeat(43),
    email: 'owner@example.com',
    businessId: 'biz-crash',
    businessName: 'Crash Co',
    version: 1,
  };
  const setups = createSetupStore(documents);
  await setups.createSession(session);
  const { contract } = stored;
  const snapshot = { activeCredits: contract.activeCredits, expiresAt: contract.expiresAt };
  const failure = await setups.activate({
    session,
    stored,
    ledger: undefined,
    contractId,
    expectedContractVersion: contract.version,
    businessId: 'biz-crash',
    at,
    audit: {
      contractId,
      version: contract.version + 1,
      at,
      changes: [{ type: 'activated', businessId: 'biz-crash', email: 'owner@example.com' }],
      trigger: { source: 'setup', type: 'activation', id: 'crash-activation', at },
      before: { status: 'pending-setup', ...snapshot },
      after: { status: 'active', ...snapshot },
    },
  });
  if (failure) throw new Error(`activation failed: ${failure.conflict}`);
  await createLedgerStore(documents).setAllocation(
    'biz-crash',
    { service: 'endpoint-security', productCode: FIXTURE.productCode, units: credits, creditsPerUnit: 1 },
    NOW,
  );
}

let documents: DynamoDBDocumentClient;
let marketplace: MarketplaceEntitlementServiceClient;
let world: ReturnType<typeof processes>;

/** The handler as Lambda would run it, over the clients whose calls the kills count. */
function handlerOver(table: TestTable) {
  const handler = createMarketplaceEventsHandler({
    catalog,
    contracts: createContractStore({ client: documents, tableName: table.tableName }),
    entitlementsFor: (remainingMs) =>
      createEntitlementReader({
        client: marketplace,
        retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, reserveMs: 1000, remainingMs },
      }),
    clock,
    logger,
  });
  /** One delivery of `r`, as a process of its own that dies at `kill`. */
  return (r: SQSRecord, kill?: KillPoint) => world.run(kill, () => handler(sqsEvent(r), lambdaContext()));
}

/** The scenario's world just before its notification: the table's rows and the marketplace's licenses. */
interface Stage {
  readonly table: TestTable;
  readonly deliver: ReturnType<typeof handlerOver>;
  readonly rows: Row[];
  readonly licenses: License[];
  /** The table as last scanned: where the next restore starts from. */
  present: Row[];
}

async function stage(scenario: Scenario): Promise<Stage> {
  for (const l of simulator.listLicenses()) simulator.deleteLicense(l.licenseArn);
  const table = await createTestTable(inject('dynamoEndpoint'));
  const deliver = handlerOver(table);
  await scenario.before(async (r) => {
    const { result } = await deliver(r);
    if (result.batchItemFailures.length > 0) throw new Error(`clean delivery of ${r.messageId} failed`);
  }, table);
  scenario.change();
  const rows = await scanTable(table.client, table.tableName);
  return { table, deliver, rows, licenses: simulator.listLicenses(), present: rows };
}

async function restore(s: Stage): Promise<void> {
  for (const l of simulator.listLicenses()) simulator.deleteLicense(l.licenseArn);
  for (const l of s.licenses) simulator.putLicense(l);
  await restoreTable(s.table.client, s.table.tableName, s.rows, s.present);
  s.present = s.rows;
}

async function violationsOf(table: TestTable, rows: readonly Row[], withSales: boolean): Promise<string[]> {
  return [
    ...tableViolations(rows),
    ...(withSales ? await summaryViolations(table.client, table.tableName, rows, productCodes, NOW) : []),
  ];
}

const versionsOf = (rows: readonly Row[]) =>
  new Map(rows.filter((r) => r.sk === 'CONTRACT').map((r) => [String(r.pk), Number(r.version)]));

/** The fault-free result of a scenario, and the AWS calls its notification's sync makes. */
interface Reference {
  readonly rows: Row[];
  readonly calls: string[];
}

async function reference(s: Stage, scenario: Scenario): Promise<Reference> {
  await restore(s);
  const { invocation, result } = await s.deliver(scenario.notification);
  if (result.batchItemFailures.length > 0) throw new Error(`fault-free ${scenario.name} failed`);
  const rows = await scanTable(s.table.client, s.table.tableName);
  s.present = rows;
  const violations = await violationsOf(s.table, rows, true);
  if (violations.length > 0)
    throw new Error(`fault-free ${scenario.name} is inconsistent:\n${violations.join('\n')}`);
  return { rows: contractRows(rows), calls: invocation.calls };
}

/**
 * One trial: the notification's sync dies at each kill of `chain` in turn (each a new delivery
 * of the same record), then is redelivered without faults (`copies` at once, as SQS may). The
 * table is checked after every delivery, and must end as the fault-free run left it. With
 * `checks.sales` the sales summary is checked too (100 ms a read); with `checks.idempotence`
 * one more delivery must write nothing. Returns what went wrong, and how many kills really
 * happened (a later kill of a chain may lie beyond what the redelivery still does).
 */
async function trial(
  s: Stage,
  scenario: Scenario,
  ref: Reference,
  chain: readonly KillPoint[],
  copies: number,
  checks: { readonly sales: boolean; readonly idempotence: boolean },
): Promise<{ problems: string[]; kills: number }> {
  const problems: string[] = [];
  let kills = 0;
  await restore(s);
  let versions = versionsOf(s.rows);
  /** Checks the table; answers how many contracts the delivery just before it changed. */
  const check = async (moment: string, sales: boolean) => {
    const rows = await scanTable(s.table.client, s.table.tableName);
    s.present = rows;
    const violations = await violationsOf(s.table, rows, sales);
    const next = versionsOf(rows);
    for (const [pk, version] of versions) {
      const now = next.get(pk);
      if (now === undefined || now < version) violations.push(`${pk}: version ${version} went to ${now}`);
    }
    const changed = [...next].filter(([pk, version]) => version > (versions.get(pk) ?? 0)).length;
    versions = next;
    problems.push(...violations.map((v) => `${moment}: ${v}`));
    return { rows, changed };
  };

  for (const [n, kill] of chain.entries()) {
    const { invocation, result } = await s.deliver(scenario.notification, kill);
    if (invocation.diedAt) {
      kills += 1;
      if (!result.batchItemFailures.some((f) => f.itemIdentifier === scenario.notification.messageId))
        problems.push(`delivery ${n + 1} died ${describeKill(kill)} but the record was acknowledged`);
    }
    const what = invocation.diedAt
      ? `died ${describeKill(kill)}, ${invocation.diedAt.command}`
      : 'ran to the end';
    const { changed } = await check(`after delivery ${n + 1} (${what})`, false);
    // The kill itself: a commit whose answer was lost has landed, one killed before it has not.
    if (invocation.diedAt) {
      const sent = invocation.calls.slice(0, kill.when === 'before' ? kill.call - 1 : kill.call);
      const commits = sent.filter((c) => c === 'TransactWriteItemsCommand').length;
      if (changed !== commits)
        problems.push(
          `delivery ${n + 1} died ${describeKill(kill)} after ${commits} commit(s), but ${changed} contract(s) changed`,
        );
    }
  }

  const redeliveries = await Promise.all(
    Array.from({ length: copies }, () => s.deliver(scenario.notification)),
  );
  if (redeliveries.some(({ result }) => result.batchItemFailures.length > 0))
    problems.push(`a clean redelivery (${copies} at once) reported a batch item failure`);
  const got = contractRows((await check('after the clean redelivery', checks.sales)).rows);
  if (canonical(got) !== canonical(ref.rows)) {
    const refKeys = new Map(ref.rows.map((r) => [`${r.pk}|${r.sk}`, canonical(r)]));
    const gotKeys = new Map(got.map((r) => [`${r.pk}|${r.sk}`, canonical(r)]));
    for (const key of new Set([...refKeys.keys(), ...gotKeys.keys()])) {
      if (refKeys.get(key) !== gotKeys.get(key))
        problems.push(
          `differs from the fault-free run at ${key}: ${gotKeys.get(key) ?? 'missing'} vs ${refKeys.get(key) ?? 'absent'}`,
        );
    }
  }

  if (!checks.idempotence) return { problems, kills };
  const again = await s.deliver(scenario.notification);
  if (again.result.batchItemFailures.length > 0) problems.push('a further redelivery failed');
  const writes = again.invocation.calls.filter((c) => WRITES.has(c));
  if (writes.length > 0) problems.push(`a further redelivery wrote again: ${writes.join(', ')}`);
  return { problems, kills };
}

const flows: string[] = [];
let killsInAll = 0;
let calls: string[] = [];
let pointsInAll = 0;
const inconsistencies: string[] = [];

beforeAll(async () => {
  running = await simulator.start();
  documents = createDocumentClient({ endpoint: inject('dynamoEndpoint'), region: 'us-east-1' });
  marketplace = createEntitlementClient({ endpoint: running.endpoint });
  world = processes([documents, marketplace]);
});
afterAll(async () => {
  documents.destroy();
  marketplace.destroy();
  await running.close();
  console.info(
    `crash points (sync): seed ${SEED}, ${pointsInAll} kill points in ${SCENARIOS.length} flows, ${killsInAll} kills, ${inconsistencies.length} inconsistencies\n  ${flows.join('\n  ')}`,
  );
});

describe('marketplace-events sync killed at every call boundary', () => {
  it.each(SCENARIOS.map((s, i) => [s.name, s, i] as const))(
    'converges to the fault-free contract, audit trail and summary after a crash during %s',
    async (_name, scenario, index) => {
      // Arrange
      const s = await stage(scenario);
      const failures: string[] = [];
      try {
        const ref = await reference(s, scenario);
        const points = killPoints(ref.calls.length);
        pointsInAll += points.length;
        flows.push(`${scenario.name}: ${points.length} points (${ref.calls.join(', ')})`);
        const random = seededRandom(SEED + index);
        calls = ref.calls;

        // Act: every kill point once, then random chains (a redelivery may die again, anywhere)
        // until the scenario has had its share of kills.
        let kills = 0;
        for (let n = 0; n < points.length || kills < KILLS_PER_SCENARIO; n++) {
          const chain =
            n < points.length
              ? [points[n] as KillPoint]
              : Array.from({ length: 1 + random.int(3) }, () => random.pick(points));
          const copies = n < points.length ? 1 : 1 + random.int(2);
          const outcome = await trial(s, scenario, ref, chain, copies, {
            sales: n % SALES_EVERY === 0,
            idempotence: n < points.length,
          });
          kills += outcome.kills;
          const label = `seed ${SEED}, trial ${n}, kills [${chain.map(describeKill).join(', ')}], ${copies} redelivery copies`;
          failures.push(...outcome.problems.map((p) => `${label}: ${p}`));
        }
        killsInAll += kills;
        inconsistencies.push(...failures);
      } finally {
        await s.table.drop();
      }

      // Assert
      expect(failures, `calls of the flow: ${calls.join(', ')}; replay with CRASH_SEED=${SEED}`).toEqual([]);
    },
  );

  it(`killed the sync at least ${MIN_KILLS} times`, () => {
    expect(killsInAll).toBeGreaterThanOrEqual(MIN_KILLS);
  });
});

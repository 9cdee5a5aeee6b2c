import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeSecrets } from '../../lib/adapters/crypto/node-secrets.js';
import { createBudgetCounter } from '../../lib/adapters/dynamodb/budgets.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import { createLedgerReader } from '../../lib/adapters/dynamodb/ledger-store.js';
import { createOrderStore } from '../../lib/adapters/dynamodb/order-store.js';
import { createSetupStore } from '../../lib/adapters/dynamodb/setup-store.js';
import { drawCode, parseCode } from '../../lib/domain/codes/codes.js';
import {
  CodeLookupLimitError,
  CodeReplacedError,
  InvalidCodeError,
  InvalidOrderError,
  OrderConflictError,
  OrderConflictsError,
  OrderRegisteredError,
} from '../../lib/domain/orders/errors.js';
import { importOrder } from '../../lib/domain/orders/import-order.js';
import type { OrderInput } from '../../lib/domain/orders/model.js';
import {
  lookupCode,
  type RegistrationDeps,
  registerOrder,
  startRegistration,
} from '../../lib/domain/orders/register-order.js';
import { TooManyRequestsError } from '../../lib/domain/setup/errors.js';
import type { SetupSession } from '../../lib/domain/setup/model.js';
import {
  activatedContract,
  CREDITS_PRODUCT,
  creation,
  creditsCatalog,
  registerBusiness,
} from '../support/credits.js';
import { seededRandom } from '../support/random.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * Orders from other channels and their codes on DynamoDB Local (R11, R12): an import is
 * idempotent, keys are unique (a collision draws again), a registration is one transaction
 * that exactly one of two racing buyers wins, lookups hold their wrong-code budget under
 * parallel requests, and every license item gets an Activation Code.
 */

const NOW = new Date('2026-06-01T10:00:00.000Z');
const clock = { now: () => NOW };
let table: TestTable;

const order = (orderId: string, lines = 2): OrderInput => ({
  orderId,
  company: { name: 'Example GmbH', country: 'DE' },
  lines: Array.from({ length: lines }, (_, i) => ({
    productCode: CREDITS_PRODUCT,
    service: i % 2 === 0 ? 'endpoint-security' : 'email-security',
    units: 10 * (i + 1),
    expiresAt: '2027-06-01T00:00:00Z',
  })),
});

function stores() {
  const documents = { client: table.client, tableName: table.tableName };
  const orders = createOrderStore(documents);
  return { orders, setups: createSetupStore(documents), ledgers: createLedgerReader(documents), documents };
}

function registrationDeps(random = seededRandom('registration'), overrides: Partial<RegistrationDeps> = {}) {
  const { orders, setups, ledgers, documents } = stores();
  const mails: { to: string; subject: string; text: string }[] = [];
  const deps: RegistrationDeps = {
    orders,
    codes: orders,
    setups,
    ledgers,
    budgets: createBudgetCounter(documents),
    catalog: creditsCatalog,
    clock,
    secrets: nodeSecrets,
    random,
    mailer: { send: async (m) => void mails.push(m) },
    logger: { error: () => undefined },
    productName: 'Example Platform',
    consoleUrl: 'https://console.example/',
    ...overrides,
  };
  return { deps, mails };
}

/** A session at review for a registered business, as the setup steps leave it. */
async function atReview(
  session: SetupSession,
  businessId: string,
  deps: RegistrationDeps,
): Promise<SetupSession> {
  const business = await registerBusiness(table, businessId);
  const next: SetupSession = {
    ...session,
    step: 'review',
    email: business.primaryEmail,
    businessId,
    businessName: business.name,
    version: session.version + 1,
  };
  await deps.setups.saveSession(next, session.version);
  return next;
}

beforeAll(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
});
afterAll(async () => {
  await table.drop();
});

describe('order import (R12)', () => {
  it('gives every line a well-formed Registration Key with its own code item, and changes nothing when imported again', async () => {
    const { orders } = stores();
    const deps = { orders, catalog: creditsCatalog, clock, random: seededRandom('import-1') };
    const first = await importOrder(order('SO-import-1', 3), deps);
    table.resetCalls();
    const again = await importOrder(order('SO-import-1', 3), { ...deps, random: seededRandom('other') });

    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, order: first.order });
    expect(table.writes()).toBe(0);
    expect(first.order.lines.map((l) => l.credits)).toEqual([30, 40, 90]); // units × rate (R14)
    for (const line of first.order.lines) {
      expect(parseCode(line.registrationKey)).toMatchObject({ ok: true, kind: 'registration-key' });
      const code = await table.client.send(
        new GetCommand({ TableName: table.tableName, Key: keys.code(line.registrationKey) }),
      );
      expect(code.Item).toMatchObject({
        state: 'valid',
        target: { kind: 'registration-key', orderId: 'SO-import-1', lineNo: line.lineNo },
      });
    }
  });

  it('refuses the same order id with other content, and lines the catalog or the calendar refuse', async () => {
    const { orders } = stores();
    const deps = { orders, catalog: creditsCatalog, clock, random: seededRandom('import-2') };
    await importOrder(order('SO-import-2'), deps);
    const changed = { ...order('SO-import-2'), company: { name: 'Someone Else' } };

    await expect(importOrder(changed, deps)).rejects.toBeInstanceOf(OrderConflictError);
    const bad: OrderInput = {
      orderId: 'SO-import-3',
      company: { name: 'X' },
      lines: [
        { productCode: 'nope', service: 'endpoint-security', credits: 5, expiresAt: '2027-01-01T00:00:00Z' },
        {
          productCode: CREDITS_PRODUCT,
          service: 'constructor',
          credits: 5,
          expiresAt: '2027-01-01T00:00:00Z',
        },
        { productCode: CREDITS_PRODUCT, service: 'endpoint-security', expiresAt: '2026-01-01T00:00:00Z' },
      ],
    };
    const error = await importOrder(bad, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOrderError);
    expect(Object.keys((error as InvalidOrderError).fields).sort()).toEqual([
      'lines[0].productCode',
      'lines[1].service',
      'lines[2].credits',
      'lines[2].expiresAt',
    ]);
    expect(await orders.get('SO-import-3')).toBeUndefined();
  });

  it('draws a key again when the drawn one exists already (R11: unique by a conditional put)', async () => {
    const { orders } = stores();
    // Both orders draw from the same repeatable source: the second one's first keys collide.
    const first = await importOrder(order('SO-collide-1', 1), {
      orders,
      catalog: creditsCatalog,
      clock,
      random: seededRandom('collide'),
    });
    const second = await importOrder(order('SO-collide-2', 1), {
      orders,
      catalog: creditsCatalog,
      clock,
      random: seededRandom('collide'),
    });

    expect(second.created).toBe(true);
    expect(second.order.lines[0]?.registrationKey).not.toBe(first.order.lines[0]?.registrationKey);
  });

  it('imports one order once when the same import arrives twice at the same moment', async () => {
    const { orders } = stores();
    const deps = { orders, catalog: creditsCatalog, clock };
    const results = await Promise.all([
      importOrder(order('SO-twice'), { ...deps, random: seededRandom('a') }),
      importOrder(order('SO-twice'), { ...deps, random: seededRandom('b') }),
    ]);

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results[0]?.order.lines).toEqual(results[1]?.order.lines);
  });
});

describe('code lookups (R11)', () => {
  it('refuses a mistyped code before any read, and holds the wrong-code budget under parallel guesses', async () => {
    const { deps } = registrationDeps();
    const imported = await importOrder(order('SO-lookup', 1), { ...deps, random: seededRandom('lookup') });
    const key = imported.order.lines[0]?.registrationKey ?? '';
    const typo = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    table.resetCalls();

    await expect(lookupCode(typo, 'client-a', deps)).rejects.toMatchObject({ reason: 'checksum' });
    expect(table.calls.size).toBe(0);
    // Thirty well-formed keys that do not exist, at once: at most ten are read.
    const guesses = Array.from({ length: 30 }, (_, i) => validUnknownKey(i));
    table.resetCalls();
    const outcomes = await Promise.allSettled(guesses.map((g) => lookupCode(g, 'client-b', deps)));
    const reasons = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as Error).constructor : undefined,
    );
    expect(reasons.filter((r) => r === InvalidCodeError)).toHaveLength(10);
    expect(reasons.filter((r) => r === CodeLookupLimitError)).toHaveLength(20);
    expect((table.calls.get('GetCommand') ?? 0) + (table.calls.get('GetItemCommand') ?? 0)).toBe(10);
    // The real key still works for another client, and a found key costs its client nothing.
    for (let i = 0; i < 12; i++)
      await expect(lookupCode(key.toLowerCase(), 'client-c', deps)).resolves.toBeDefined();
  });

  it('refuses a replaced code with a message that says so', async () => {
    const { deps } = registrationDeps();
    const imported = await importOrder(order('SO-replaced', 1), {
      ...deps,
      random: seededRandom('replaced'),
    });
    const key = imported.order.lines[0]?.registrationKey ?? '';
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.code(key),
        UpdateExpression: 'SET #s = :r',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':r': 'replaced' },
      }),
    );

    await expect(lookupCode(key, 'client-d', deps)).rejects.toBeInstanceOf(CodeReplacedError);
    await expect(startRegistration({ key, sourceAddress: '198.51.100.7' }, deps)).rejects.toThrow(/replaced/);
  });
});

/** The n-th well-formed Registration Key that no order has (a fixed prefix of nines is never drawn here). */
function validUnknownKey(n: number): string {
  for (let body = 999_999_000_000_000 + n * 10; ; body++) {
    const digits = String(body);
    for (let check = 0; check < 10; check++) {
      const candidate = `PC-${digits.slice(0, 4)}-${digits.slice(4, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 15)}${check}`;
      if (parseCode(candidate).ok) return candidate;
    }
  }
}

describe('order registration (R12, R2)', () => {
  it('registers every open line in one transaction: licenses with Activation Codes, credits in the total, a mail', async () => {
    const { deps, mails } = registrationDeps();
    const imported = await importOrder(order('SO-register'), { ...deps, random: seededRandom('register') });
    const key = imported.order.lines[1]?.registrationKey ?? '';
    const { session } = await startRegistration(
      { key: key.replace(/-/g, ' ').toLowerCase(), sourceAddress: '198.51.100.1' },
      deps,
    );
    const review = await atReview(session, 'biz-register000000000001', deps);

    const { registered } = await registerOrder(review, deps);

    expect(registered.map((l) => [l.lineNo, l.credits])).toEqual([
      [1, 30],
      [2, 40],
    ]);
    const ledger = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: keys.ledger('biz-register000000000001') }),
    );
    expect(ledger.Item).toMatchObject({ total: 70, balance: 70 });
    for (const license of registered) {
      expect(parseCode(license.activationCode ?? '')).toMatchObject({ ok: true, kind: 'activation-code' });
      const code = await deps.codes.findCode(license.activationCode ?? '');
      expect(code?.target).toEqual({
        kind: 'activation-code',
        licenseId: `direct~${license.reference}`,
        itemNo: 1,
      });
    }
    const stored = await deps.orders.get('SO-register');
    expect(stored?.lines.every((l) => l.registeredBy === 'biz-register000000000001')).toBe(true);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.text).toContain(registered[0]?.activationCode);
    const history = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':pk': keys.order('SO-register').pk, ':h': keys.historyPrefix },
      }),
    );
    expect(history.Items?.map((i) => i.type)).toEqual(['order-imported', 'order-registered']);
    expect(JSON.stringify(history.Items?.map((i) => i.event))).not.toMatch(/@|PC-/);
    // Registering again: nothing left.
    await expect(startRegistration({ key, sourceAddress: '198.51.100.1' }, deps)).rejects.toBeInstanceOf(
      OrderRegisteredError,
    );
  });

  it('lets exactly one of two buyers registering one order at the same moment win', async () => {
    const { deps } = registrationDeps();
    const imported = await importOrder(order('SO-race', 3), { ...deps, random: seededRandom('race') });
    const [k1, k2] = imported.order.lines.map((l) => l.registrationKey);
    const a = await startRegistration({ key: k1 ?? '', sourceAddress: '198.51.100.2' }, deps);
    const b = await startRegistration({ key: k2 ?? '', sourceAddress: '198.51.100.3' }, deps);
    const ra = await atReview(a.session, 'biz-racea00000000000001', deps);
    const rb = await atReview(b.session, 'biz-raceb00000000000001', deps);

    table.resetCalls();
    const outcomes = await Promise.allSettled([registerOrder(ra, deps), registerOrder(rb, deps)]);

    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o) => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(OrderRegisteredError);
    const totals = await Promise.all(
      ['biz-racea00000000000001', 'biz-raceb00000000000001'].map(async (id) => {
        const out = await table.client.send(
          new GetCommand({ TableName: table.tableName, Key: keys.ledger(id) }),
        );
        return out.Item?.total ?? 0;
      }),
    );
    expect(totals.sort()).toEqual([0, 30 + 40 + 90]);
  });

  it('leaves out lines that conflict with a service the business holds, and registers the rest', async () => {
    const { deps } = registrationDeps();
    const businessId = 'biz-conflict00000000001';
    const first = await importOrder(order('SO-conflict-1', 1), { ...deps, random: seededRandom('c1') });
    const s1 = await startRegistration(
      { key: first.order.lines[0]?.registrationKey ?? '', sourceAddress: '198.51.100.4' },
      deps,
    );
    await registerOrder(await atReview(s1.session, businessId, deps), deps);
    // A second order: endpoint-security again (overlapping term) and email-security.
    const second = await importOrder(order('SO-conflict-2', 2), { ...deps, random: seededRandom('c2') });
    const s2 = await startRegistration(
      { key: second.order.lines[0]?.registrationKey ?? '', sourceAddress: '198.51.100.4' },
      deps,
    );
    const review = {
      ...s2.session,
      step: 'review' as const,
      email: `${businessId}@example.com`,
      businessId,
      version: 2,
    };
    await deps.setups.saveSession(review, 1);

    const { registered } = await registerOrder(review, deps);

    expect(registered.map((l) => l.lineNo)).toEqual([2]);
    const stored = await deps.orders.get('SO-conflict-2');
    expect(stored?.lines.map((l) => Boolean(l.registeredBy))).toEqual([false, true]);
    // Only the conflicting line is left; this business cannot take it.
    const s3 = await startRegistration(
      { key: second.order.lines[1]?.registrationKey ?? '', sourceAddress: '198.51.100.4' },
      deps,
    );
    const again = {
      ...s3.session,
      step: 'review' as const,
      email: `${businessId}@example.com`,
      businessId,
      version: 2,
    };
    await deps.setups.saveSession(again, 1);
    await expect(registerOrder(again, deps)).rejects.toBeInstanceOf(OrderConflictsError);
    // With the product's rule `none`, the same line registers.
    await expect(registerOrder(again, { ...deps, conflictRuleOf: () => 'none' })).resolves.toMatchObject({
      registered: [{ lineNo: 1 }],
    });
  });
});

describe('registration under races and replaced keys (R12, R11)', () => {
  /** A session of `orderId`'s line `lineNo` at review for `businessId` (registered once). */
  async function reviewOf(
    orderId: string,
    lineNo: number,
    businessId: string,
    deps: RegistrationDeps,
    sourceAddress: string,
  ): Promise<SetupSession> {
    const stored = await deps.orders.get(orderId);
    const key = stored?.lines.find((l) => l.lineNo === lineNo)?.registrationKey ?? '';
    const { session } = await startRegistration({ key, sourceAddress }, deps);
    const next: SetupSession = {
      ...session,
      step: 'review',
      email: `${businessId}@example.com`,
      businessId,
      businessName: `Business ${businessId}`,
      version: session.version + 1,
    };
    await deps.setups.saveSession(next, session.version);
    return next;
  }

  it('registers only one of two conflicting orders entered into one business at the same moment', async () => {
    const { deps } = registrationDeps(seededRandom('conflict-race'));
    const businessId = 'biz-conflictrace00000001';
    await registerBusiness(table, businessId);
    // Two orders, each one endpoint-security line over the same term: the product's rule
    // (overlapping-term) lets the business hold only one of them.
    await importOrder(order('SO-crace-a', 1), deps);
    await importOrder(order('SO-crace-b', 1), deps);
    const a = await reviewOf('SO-crace-a', 1, businessId, deps, '198.51.100.20');
    const b = await reviewOf('SO-crace-b', 1, businessId, deps, '198.51.100.21');

    const outcomes = await Promise.allSettled([registerOrder(a, deps), registerOrder(b, deps)]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(OrderConflictsError);
    const ledger = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: keys.ledger(businessId), ConsistentRead: true }),
    );
    expect(ledger.Item?.total).toBe(10 * 3);
    expect(Object.keys(ledger.Item?.sources ?? {})).toHaveLength(1);
    const states = await Promise.all(['SO-crace-a', 'SO-crace-b'].map((id) => deps.orders.get(id)));
    expect(states.map((o) => o?.lines.filter((l) => l.registeredBy).length).sort()).toEqual([0, 1]);
  });

  it('stops a session opened with a key that support replaced before Register, and writes nothing', async () => {
    const { deps, mails } = registrationDeps(seededRandom('replaced-open'));
    const businessId = 'biz-replacedopen0000001';
    await registerBusiness(table, businessId);
    await importOrder(order('SO-replaced-open', 2), deps);
    const review = await reviewOf('SO-replaced-open', 1, businessId, deps, '198.51.100.22');
    expect(review.registrationKey).toMatch(/^PC-\d{4}-\d{4}-\d{4}-\d{4}$/);
    // Support replaces the key while the buyer is on the review page.
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.code(review.registrationKey ?? ''),
        UpdateExpression: 'SET #s = :r',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':r': 'replaced' },
      }),
    );

    await expect(registerOrder(review, deps)).rejects.toBeInstanceOf(CodeReplacedError);

    const stored = await deps.orders.get('SO-replaced-open');
    expect(stored?.lines.some((l) => l.registeredBy)).toBe(false);
    const ledger = await table.client.send(
      new GetCommand({ TableName: table.tableName, Key: keys.ledger(businessId), ConsistentRead: true }),
    );
    expect(ledger.Item).toBeUndefined();
    expect(mails).toHaveLength(0);
  });

  it('opens at most the source budget of sessions from one address, parallel or not; a typo costs nothing', async () => {
    const { deps } = registrationDeps(seededRandom('register-budget'), {
      limits: { sourceRegistrations: { limit: 3, windowMs: 600_000 } },
    });
    const imported = await importOrder(order('SO-register-budget', 1), deps);
    const key = imported.order.lines[0]?.registrationKey ?? '';
    // Typos are caught by the check digit and cost nothing.
    const typo = `${key.slice(0, -1)}${(Number(key.slice(-1)) + 1) % 10}`;
    for (let i = 0; i < 5; i++) {
      await expect(
        startRegistration({ key: typo, sourceAddress: '198.51.100.23' }, deps),
      ).rejects.toMatchObject({
        reason: 'checksum',
      });
    }

    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => startRegistration({ key, sourceAddress: '198.51.100.23' }, deps)),
    );

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
    for (const o of outcomes.filter((o) => o.status === 'rejected')) {
      expect((o as PromiseRejectedResult).reason).toBeInstanceOf(TooManyRequestsError);
    }
    // Another address is not affected.
    await expect(startRegistration({ key, sourceAddress: '198.51.100.24' }, deps)).resolves.toBeDefined();
  });
});

describe('Activation Codes of marketplace license items (R11)', () => {
  it('gives each new item a code with its own code item, keeps it on later writes, and draws again on a collision', async () => {
    const stored = activatedContract(
      'l-0codes0000000000000000000001',
      100,
      new Date('2027-01-01T00:00:00Z'),
      NOW,
    );
    const taken = 'PC-0000-00000-00000-00000-00000-0000X';
    const draws = [taken, 'fresh'];
    const store = createContractStore({
      client: table.client,
      tableName: table.tableName,
      drawActivationCode: () => {
        const next = draws.shift();
        if (next === 'fresh' || next === undefined) return drawCode('activation-code', seededRandom('fresh'));
        return next;
      },
    });
    await table.client.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...keys.code(taken), entity: 'code', state: 'valid' },
      }),
    );

    await store.save(creation(stored));

    const loaded = await store.load(stored.contract.contractId);
    const code = loaded?.items[0]?.activationCode ?? '';
    expect(code).not.toBe(taken);
    expect(parseCode(code)).toMatchObject({ ok: true, kind: 'activation-code' });
    const record = await stores().orders.findCode(code);
    expect(record?.target).toEqual({
      kind: 'activation-code',
      licenseId: stored.contract.contractId,
      itemNo: 1,
    });
  });
});

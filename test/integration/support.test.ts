import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, DynamoDBRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createSupportHandler, type SupportOptions } from '../../functions/support/create-handler.js';
import { cryptoRandomBytes } from '../../lib/adapters/crypto/code-random.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { keys } from '../../lib/adapters/dynamodb/keys.js';
import {
  createBusinessDirectory,
  createLedgerStore,
  readLedger,
} from '../../lib/adapters/dynamodb/ledger-store.js';
import { domainFields } from '../../lib/adapters/dynamodb/rows.js';
import { createSupportStore } from '../../lib/adapters/dynamodb/support/support-store.js';
import { eventsOfRecord } from '../../lib/adapters/events/stream-records.js';
import { type Code, drawCode, maskCode, type RandomBytes } from '../../lib/domain/codes/codes.js';
import type { CodeRecord } from '../../lib/domain/codes/records.js';
import type { StoredContract } from '../../lib/domain/contract/model.js';
import type { DirectLicense } from '../../lib/domain/credits/licenses.js';
import type { Ledger } from '../../lib/domain/credits/model.js';
import type { OutboundEvent } from '../../lib/domain/events/catalogue.js';
import { codeBook } from '../../lib/domain/support/code-book.js';
import type { CodeBook } from '../../lib/domain/support/ports.js';
import { startStreamPoller } from '../../local/stack/stream-poller.js';
import { contractTableStreamArn } from '../../local/stack/table.js';
import { activatedContract, CREDITS_PRODUCT, creation, registerBusiness } from '../support/credits.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

/**
 * The support function (functions/support) on DynamoDB Local: the one audited transfer of a
 * license between businesses (R3) and the replacement of a lost or stolen code (R11), with every
 * write checked in the table, races run for real, and hostile input refused without a write.
 */

const NOW = new Date('2026-05-01T10:00:00.000Z');
const EXPIRES = new Date('2027-05-01T00:00:00.000Z');
const SUPPORT_ARN = 'arn:aws:sts::123456789012:assumed-role/Support/agent-7';
const A = 'biz-supportA000000000001';
const B = 'biz-supportB000000000002';
const C = 'biz-supportC000000000003';
const TICKET = 'SUP-1234';
const REASON = 'Customer merged two accounts; move the license to the surviving one';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A function URL event (payload 2.0) as an IAM-signed request arrives, with the caller's identity. */
function event(
  method: string,
  path: string,
  options: {
    body?: string;
    contentType?: string;
    base64?: boolean;
    query?: Record<string, string>;
    caller?: string | null;
  } = {},
): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const caller = options.caller === undefined ? SUPPORT_ARN : options.caller;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString,
    headers: {
      host: 'support.example',
      ...(options.body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
    },
    ...(rawQueryString ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: '123456512334',
      apiId: 'support',
      domainName: 'support.example',
      domainPrefix: 'support',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: 'r',
      routeKey: '$default',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(caller ? { authorizer: { iam: { userArn: caller, accountId: '123456789012' } } } : {}),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(options.body !== undefined
      ? { body: options.base64 ? Buffer.from(options.body).toString('base64') : options.body }
      : {}),
    isBase64Encoded: options.base64 ?? false,
  };
}

const post = (path: string, body: unknown) => event('POST', path, { body: JSON.stringify(body) });

/** A repeatable random source: the codes a test draws are the same every run. */
function seededRandom(seed: number): RandomBytes {
  let state = seed >>> 0;
  return (count) =>
    Uint8Array.from({ length: count }, () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state >>> 24;
    });
}

let table: TestTable;
let mailed: Ledger[];
let ids: number;

function supportOptions(target: TestTable, overrides: Partial<SupportOptions> = {}): SupportOptions {
  const documents = { client: target.client, tableName: target.tableName };
  return {
    store: createSupportStore(documents),
    businesses: createBusinessDirectory(documents),
    notices: {
      overAllocated: async (ledger) => {
        mailed.push(ledger);
      },
    },
    codes: codeBook(cryptoRandomBytes),
    clock: { now: () => NOW },
    newId: () => `sup-test${String(++ids).padStart(4, '0')}`,
    pause: async () => undefined,
    logger: new Logger({ serviceName: 'support-test', logLevel: 'SILENT' }),
    ...overrides,
  };
}

function handlerOver(target: TestTable, overrides: Partial<SupportOptions> = {}) {
  const handler = createSupportHandler(supportOptions(target, overrides));
  return async (e: APIGatewayProxyEventV2): Promise<Answer> => {
    const result = await handler(e, lambdaContext());
    return { status: result.statusCode ?? 0, body: JSON.parse(result.body ?? 'null') };
  };
}

let handle: ReturnType<typeof handlerOver>;

beforeEach(async () => {
  table = await createTestTable(inject('dynamoEndpoint'));
  mailed = [];
  ids = 0;
  handle = handlerOver(table);
  for (const id of [A, B, C]) await registerBusiness(table, id);
});
afterEach(async () => {
  await table.drop();
});

const documents = (t: TestTable = table) => ({ client: t.client, tableName: t.tableName });

async function row(key: { pk: string; sk: string }, t: TestTable = table) {
  return (await t.client.send(new GetCommand({ TableName: t.tableName, Key: key, ConsistentRead: true })))
    .Item;
}

async function historyOf(pk: string, t: TestTable = table) {
  const out = await t.client.send(
    new QueryCommand({
      TableName: t.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
      ExpressionAttributeValues: { ':pk': pk, ':h': keys.historyPrefix },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

async function ledgerOf(businessId: string, t: TestTable = table): Promise<Ledger | undefined> {
  return readLedger(t.client, t.tableName, businessId);
}

let licenses = 0;
/** An activated contract of `credits` for `businessId`, saved as the sync saves it (its ledger source included). */
async function contractOf(
  businessId: string | undefined,
  credits = 1000,
  change: (stored: StoredContract) => StoredContract = (s) => s,
  t: TestTable = table,
): Promise<StoredContract> {
  const stored = change(activatedContract(`l-sup${++licenses}`, credits, EXPIRES, NOW, businessId));
  await createContractStore(documents(t)).save(creation(stored));
  return stored;
}

async function directLicenseOf(businessId: string, reference: string, credits: number, t: TestTable = table) {
  const license: DirectLicense = {
    reference,
    businessId,
    productCode: CREDITS_PRODUCT,
    credits,
    expiresAt: EXPIRES.toISOString(),
    createdAt: NOW.toISOString(),
  };
  await createLedgerStore(documents(t)).addDirectLicense(
    license,
    { primaryEmail: `${businessId}@example.com`, businessName: `Business ${businessId}` },
    NOW,
  );
  return license;
}

async function allocate(businessId: string, units: number, t: TestTable = table) {
  return createLedgerStore(documents(t)).setAllocation(
    businessId,
    { service: 'endpoint-security', productCode: CREDITS_PRODUCT, units, creditsPerUnit: 3 },
    NOW,
  );
}

const transfer = (license: string, toBusinessId: string, extra: Record<string, unknown> = {}) =>
  post('/transfers', { license, toBusinessId, reason: REASON, ticket: TICKET, ...extra });

/** Every ledger is what its sources and allocations say (R2, R9). */
function expectConsistent(ledger: Ledger | undefined) {
  if (!ledger) return;
  const total = Object.values(ledger.sources).reduce((sum, s) => sum + s.credits, 0);
  const allocated = Object.values(ledger.allocations).reduce((sum, a) => sum + a.credits, 0);
  expect(ledger.total).toBe(total);
  expect(ledger.allocated).toBe(allocated);
  expect(ledger.balance).toBe(total - allocated);
  expect(Boolean(ledger.overAllocatedSince)).toBe(ledger.balance < 0);
}

/** The code an item holds, set by hand (with its CODE row) when the contract store issued none. */
async function itemCode(contractId: string, itemNo: number, t: TestTable = table): Promise<string> {
  const item = await row(keys.item(contractId, itemNo), t);
  if (typeof item?.activationCode === 'string') return item.activationCode;
  const code = drawCode('activation-code', cryptoRandomBytes);
  await t.client.send(
    new UpdateCommand({
      TableName: t.tableName,
      Key: keys.item(contractId, itemNo),
      UpdateExpression: 'SET activationCode = :c',
      ExpressionAttributeValues: { ':c': code },
    }),
  );
  await putCode(code, { kind: 'activation-code', licenseId: contractId, itemNo }, t);
  return code;
}

async function putCode(code: string, target: CodeRecord['target'], t: TestTable = table) {
  await t.client.send(
    new PutCommand({
      TableName: t.tableName,
      Item: {
        ...keys.code(code),
        entity: 'code',
        code,
        target,
        state: 'valid',
        createdAt: NOW.toISOString(),
      },
    }),
  );
}

/** A direct license's Activation Code, set by hand (with its CODE row) when the ledger store issued none. */
async function directCode(reference: string, t: TestTable = table): Promise<string> {
  const license = await row(keys.directLicense(reference), t);
  if (typeof license?.activationCode === 'string') return license.activationCode;
  const code = drawCode('activation-code', cryptoRandomBytes);
  await t.client.send(
    new UpdateCommand({
      TableName: t.tableName,
      Key: keys.directLicense(reference),
      UpdateExpression: 'SET activationCode = :c',
      ExpressionAttributeValues: { ':c': code },
    }),
  );
  await putCode(code, { kind: 'activation-code', licenseId: `direct~${reference}`, itemNo: 1 }, t);
  return code;
}

/** An imported order of one line, written as the order store writes it, with its key's CODE row. */
async function orderOf(orderId: string, registeredBy?: string, t: TestTable = table) {
  const registrationKey = drawCode('registration-key', cryptoRandomBytes);
  await t.client.send(
    new PutCommand({
      TableName: t.tableName,
      Item: {
        ...keys.order(orderId),
        entity: 'order',
        orderId,
        company: { name: 'Reseller Buyer GmbH' },
        lines: [
          {
            lineNo: 1,
            productCode: CREDITS_PRODUCT,
            service: 'endpoint-security',
            credits: 300,
            startsAt: NOW.toISOString(),
            expiresAt: EXPIRES.toISOString(),
            registrationKey,
            ...(registeredBy
              ? {
                  registeredBy,
                  registeredAt: NOW.toISOString(),
                  licenseReference: `order~${orderId}~1`,
                }
              : {}),
          },
        ],
        importedAt: NOW.toISOString(),
        revision: 1,
        updatedAt: NOW.toISOString(),
      },
    }),
  );
  await putCode(registrationKey, { kind: 'registration-key', orderId, lineNo: 1 }, t);
  return registrationKey;
}

/** Every event the table's stream stands for, read as the publisher reads it (the deployed filters). */
async function streamedEvents(t: TestTable): Promise<OutboundEvent[]> {
  const streams = new DynamoDBStreamsClient({
    endpoint: inject('dynamoEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const records: DynamoDBRecord[] = [];
  const poller = startStreamPoller({
    client: streams,
    streamArn: await contractTableStreamArn(inject('dynamoEndpoint'), t.tableName),
    context: () => lambdaContext(),
    idleDelayMs: 20,
    handler: async (e) => {
      records.push(...e.Records);
      return { batchItemFailures: [] };
    },
  });
  try {
    await poller.idle();
  } finally {
    await poller.stop();
    streams.destroy();
  }
  return records.flatMap((r) => eventsOfRecord(r));
}

describe('POST /transfers (R3)', () => {
  it('moves an activated contract with its credits, marks the old business over-allocated, and records it once', async () => {
    // Arrange: A holds the contract (1,000) and a direct license (200), and allocates 600; B holds nothing.
    const t = await createTestTable(inject('dynamoEndpoint'), { stream: true });
    try {
      for (const id of [A, B]) await registerBusiness(t, id);
      const stored = await contractOf(A, 1000, (s) => s, t);
      const { contractId } = stored.contract;
      await directLicenseOf(A, 'deal-keep', 200, t);
      await allocate(A, 200, t);
      const call = handlerOver(t);
      const reason = 'Customer jane.doe@example.com asked to merge accounts (call of 30 April)';

      // Act
      const answer = await call(transfer(contractId, B, { reason, expectedFromBusinessId: A }));

      // Assert: the answer
      expect(answer).toEqual({
        status: 200,
        body: {
          transferId: 'sup-test0001',
          license: contractId,
          kind: 'contract',
          fromBusinessId: A,
          toBusinessId: B,
          credits: 1000,
          at: NOW.toISOString(),
          from: { total: 200, allocated: 600, balance: -400, overAllocated: true },
          to: { total: 1000, allocated: 0, balance: 1000, overAllocated: false },
        },
      });
      // The contract, its item and their index keys
      const contract = await row(keys.contract(contractId), t);
      expect(contract).toMatchObject({
        activatedBy: B,
        businessName: `Business ${B}`,
        version: 2,
        setupState: 'active',
        activatedAt: NOW.toISOString(),
        ...keys.byBusiness(B, contractId),
      });
      expect(await row(keys.item(contractId, 1), t)).toMatchObject(keys.itemByBusiness(B, contractId, 1));
      const ledgers = createLedgerStore(documents(t));
      expect((await ledgers.holdings(B)).contracts.map((c) => c.contract.contractId)).toEqual([contractId]);
      expect((await ledgers.holdings(A)).contracts).toEqual([]);
      // Both ledgers: the source moved, the old one marked over-allocated (nothing cut) and mailed
      const [from, to] = [await ledgerOf(A, t), await ledgerOf(B, t)];
      expect(Object.keys(from?.sources ?? {})).toEqual(['direct~deal-keep']);
      expect(from).toMatchObject({
        total: 200,
        allocated: 600,
        balance: -400,
        overAllocatedSince: NOW.toISOString(),
      });
      expect(await row(keys.ledger(A), t)).toMatchObject(keys.overAllocated(NOW.toISOString(), A));
      expect(to?.sources[contractId]).toEqual({
        kind: 'contract',
        productCode: CREDITS_PRODUCT,
        credits: 1000,
        expiresAt: EXPIRES.toISOString(),
      });
      expect(to).toMatchObject({ total: 1000, balance: 1000, primaryEmail: `${B}@example.com` });
      for (const ledger of [from, to]) expectConsistent(ledger);
      expect(mailed.map((l) => l.businessId)).toEqual([A]);
      // The audit entry of version 2: who, why, which ticket (R3); the reason kept as written
      const audit = domainFields<Record<string, unknown>>((await row(keys.audit(contractId, 2), t)) ?? {});
      expect(audit).toMatchObject({
        version: 2,
        changes: [{ type: 'transferred', from: A, to: B, reason, ticket: TICKET, by: SUPPORT_ARN }],
        trigger: { source: 'support', type: 'transfer', id: 'sup-test0001', at: NOW.toISOString() },
        state: { businessId: B, credits: 1000 },
      });
      // A history entry on each business, only the target's with the event
      const [onA, onB] = [await historyOf(keys.business(A).pk, t), await historyOf(keys.business(B).pk, t)];
      expect(onA).toHaveLength(1);
      expect(onB).toHaveLength(1);
      expect(onA[0]).toMatchObject({ type: 'license-transferred', by: SUPPORT_ARN, reason, ticket: TICKET });
      expect(onA[0]?.event).toBeUndefined();
      expect(onB[0]?.event).toEqual({
        type: 'license.transferred',
        data: {
          license: contractId,
          kind: 'contract',
          fromBusinessId: A,
          toBusinessId: B,
          ticket: TICKET,
          credits: 1000,
          at: NOW.toISOString(),
        },
      });

      // The events the stream publishes: exactly one license.transferred, one contract.transferred
      const events = await streamedEvents(t);
      const ofType = (type: string) => events.filter((e) => e.type === type);
      expect(ofType('license.transferred')).toHaveLength(1);
      expect(ofType('license.transferred')[0]?.data).toEqual(onB[0]?.event.data);
      const [transferred, ...more] = ofType('contract.transferred');
      expect(more).toEqual([]);
      expect(transferred?.data).toMatchObject({
        contractId,
        businessId: B,
        change: {
          type: 'transferred',
          fromBusinessId: A,
          toBusinessId: B,
          ticket: TICKET,
          reason: 'Customer [address removed] asked to merge accounts (call of 30 April)',
        },
      });
      expect(ofType('credits.over-allocated').map((e) => e.data.businessId)).toEqual([A]);
      expect(
        ofType('credits.changed')
          .map((e) => e.data.businessId)
          .sort(),
      ).toEqual(expect.arrayContaining([A, B]));
      // No event carries an address or the caller's identity
      const published = JSON.stringify(ofType('contract.transferred').concat(ofType('license.transferred')));
      expect(published).not.toContain('@');
      expect(published).not.toContain(SUPPORT_ARN);
    } finally {
      await t.drop();
    }
  });

  it("replaces the moved license's Activation Codes (R11): the old holder's codes are refused, the new ones open the items", async () => {
    // Arrange: A holds a contract whose item got its code when it was written.
    const stored = await contractOf(A, 500);
    const { contractId } = stored.contract;
    const before = await createContractStore(documents(table)).load(contractId);
    const oldCode = before?.items[0]?.activationCode ?? '';
    expect(await row(keys.code(oldCode))).toMatchObject({ state: 'valid' });

    // Act
    const answer = await handlerOver(table)(transfer(contractId, C));

    // Assert
    expect(answer.status).toBe(200);
    const after = await createContractStore(documents(table)).load(contractId);
    const newCode = after?.items[0]?.activationCode ?? '';
    expect(newCode).toMatch(/^PC-[0-9A-Z]{4}(-[0-9A-Z]{5}){5}$/);
    expect(newCode).not.toBe(oldCode);
    expect(await row(keys.code(oldCode))).toMatchObject({ state: 'replaced', replacedBy: newCode });
    expect(await row(keys.code(newCode))).toMatchObject({
      state: 'valid',
      replaces: oldCode,
      target: { kind: 'activation-code', licenseId: contractId, itemNo: 1 },
    });
    // Support's lookup of the old code says it was replaced.
    const lookup = await handlerOver(table)(event('GET', `/codes/${oldCode}`));
    expect(lookup.body).toMatchObject({ record: { state: 'replaced' } });
  });

  it('moves a contract whose items take the whole transaction: 30 active items with codes and 2 ended ones (100 actions)', async () => {
    const stored = await contractOf(A, 1000, (s) => {
      const first = s.items[0];
      if (!first) throw new Error('no item');
      const items = Array.from({ length: 32 }, (_, i) => ({
        ...first,
        itemNo: i + 1,
        credits: i === 0 ? 1000 - 29 : 1,
        ...(i >= 30
          ? { state: 'ended' as const, endReason: 'superseded' as const, endedAt: NOW.toISOString() }
          : {}),
      }));
      return { contract: { ...s.contract, itemCount: items.length }, items };
    });
    const { contractId } = stored.contract;
    const before = await createContractStore(documents(table)).load(contractId);
    expect(before?.items.filter((i) => i.activationCode)).toHaveLength(32);

    const answer = await handlerOver(table)(transfer(contractId, C));

    expect(answer.status).toBe(200);
    const after = await createContractStore(documents(table)).load(contractId);
    const changed = after?.items.filter(
      (item, i) => item.activationCode !== before?.items[i]?.activationCode,
    );
    expect(changed?.map((i) => i.itemNo)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(after?.contract.activatedBy).toBe(C);
  });

  it('answers 409 stale-code, not busy, when a code of the license has no valid record, and writes nothing', async () => {
    const stored = await contractOf(A, 100);
    const { contractId } = stored.contract;
    const before = await createContractStore(documents(table)).load(contractId);
    const code = before?.items[0]?.activationCode ?? '';
    // Legacy or hand-repaired data: the item's code has no record.
    await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: keys.code(code) }));

    const answer = await handlerOver(table)(transfer(contractId, C));

    expect(answer).toMatchObject({ status: 409, body: { code: 'stale-code' } });
    expect(JSON.stringify(answer.body)).not.toContain(code);
    expect((await createContractStore(documents(table)).load(contractId))?.contract.activatedBy).toBe(A);
  });

  it('moves a direct license: its row, its index keys, both ledgers and three history entries', async () => {
    // Arrange
    await directLicenseOf(A, 'deal-42', 250);
    await contractOf(B, 100);

    // Act
    const answer = await handle(transfer('direct~deal-42', B));

    // Assert
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      license: 'direct~deal-42',
      kind: 'direct',
      credits: 250,
      from: { total: 0, allocated: 0, balance: 0, overAllocated: false },
      to: { total: 350, balance: 350, overAllocated: false },
    });
    expect(await row(keys.directLicense('deal-42'))).toMatchObject({
      businessId: B,
      ...keys.directByBusiness(B, 'deal-42'),
    });
    expect((await createLedgerStore(documents()).holdings(B)).direct.map((d) => d.reference)).toEqual([
      'deal-42',
    ]);
    expect(Object.keys((await ledgerOf(A))?.sources ?? {})).toEqual([]);
    expect((await ledgerOf(B))?.sources['direct~deal-42']).toMatchObject({ kind: 'direct', credits: 250 });
    for (const id of [A, B]) expectConsistent(await ledgerOf(id));
    expect(await historyOf(keys.business(A).pk)).toHaveLength(1);
    expect(await historyOf(keys.business(B).pk)).toHaveLength(1);
    expect(await historyOf(keys.directLicense('deal-42').pk)).toMatchObject([
      { type: 'license-transferred', ticket: TICKET, details: { fromBusinessId: A, toBusinessId: B } },
    ]);
    expect(mailed).toEqual([]);
  });

  it("moves a registered order line's license and names the new holder on the order line (R12)", async () => {
    // Arrange: order ORD-7's line 1 registered by A as the direct license order~ORD-7~1
    await orderOf('ORD-7', A);
    await directLicenseOf(A, 'order~ORD-7~1', 300);
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.directLicense('order~ORD-7~1'),
        UpdateExpression: 'SET orderId = :o, lineNo = :n',
        ExpressionAttributeValues: { ':o': 'ORD-7', ':n': 1 },
      }),
    );

    // Act
    const answer = await handle(transfer('direct~order~ORD-7~1', C));

    // Assert
    expect(answer).toMatchObject({ status: 200, body: { toBusinessId: C, credits: 300 } });
    expect(await row(keys.order('ORD-7'))).toMatchObject({
      revision: 2,
      lines: [expect.objectContaining({ lineNo: 1, registeredBy: C })],
    });
    expect((await ledgerOf(C))?.sources['direct~order~ORD-7~1']).toMatchObject({ credits: 300 });
    // The move is in the order's history, as the sales view's order page reads it.
    const orderHistory = await table.client.send(
      new QueryCommand({
        TableName: table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :h)',
        ExpressionAttributeValues: { ':pk': keys.order('ORD-7').pk, ':h': keys.historyPrefix },
      }),
    );
    expect(orderHistory.Items?.map((i) => [i.type, i.details?.toBusinessId])).toContainEqual([
      'license-transferred',
      C,
    ]);
  });

  it('refuses what it cannot move with a clear 4xx, and writes nothing', async () => {
    // Arrange
    const held = await contractOf(A);
    const pending = await contractOf(undefined);
    const cancelled = await contractOf(A, 500, (s) => ({
      ...s,
      contract: { ...s.contract, term: 'cancelled', endedAt: '2026-04-20T00:00:00.000Z', activeCredits: 0 },
    }));
    const lapsed = await contractOf(A, 500, (s) => ({
      ...s,
      contract: { ...s.contract, expiresAt: '2026-04-30T00:00:00.000Z' },
    }));
    const id = held.contract.contractId;
    const cases: [string, APIGatewayProxyEventV2, number, string, Record<string, unknown>?][] = [
      ['an unknown contract', transfer(`${CREDITS_PRODUCT}~L~l-nosuch`, B), 404, 'unknown-license'],
      ['an unknown direct license', transfer('direct~deal-none', B), 404, 'unknown-license'],
      [
        'a contract nobody activated',
        transfer(pending.contract.contractId, B),
        404,
        'unknown-license',
        { reason: 'not-activated' },
      ],
      ['an unknown business', transfer(id, 'biz-nosuchbusiness000001'), 404, 'unknown-business'],
      ['the business holding it', transfer(id, A), 409, 'same-business', { businessId: A }],
      [
        'another holder than expected',
        transfer(id, B, { expectedFromBusinessId: C }),
        409,
        'business-moved',
        { expectedBusinessId: C, currentBusinessId: A },
      ],
      [
        'a cancelled contract',
        transfer(cancelled.contract.contractId, B),
        409,
        'license-ended',
        { endedAt: '2026-04-20T00:00:00.000Z' },
      ],
      ['a contract past its end', transfer(lapsed.contract.contractId, B), 409, 'license-ended'],
    ];
    table.resetCalls();
    for (const [name, e, status, code, details] of cases) {
      const answer = await handle(e);
      expect({ name, status: answer.status, code: answer.body.code }).toEqual({ name, status, code });
      if (details) expect(answer.body, name).toMatchObject(details);
      expect(typeof answer.body.message, name).toBe('string');
    }
    expect(table.writes()).toBe(0);
  });

  it('answers a replayed transfer with same-business: the license is already where it was sent', async () => {
    const { contract } = await contractOf(A);
    expect((await handle(transfer(contract.contractId, B))).status).toBe(200);
    const again = await handle(transfer(contract.contractId, B));
    expect(again).toMatchObject({ status: 409, body: { code: 'same-business', businessId: B } });
    expect(await historyOf(keys.business(B).pk)).toHaveLength(1);
  });

  it('refuses hostile input with a 4xx and a stable code, and writes nothing', async () => {
    const { contract } = await contractOf(A);
    const id = contract.contractId;
    const body = (extra: Record<string, unknown>) =>
      JSON.stringify({ license: id, toBusinessId: B, reason: REASON, ticket: TICKET, ...extra });
    const raw = (text: string, contentType?: string, base64?: boolean) =>
      event('POST', '/transfers', {
        body: text,
        ...(contentType ? { contentType } : {}),
        ...(base64 ? { base64 } : {}),
      });
    const cases: [string, APIGatewayProxyEventV2, number, string][] = [
      ['an oversized body', raw(body({ reason: 'x'.repeat(20_000) })), 413, 'payload-too-large'],
      [
        'an oversized base64 body',
        raw(body({ pad: 'x'.repeat(20_000) }), undefined, true),
        413,
        'payload-too-large',
      ],
      [
        'a form instead of JSON',
        raw('license=x', 'application/x-www-form-urlencoded'),
        415,
        'unsupported-media-type',
      ],
      ['text/plain JSON', raw(body({}), 'text/plain'), 415, 'unsupported-media-type'],
      ['no body', event('POST', '/transfers'), 415, 'unsupported-media-type'],
      ['not JSON', raw('{"license":'), 400, 'bad-request'],
      ['base64 that is not JSON', raw('not json at all', undefined, true), 400, 'bad-request'],
      ['JSON nested 5,000 deep', raw(`${'['.repeat(5000)}${']'.repeat(5000)}`), 400, 'bad-request'],
      ['an array', raw('[]'), 400, 'bad-request'],
      ['an unknown field', raw(body({ force: true })), 400, 'bad-request'],
      ['a by field (the caller is the signer)', raw(body({ by: 'someone-else' })), 400, 'bad-request'],
      [
        'no reason',
        raw(JSON.stringify({ license: id, toBusinessId: B, ticket: TICKET })),
        400,
        'bad-request',
      ],
      ['a reason of spaces', raw(body({ reason: '    ab    ' })), 400, 'bad-request'],
      ['a reason of 501 characters', raw(body({ reason: 'x'.repeat(501) })), 400, 'bad-request'],
      [
        'a control character in the reason',
        raw(body({ reason: 'moved\u0007 by request' })),
        400,
        'bad-request',
      ],
      ['a newline in the reason', raw(body({ reason: 'moved\nby request' })), 400, 'bad-request'],
      ['a bidi override in the reason', raw(body({ reason: 'moved \u202eby request' })), 400, 'bad-request'],
      ['a huge ticket', raw(body({ ticket: `T${'1'.repeat(64)}` })), 400, 'bad-request'],
      ['a ticket with spaces', raw(body({ ticket: 'SUP 1' })), 400, 'bad-request'],
      ['a ticket starting with a dash', raw(body({ ticket: '-SUP1' })), 400, 'bad-request'],
      ['a ticket as a number', raw(body({ ticket: 1234 })), 400, 'bad-request'],
      ['a malformed business id', raw(body({ toBusinessId: 'BUSINESS#x' })), 400, 'bad-request'],
      ['a malformed expected business', raw(body({ expectedFromBusinessId: 'x' })), 400, 'bad-request'],
      ['a license naming a key', raw(body({ license: 'CONTRACT#x' })), 400, 'bad-request'],
      ['a contract id with an item key', raw(body({ license: `${id}#ITEM#0001` })), 400, 'bad-request'],
      ['a contract id with a second ~', raw(body({ license: `${id}~L~l-other` })), 400, 'bad-request'],
      [
        'a contract id of another shape',
        raw(body({ license: `${CREDITS_PRODUCT}~X~l-1` })),
        400,
        'bad-request',
      ],
      ['a bare reference', raw(body({ license: 'deal-42' })), 400, 'bad-request'],
      ['a direct reference with #', raw(body({ license: 'direct~deal#LICENSE' })), 400, 'bad-request'],
      ['a direct reference with ~~', raw(body({ license: 'direct~~deal' })), 400, 'bad-request'],
      ['a direct reference of a contract', raw(body({ license: `direct~${id}` })), 400, 'bad-request'],
      ['an order reference of line 0', raw(body({ license: 'direct~order~ORD-1~0' })), 400, 'bad-request'],
      [
        'an order reference with a tail',
        raw(body({ license: 'direct~order~ORD-1~1~x' })),
        400,
        'bad-request',
      ],
      ['a license with a NUL', raw(body({ license: `${id}\u0000` })), 400, 'bad-request'],
      [
        'a query string',
        event('POST', '/transfers', { body: body({}), query: { dryRun: '1' } }),
        400,
        'bad-request',
      ],
      ['a GET of /transfers', event('GET', '/transfers'), 405, 'method-not-allowed'],
      ['an unknown route', event('POST', '/transfers/all', { body: body({}) }), 404, 'not-found'],
      ['a route of the license API', event('GET', `/businesses/${A}`), 404, 'not-found'],
    ];
    table.resetCalls();
    for (const [name, e, status, code] of cases) {
      const answer = await handle(e);
      expect({ name, status: answer.status, code: answer.body.code }).toEqual({ name, status, code });
      expect(typeof answer.body.message, name).toBe('string');
    }
    expect(table.writes()).toBe(0);
    expect(await row(keys.contract(id))).toMatchObject({ activatedBy: A, version: 1 });
  });

  it('lets exactly one of two transfers of one license at once win; the other is told it moved', async () => {
    for (let round = 0; round < 3; round++) {
      // Arrange
      const { contract } = await contractOf(A, 1000);
      const id = contract.contractId;

      // Act
      const answers = await Promise.all([handle(transfer(id, B)), handle(transfer(id, C))]);

      // Assert: one 200, one 409 business-moved; the license and its credits in one place only
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const winner = answers.find((a) => a.status === 200)?.body.toBusinessId;
      const loser = answers.find((a) => a.status === 409)?.body;
      expect(loser).toMatchObject({
        code: 'business-moved',
        expectedBusinessId: A,
        currentBusinessId: winner,
      });
      expect(await row(keys.contract(id))).toMatchObject({ activatedBy: winner, version: 2 });
      const holders = [];
      for (const b of [A, B, C]) {
        const ledger = await ledgerOf(b);
        expectConsistent(ledger);
        if (ledger && Object.hasOwn(ledger.sources, id)) holders.push(b);
      }
      expect(holders).toEqual([winner]);
    }
    // Only the winners wrote history: one entry per round on A, and one per round on the winners.
    expect(await historyOf(keys.business(A).pk)).toHaveLength(3);
    const onTargets =
      (await historyOf(keys.business(B).pk)).length + (await historyOf(keys.business(C).pk)).length;
    expect(onTargets).toBe(3);
  });

  it('stays consistent when an allocation on the old business races the transfer', async () => {
    for (let round = 0; round < 4; round++) {
      // Arrange: fresh businesses each round; the donor holds 1,000 + 200 and allocates 150 already
      const donor = `biz-racedonor${String(round).padStart(11, '0')}`;
      const taker = `biz-racetaker${String(round).padStart(11, '0')}`;
      await registerBusiness(table, donor);
      await registerBusiness(table, taker);
      const { contract } = await contractOf(donor, 1000);
      await directLicenseOf(donor, `deal-race-${round}`, 200);
      await allocate(donor, 50);

      // Act: the transfer and an allocation of 450 credits at once
      const [moved, allocation] = await Promise.allSettled([
        handle(transfer(contract.contractId, taker)),
        allocate(donor, 150),
      ]);

      // Assert: the transfer went through; the allocation either came first (the donor ends over-allocated) or was refused
      expect(moved.status === 'fulfilled' && moved.value.status).toBe(200);
      const ledger = await ledgerOf(donor);
      expectConsistent(ledger);
      expect(ledger?.total).toBe(200);
      expect(Object.keys(ledger?.sources ?? {})).toEqual([`direct~deal-race-${round}`]);
      if (allocation.status === 'fulfilled') {
        expect(ledger?.allocated).toBe(450);
        expect(ledger?.overAllocatedSince).toBe(NOW.toISOString());
      } else {
        expect(String(allocation.reason)).toMatch(/InsufficientCredits|more credits/);
        expect(ledger?.allocated).toBe(150);
      }
      const takerLedger = await ledgerOf(taker);
      expectConsistent(takerLedger);
      expect(takerLedger?.total).toBe(1000);
    }
  });

  it('names the caller as local when no IAM identity comes with the request (the local stack)', async () => {
    const { contract } = await contractOf(A);
    const answer = await handle(
      event('POST', '/transfers', {
        body: JSON.stringify({
          license: contract.contractId,
          toBusinessId: B,
          reason: REASON,
          ticket: TICKET,
        }),
        caller: null,
      }),
    );
    expect(answer.status).toBe(200);
    expect((await historyOf(keys.business(B).pk))[0]).toMatchObject({ by: 'local' });
  });
});

describe('POST /codes/replace (R11)', () => {
  const replace = (code: string) =>
    post('/codes/replace', { code, reason: 'Code leaked in a screenshot', ticket: TICKET });

  it("replaces a contract item's Activation Code: records, item, audit (masked) and one event", async () => {
    // Arrange
    const { contract } = await contractOf(A);
    const old = await itemCode(contract.contractId, 1);
    const version = Number((await row(keys.contract(contract.contractId)))?.version);

    // Act: typed in lower case without dashes, as a customer may read it out
    const answer = await handle(replace(old.toLowerCase().replaceAll('-', '')));

    // Assert
    expect(answer.status).toBe(200);
    const next = String(answer.body.code);
    expect(answer.body).toEqual({ code: next, replaced: maskCode(old as Code) });
    expect(next).toMatch(/^PC-[0-9A-Z]{4}(-[0-9A-Z]{5}){5}$/);
    expect(await row(keys.code(old))).toMatchObject({
      state: 'replaced',
      replacedBy: next,
      replacedAt: NOW.toISOString(),
    });
    expect(await row(keys.code(next))).toMatchObject({
      code: next,
      state: 'valid',
      replaces: old,
      target: { kind: 'activation-code', licenseId: contract.contractId, itemNo: 1 },
    });
    expect(await row(keys.item(contract.contractId, 1))).toMatchObject({ activationCode: next });
    expect(await row(keys.contract(contract.contractId))).toMatchObject({ version: version + 1 });
    const audit = await row(keys.audit(contract.contractId, version + 1));
    expect(audit).toMatchObject({
      changes: [
        {
          type: 'code-replaced',
          itemNo: 1,
          by: SUPPORT_ARN,
          ticket: TICKET,
          replaced: maskCode(old as Code),
          replacement: maskCode(next as Code),
        },
      ],
      trigger: { source: 'support', type: 'code-replacement' },
    });
    expect(JSON.stringify(audit)).not.toContain(old);
    expect(JSON.stringify(audit)).not.toContain(next);
    const history = await historyOf(keys.business(A).pk);
    expect(history).toHaveLength(1);
    expect(history[0]?.event).toEqual({
      type: 'code.replaced',
      data: {
        kind: 'activation-code',
        license: contract.contractId,
        itemNo: 1,
        businessId: A,
        at: NOW.toISOString(),
      },
    });
    expect(JSON.stringify(history)).not.toContain(old);
    expect(JSON.stringify(history)).not.toContain(next);
    // The old code's record now says so; the support view shows it unmasked
    const view = await handle(event('GET', `/codes/${old}`));
    expect(view).toMatchObject({
      status: 200,
      body: { record: { code: old, state: 'replaced', replacedBy: next } },
    });
  });

  it("replaces a direct license's Activation Code", async () => {
    await directLicenseOf(B, 'deal-7', 80);
    const old = await directCode('deal-7');

    const answer = await handle(replace(old));

    expect(answer.status).toBe(200);
    const next = String(answer.body.code);
    expect(await row(keys.directLicense('deal-7'))).toMatchObject({ activationCode: next, businessId: B });
    expect(await row(keys.code(next))).toMatchObject({
      target: { kind: 'activation-code', licenseId: 'direct~deal-7', itemNo: 1 },
    });
    const [onBusiness] = await historyOf(keys.business(B).pk);
    expect(onBusiness?.event).toEqual({
      type: 'code.replaced',
      data: {
        kind: 'activation-code',
        license: 'direct~deal-7',
        itemNo: 1,
        businessId: B,
        at: NOW.toISOString(),
      },
    });
    expect(await historyOf(keys.directLicense('deal-7').pk)).toHaveLength(1);
  });

  it("replaces the Registration Key of an order line not yet registered, and refuses a registered line's", async () => {
    // Arrange
    const open = await orderOf('ORD-100');
    const registered = await orderOf('ORD-200', A);

    // Act
    const answer = await handle(replace(open));
    const refused = await handle(replace(registered));

    // Assert
    expect(answer.status).toBe(200);
    const next = String(answer.body.code);
    expect(next).toMatch(/^PC-\d{4}-\d{4}-\d{4}-\d{4}$/);
    expect(answer.body.replaced).toBe(maskCode(open as Code));
    expect(await row(keys.order('ORD-100'))).toMatchObject({
      revision: 2,
      lines: [expect.objectContaining({ lineNo: 1, registrationKey: next })],
    });
    expect(await row(keys.code(next))).toMatchObject({
      state: 'valid',
      target: { kind: 'registration-key', orderId: 'ORD-100', lineNo: 1 },
    });
    const history = await historyOf(keys.order('ORD-100').pk);
    expect(history.map((h) => h.event)).toEqual([
      {
        type: 'code.replaced',
        data: { kind: 'registration-key', orderId: 'ORD-100', lineNo: 1, at: NOW.toISOString() },
      },
    ]);
    expect(refused).toMatchObject({
      status: 409,
      body: { code: 'key-registered', orderId: 'ORD-200', lineNo: 1, license: 'direct~order~ORD-200~1' },
    });
    expect(await row(keys.code(registered))).toMatchObject({ state: 'valid' });
  });

  it('refuses a code replaced already, naming its replacement', async () => {
    const { contract } = await contractOf(A);
    const old = await itemCode(contract.contractId, 1);
    const first = await handle(replace(old));

    const second = await handle(replace(old));

    expect(second).toMatchObject({
      status: 409,
      body: { code: 'code-replaced', replacedBy: first.body.code, replacedAt: NOW.toISOString() },
    });
    expect(await row(keys.item(contract.contractId, 1))).toMatchObject({ activationCode: first.body.code });
  });

  it('lets one of two replacements of one code at once win; the other learns the valid code', async () => {
    const { contract } = await contractOf(A);
    const old = await itemCode(contract.contractId, 1);

    const answers = await Promise.all([handle(replace(old)), handle(replace(old))]);

    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const winner = answers.find((a) => a.status === 200)?.body.code;
    expect(answers.find((a) => a.status === 409)?.body).toMatchObject({
      code: 'code-replaced',
      replacedBy: winner,
    });
    expect(await row(keys.code(old))).toMatchObject({ state: 'replaced', replacedBy: winner });
    expect(await row(keys.item(contract.contractId, 1))).toMatchObject({ activationCode: winner });
    expect(await historyOf(keys.business(A).pk)).toHaveLength(1);
  });

  it('draws again when the drawn code exists already', async () => {
    // Arrange: the first draw collides with an existing code
    const { contract } = await contractOf(A);
    const old = await itemCode(contract.contractId, 1);
    const taken = drawCode('activation-code', cryptoRandomBytes);
    await putCode(taken, { kind: 'activation-code', licenseId: contract.contractId, itemNo: 9 });
    const real = codeBook(cryptoRandomBytes);
    let draws = 0;
    const codes: CodeBook = {
      ...real,
      draw: (kind, like) => (++draws === 1 ? taken : real.draw(kind, like)),
    };
    const call = handlerOver(table, { codes });

    // Act
    const answer = await call(replace(old));

    // Assert
    expect(answer.status).toBe(200);
    expect(draws).toBe(2);
    expect(answer.body.code).not.toBe(taken);
    expect(await row(keys.code(taken))).toMatchObject({ target: { itemNo: 9 }, state: 'valid' });
  });

  it('refuses bad, unknown and mismatched codes with a 4xx, and writes nothing', async () => {
    const { contract } = await contractOf(A);
    const held = await itemCode(contract.contractId, 1);
    const unknown = drawCode('activation-code', cryptoRandomBytes);
    // A code whose record points at an item that holds another code
    const stray = drawCode('activation-code', cryptoRandomBytes);
    await putCode(stray, { kind: 'activation-code', licenseId: contract.contractId, itemNo: 1 });
    const last = held.at(-1) === '0' ? '1' : '0';
    const cases: [string, APIGatewayProxyEventV2, number, string][] = [
      ['a wrong check character', replace(`${held.slice(0, -1)}${last}`), 400, 'bad-code'],
      ['a code of the wrong length', replace('PC-1234'), 400, 'bad-code'],
      ['a code with other characters', replace('PC-1234-5678-9012-345#'), 400, 'bad-code'],
      ['an empty code', replace(''), 400, 'bad-request'],
      ['a huge code', replace('P'.repeat(200)), 400, 'bad-request'],
      ['an unknown code', replace(unknown), 404, 'unknown-code'],
      ['a code its target does not hold', replace(stray), 409, 'code-mismatch'],
      [
        'an unknown field',
        post('/codes/replace', { code: held, reason: REASON, ticket: TICKET, to: 'PC-x' }),
        400,
        'bad-request',
      ],
      ['no ticket', post('/codes/replace', { code: held, reason: REASON }), 400, 'bad-request'],
      ['a GET of the view with a bad code', event('GET', '/codes/nonsense'), 400, 'bad-code'],
      ['a GET of an unknown code', event('GET', `/codes/${unknown}`), 404, 'unknown-code'],
      ['a GET with a bad escape', event('GET', '/codes/PC-%E0%A4%A'), 400, 'bad-request'],
      ['a DELETE of a code', event('DELETE', `/codes/${held}`), 405, 'method-not-allowed'],
    ];
    table.resetCalls();
    for (const [name, e, status, code] of cases) {
      const answer = await handle(e);
      expect({ name, status: answer.status, code: answer.body.code }).toEqual({ name, status, code });
      expect(JSON.stringify(answer.body), name).not.toContain(held);
    }
    expect(table.writes()).toBe(0);
  });
});

describe('GET /codes/{code}', () => {
  it('shows the record, its target and state, unmasked', async () => {
    const { contract } = await contractOf(A);
    const code = await itemCode(contract.contractId, 1);

    const answer = await handle(event('GET', `/codes/${code.toLowerCase()}`));

    expect(answer).toEqual({
      status: 200,
      body: {
        record: expect.objectContaining({
          code,
          state: 'valid',
          target: { kind: 'activation-code', licenseId: contract.contractId, itemNo: 1 },
        }),
      },
    });
  });
});

interface Example {
  readonly title: string;
  readonly request: { method: string; path: string; body?: unknown };
  readonly response: { status: number; body: unknown };
}

describe('support API examples (events/support-api)', () => {
  const EXAMPLES = new URL('../../events/support-api/', import.meta.url);
  const FROM = 'biz-example0000000000001';
  const TO = 'biz-example0000000000002';

  it('answers every documented example exactly as recorded, in order', async () => {
    // Arrange: the businesses, a contract whose item code and a direct license the examples name
    for (const id of [FROM, TO]) await registerBusiness(table, id);
    const itemCodeOfExample = drawCode('activation-code', seededRandom(1));
    const stored = activatedContract('l-0example0000000000000000000001', 1000, EXPIRES, NOW, FROM);
    await createContractStore({ ...documents(), drawActivationCode: () => itemCodeOfExample }).save(
      creation(stored),
    );
    if ((await row(keys.item(stored.contract.contractId, 1)))?.activationCode === undefined) {
      await table.client.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key: keys.item(stored.contract.contractId, 1),
          UpdateExpression: 'SET activationCode = :c',
          ExpressionAttributeValues: { ':c': itemCodeOfExample },
        }),
      );
      await putCode(itemCodeOfExample, {
        kind: 'activation-code',
        licenseId: stored.contract.contractId,
        itemNo: 1,
      });
    }
    await directLicenseOf(FROM, 'deal-example-1', 200);
    await allocate(FROM, 100);
    const call = handlerOver(table, { codes: codeBook(seededRandom(2)) });

    // Act and assert: each file in order
    const files = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const example = JSON.parse(readFileSync(new URL(file, EXAMPLES), 'utf8')) as Example;
      const { method, path, body } = example.request;
      const answer = await call(
        event(method, path, body !== undefined ? { body: JSON.stringify(body) } : {}),
      );
      if (process.env.UPDATE_EXAMPLES === '1') {
        writeFileSync(
          new URL(file, EXAMPLES),
          `${JSON.stringify({ ...example, response: { status: answer.status, body: answer.body } }, null, 2)}\n`,
        );
        continue;
      }
      expect({ file, ...answer }).toEqual({ file, ...example.response });
    }
  });
});

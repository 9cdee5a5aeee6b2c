import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { Worker } from 'node:worker_threads';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createMarketplaceEventsHandler } from '../../functions/marketplace-events/create-handler.js';
import {
  createDocumentClient,
  DYNAMODB_HTTP,
  DYNAMODB_LOCAL_HTTP,
} from '../../lib/adapters/dynamodb/client.js';
import { createContractStore } from '../../lib/adapters/dynamodb/contract-store.js';
import { createSesClient } from '../../lib/adapters/email/clients.js';
import { createSesMailer } from '../../lib/adapters/email/ses-mailer.js';
import { createEntitlementClient, createMeteringClient } from '../../lib/adapters/marketplace/clients.js';
import { createCustomerResolver } from '../../lib/adapters/marketplace/customer-resolver.js';
import { createEntitlementReader } from '../../lib/adapters/marketplace/entitlement-reader.js';
import { DEFAULT_RETRY, isRetryable, type RetryPolicy } from '../../lib/adapters/marketplace/retry.js';
import { MarketplaceUnavailableError } from '../../lib/domain/contract/errors.js';
import { FIXTURE, fixtureRecord, sqsEvent } from '../support/events.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable } from '../support/table.js';

/**
 * Issue 12 item 11: every SDK client gives up on a hung endpoint. Two kinds of hang, both on
 * loopback: a server that accepts the connection and never answers, and one that never accepts it
 * (its accept queue is full and the kernel drops further SYNs, so connect() just waits).
 */

interface Endpoint {
  readonly endpoint: string;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Accepts every connection, reads the request, never writes a byte. */
async function silentServer(): Promise<Endpoint & { connections: () => number }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const endpoint = {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(endpoint.close);
  return endpoint;
}

/**
 * Listens with a backlog of 1 on a worker thread whose event loop is then blocked, so nothing
 * is ever accepted; two connections fill the accept queue, and a third never completes connect().
 */
async function unacceptingServer(): Promise<Endpoint> {
  const worker = new Worker(
    `const net = require('node:net');
     const { parentPort } = require('node:worker_threads');
     const server = net.createServer();
     server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000));
     });`,
    { eval: true },
  );
  const port = await new Promise<number>((resolve) => worker.once('message', resolve));
  const fillers = await Promise.all(
    [1, 2].map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = tcpConnect({ host: '127.0.0.1', port }, () => resolve(socket));
          socket.on('error', reject);
        }),
    ),
  );
  // Prove the premise: one more connection really hangs in connect().
  const probe = tcpConnect({ host: '127.0.0.1', port });
  probe.on('error', () => undefined);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(probe.connecting).toBe(true);
  probe.destroy();
  const endpoint = {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      await worker.terminate();
    },
  };
  cleanups.push(endpoint.close);
  return endpoint;
}

/** Settles as `promise` does, or rejects with "hung" after `ms`: a missing timeout fails fast, not at the test timeout. */
async function within<T>(ms: number, promise: Promise<T>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: still waiting after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, hung]);
    throw new Error('the call succeeded against a server that never answers');
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('hung:')) throw error;
    return { error, elapsedMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

const fastRetry = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maxAttempts: 2,
  baseDelayMs: 1,
  maxDelayMs: 5,
  reserveMs: 0,
  ...overrides,
});

describe('marketplace clients on a hung endpoint', () => {
  it('gives up on GetEntitlements within the invocation time left and reports the marketplace unavailable when the server never answers', async () => {
    const server = await silentServer();
    const reader = createEntitlementReader({
      client: createEntitlementClient({ endpoint: server.endpoint }),
      // 2 s left, 1 s reserved: each attempt may take what is left before the reserve.
      retry: fastRetry({ maxAttempts: 3, reserveMs: 1000, remainingMs: remainingFrom(2000) }),
    });

    const { error, elapsedMs } = await within(
      5000,
      reader.read(FIXTURE.productCode, { by: 'customer', customerIdentifier: FIXTURE.customerIdentifier }),
    );

    expect(error).toBeInstanceOf(MarketplaceUnavailableError);
    expect((error as Error).cause).toMatchObject({ name: 'TimeoutError' });
    expect(isRetryable((error as Error).cause)).toBe(true);
    expect(elapsedMs).toBeLessThan(2000);
    expect(server.connections()).toBeGreaterThanOrEqual(1);
  });

  it('abandons each attempt at the policy cap when the invocation has time to spare', async () => {
    const server = await silentServer();
    const reader = createEntitlementReader({
      client: createEntitlementClient({ endpoint: server.endpoint }),
      retry: fastRetry({ attemptTimeoutMs: 300, remainingMs: () => 60_000 }),
    });

    const { error, elapsedMs } = await within(
      3000,
      reader.read(FIXTURE.productCode, { by: 'account', customerAWSAccountId: FIXTURE.accountId }),
    );

    expect(error).toMatchObject({ name: 'MarketplaceUnavailableError', attempts: 2 });
    expect(elapsedMs).toBeGreaterThanOrEqual(550);
    expect(elapsedMs).toBeLessThan(1500);
    expect(server.connections()).toBe(2);
  });

  it('gives up on ResolveCustomer, so the buyer gets an answer, when the server never answers', async () => {
    const server = await silentServer();
    const resolver = createCustomerResolver({
      client: createMeteringClient({ endpoint: server.endpoint }),
      retry: fastRetry({ attemptTimeoutMs: 300 }),
    });

    const { error, elapsedMs } = await within(3000, resolver.resolve('token-that-hangs'));

    expect(error).toBeInstanceOf(MarketplaceUnavailableError);
    expect((error as Error).cause).toMatchObject({ name: 'TimeoutError' });
    expect(elapsedMs).toBeLessThan(1500);
  });

  it('gives up on connecting after the fixed connection timeout when the server never accepts', async () => {
    const server = await unacceptingServer();
    const reader = createEntitlementReader({
      client: createEntitlementClient({ endpoint: server.endpoint }),
      retry: fastRetry({ remainingMs: () => 60_000 }),
    });

    const { error, elapsedMs } = await within(
      5000,
      reader.read(FIXTURE.productCode, { by: 'customer', customerIdentifier: FIXTURE.customerIdentifier }),
    );

    expect(error).toMatchObject({ name: 'MarketplaceUnavailableError', attempts: 2 });
    expect((error as Error).cause).toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/did not establish a connection/),
    });
    // Two attempts of the 1 s connection timeout, not the 5 s attempt cap.
    expect(elapsedMs).toBeLessThan(3500);
  });
});

describe('DynamoDB client on a hung endpoint', () => {
  it('fails with a retryable TimeoutError after the SDK retries when the server never answers', async () => {
    const server = await silentServer();
    const client = createDocumentClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      timeouts: { requestTimeout: 200 },
    });
    cleanups.push(async () => client.destroy());

    const { error, elapsedMs } = await within(
      5000,
      client.send(new GetCommand({ TableName: 'contracts', Key: { pk: 'a', sk: 'b' } })),
    );

    const attempts = await client.config.maxAttempts();
    expect(attempts).toBeGreaterThan(1);
    expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts } });
    expect(isRetryable(error)).toBe(true);
    expect(elapsedMs).toBeLessThan(attempts * 200 + 1500);
    expect(server.connections()).toBe(attempts);
  });

  it('fails within its attempts times the connection timeout, with its default settings, when the server never accepts', async () => {
    const server = await unacceptingServer();
    const client = createDocumentClient({ endpoint: server.endpoint, region: 'us-east-1' });
    cleanups.push(async () => client.destroy());

    const { error, elapsedMs } = await within(
      8000,
      client.send(new GetCommand({ TableName: 'contracts', Key: { pk: 'a', sk: 'b' } })),
    );

    const attempts = await client.config.maxAttempts();
    expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts } });
    expect(elapsedMs).toBeLessThan(attempts * DYNAMODB_HTTP.connectionTimeout + 1500);
    const handler = client.config.requestHandler as { httpHandlerConfigs(): Record<string, unknown> };
    // An endpoint means DynamoDB Local: the same connection timeout, a longer request timeout.
    expect(DYNAMODB_LOCAL_HTTP.connectionTimeout).toBe(DYNAMODB_HTTP.connectionTimeout);
    expect(handler.httpHandlerConfigs()).toMatchObject({
      connectionTimeout: DYNAMODB_LOCAL_HTTP.connectionTimeout,
      requestTimeout: DYNAMODB_LOCAL_HTTP.requestTimeout,
      throwOnRequestTimeout: true,
    });
  });
});

describe('SES client on a hung endpoint', () => {
  it('fails the mail with a retryable TimeoutError when the server never answers', async () => {
    const server = await silentServer();
    const client = createSesClient({ endpoint: server.endpoint, timeouts: { requestTimeout: 200 } });
    cleanups.push(async () => client.destroy());
    const mailer = createSesMailer({ client, from: 'noreply@example.com' });

    const { error, elapsedMs } = await within(
      5000,
      mailer.send({ to: 'buyer@example.com', subject: 'Your code', text: '123456' }),
    );

    const attempts = await client.config.maxAttempts();
    expect(error).toMatchObject({ name: 'TimeoutError', $metadata: { attempts } });
    expect(isRetryable(error)).toBe(true);
    expect(elapsedMs).toBeLessThan(attempts * 200 + 1500);
  });
});

describe('marketplace-events handler on a hung marketplace', () => {
  it('reports the record as a batch item failure before the invocation runs out, with the production retry policy', async () => {
    const server = await silentServer();
    const table = await createTestTable(inject('dynamoEndpoint'));
    cleanups.push(() => table.drop());
    const entitlementClient = createEntitlementClient({ endpoint: server.endpoint });
    const handler = createMarketplaceEventsHandler({
      catalog: { products: [{ productCode: FIXTURE.productCode }] },
      contracts: createContractStore({ client: table.client, tableName: table.tableName }),
      // As functions/marketplace-events/handler.ts wires it.
      entitlementsFor: (remainingMs) =>
        createEntitlementReader({ client: entitlementClient, retry: { ...DEFAULT_RETRY, remainingMs } }),
      clock: { now: () => new Date() },
      logger: new Logger({ serviceName: 'marketplace-events', logLevel: 'SILENT' }),
    });
    // 8 s left of the invocation: one attempt of 3 s (to the reserve's 5 s), then no time to retry.
    const remaining = remainingFrom(8000);
    const record = fixtureRecord('sns/entitlement-updated');

    const started = Date.now();
    const response = await handler(sqsEvent(record), lambdaContext(remaining));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(Date.now() - started).toBeLessThan(4500);
    expect(remaining()).toBeGreaterThan((DEFAULT_RETRY.reserveMs ?? 0) / 2);
  });
});

/** A Lambda-like remaining time that counts down from `ms` in real time. */
function remainingFrom(ms: number): () => number {
  const deadline = Date.now() + ms;
  return () => deadline - Date.now();
}

import { createServer, request as httpRequest, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSecretSource, createSecretsManagerClient } from '../../lib/adapters/webhooks/secret-source.js';
import { createWebhookSender } from '../../lib/adapters/webhooks/sender.js';
import { parseWebhookSecrets } from '../../lib/adapters/webhooks/signature.js';
import {
  MAX_WEBHOOK_BYTES,
  type RunningEventConsole,
  startEventConsole,
  type WebhookDelivery,
} from '../../local/event-console/index.js';

const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.alloc(32, 6).toString('base64')}`;
const WRONG_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const BUS = 'marketplace-credits-local';

function event(overrides: Record<string, unknown> = {}) {
  return {
    id: 'evt_01JDEMO',
    type: 'contract.activated',
    version: 1,
    timestamp: '2026-12-02T10:00:00.000Z',
    data: { contractId: 'ctr_42', businessId: 'biz_7' },
    ...overrides,
  };
}

function entry(overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return {
    EventBusName: BUS,
    Source: 'marketplace-credits',
    DetailType: 'contract.activated',
    Detail: JSON.stringify(event()),
    Time: new Date('2026-12-02T10:00:00.000Z'),
    ...overrides,
  };
}

let events: RunningEventConsole;
let bus: EventBridgeClient;
const log: string[] = [];

beforeAll(async () => {
  events = await startEventConsole({
    port: 0,
    webhookSecret: `${SECRET} ${OLD_SECRET}`,
    log: (line) => log.push(line),
  });
  bus = new EventBridgeClient({
    endpoint: events.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  bus.destroy();
  await events.stop();
});

afterEach(() => {
  events.clear();
  events.failNextWebhooks(0);
  vi.restoreAllMocks();
});

/** Plain HTTP servers on loopback standing in for a seller's endpoint or a misbehaving AWS. */
const stubs: Server[] = [];

async function stub(handler: RequestListener): Promise<string> {
  const server = createServer(handler);
  stubs.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

async function closeStubs(): Promise<void> {
  await Promise.all(
    stubs.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(resolve);
        }),
    ),
  );
}

afterEach(closeStubs);

/** What `promise` was rejected with; fails the test if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection');
}

function sender(secret = SECRET, url = events.webhookUrl) {
  return createWebhookSender({ url, keys: async () => parseWebhookSecrets(secret) });
}

function webhooks(): WebhookDelivery[] {
  return events.received().filter((e): e is WebhookDelivery => e.via === 'webhook');
}

/** A request with headers fetch will not let a caller set (Host). */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { port } = new URL(events.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('event console: the EventBridge stand-in', () => {
  it('records what the real EventBridge client puts on the bus', async () => {
    const output = await bus.send(new PutEventsCommand({ Entries: [entry()] }));

    expect(output.FailedEntryCount).toBe(0);
    const eventId = output.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(events.received()).toEqual([
      {
        via: 'bus',
        bus: BUS,
        source: 'marketplace-credits',
        detailType: 'contract.activated',
        time: '2026-12-02T10:00:00.000Z',
        id: 'evt_01JDEMO',
        eventId,
        body: JSON.stringify(event()),
        receivedAt: expect.any(String),
      },
    ]);
  });

  it('takes up to ten entries in one call, in order', async () => {
    const entries = Array.from({ length: 10 }, (_, i) =>
      entry({ Detail: JSON.stringify(event({ id: `evt_${i}` })) }),
    );

    const output = await bus.send(new PutEventsCommand({ Entries: entries }));

    expect(output.FailedEntryCount).toBe(0);
    expect(events.received().map((e) => e.id)).toEqual(entries.map((_, i) => `evt_${i}`));
  });

  it('fails the entries AWS would fail one by one and keeps the others', async () => {
    const output = await bus.send(
      new PutEventsCommand({
        Entries: [
          entry({ Detail: '{not json' }),
          entry(),
          entry({ EventBusName: undefined }),
          entry({ Detail: '[1]' }),
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(3);
    expect(output.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'MalformedDetail',
      'ok',
      'InvalidArgument',
      'MalformedDetail',
    ]);
    expect(events.received()).toHaveLength(1);
  });

  it.each([
    ['no entries', [], /between 1 and 10/],
    ['eleven entries', Array.from({ length: 11 }, () => entry()), /between 1 and 10/],
    [
      'an entry over 256 KB',
      [entry({ Detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) })],
      /over the limit/,
    ],
  ])('refuses a call with %s as AWS does (400 ValidationException)', async (_, entries, message) => {
    const error = await rejection(bus.send(new PutEventsCommand({ Entries: entries })));

    expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect(error.message).toMatch(message);
    expect(events.received()).toEqual([]);
  });

  it('answers a body that is not JSON with a SerializationException', async () => {
    const response = await fetch(events.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: '{"Entries": [',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('SerializationException');
    expect(await response.json()).toEqual({
      __type: 'SerializationException',
      message: 'Request body is not valid JSON.',
    });
  });

  it('answers an operation it does not serve with UnknownOperationException', async () => {
    const response = await fetch(events.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutRule' },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });
});

describe('event console: the Secrets Manager stand-in', () => {
  it('gives the configured secret to the real Secrets Manager client', async () => {
    const client = createSecretsManagerClient({ endpoint: events.url });

    const output = await client.send(new GetSecretValueCommand({ SecretId: 'marketplace-credits/webhook' }));

    expect(output).toMatchObject({
      Name: 'marketplace-credits/webhook',
      SecretString: `${SECRET} ${OLD_SECRET}`,
      VersionStages: ['AWSCURRENT'],
    });
    expect(output.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:marketplace-credits\/webhook-/,
    );
    expect(output.CreatedDate).toBeInstanceOf(Date);
    expect(output.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    client.destroy();
  });

  it('answers an empty SecretId with ResourceNotFoundException', async () => {
    const client = createSecretsManagerClient({ endpoint: events.url });

    const error = await rejection(client.send(new GetSecretValueCommand({ SecretId: '' })));

    expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    client.destroy();
  });
});

describe('createSecretSource', () => {
  it('loads both keys of a rotation through the real client', async () => {
    const client = createSecretsManagerClient({ endpoint: events.url });

    const keys = await createSecretSource({ client, secretId: 'marketplace-credits/webhook' })();

    expect(keys).toEqual(parseWebhookSecrets(`${SECRET} ${OLD_SECRET}`));
    client.destroy();
  });

  it('shares one request between concurrent callers and reads again after the TTL', async () => {
    const client = createSecretsManagerClient({ endpoint: events.url });
    const send = vi.spyOn(client, 'send');
    const clock = { ms: 1_000_000 };
    const keys = createSecretSource({ client, secretId: 'webhook', ttlMs: 60_000, now: () => clock.ms });

    const [first, second] = await Promise.all([keys(), keys()]);
    clock.ms += 59_999;
    await keys();

    expect(first).toBe(second);
    expect(send).toHaveBeenCalledTimes(1);
    clock.ms += 1;
    await keys();
    expect(send).toHaveBeenCalledTimes(2);
    client.destroy();
  });

  it('does not keep a failed read', async () => {
    const client = createSecretsManagerClient({ endpoint: events.url });
    const send = vi
      .spyOn(client, 'send')
      .mockRejectedValueOnce(new Error('ThrottlingException: Rate exceeded'));
    const keys = createSecretSource({ client, secretId: 'webhook' });

    await expect(keys()).rejects.toThrow(/Rate exceeded/);
    await expect(keys()).resolves.toHaveLength(2);
    expect(send).toHaveBeenCalledTimes(2);
    client.destroy();
  });

  it('refuses a secret that holds no valid whsec_ value, without repeating it', async () => {
    const url = await stub((_, res) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ Name: 'webhook', SecretString: 'sk_live_123456789012345678901234' }));
    });
    const client = createSecretsManagerClient({ endpoint: url });
    const keys = createSecretSource({ client, secretId: 'webhook' });

    const error = await rejection(keys());

    expect(error.message).toBe('Secret webhook: The webhook secret does not start with whsec_');
    expect(error.message).not.toContain('sk_live');
    client.destroy();
  });
});

describe('event console: the webhook receiver', () => {
  it('records a delivery the sender signed as verified and answers 204', async () => {
    const body = JSON.stringify(event());

    const result = await sender().deliver({ id: 'evt_01JDEMO', body });

    expect(result).toEqual({ ok: true, status: 204 });
    expect(webhooks()).toEqual([
      {
        via: 'webhook',
        verified: true,
        id: 'evt_01JDEMO',
        webhookId: 'evt_01JDEMO',
        type: 'contract.activated',
        status: 204,
        injectedFailure: false,
        body,
        receivedAt: expect.any(String),
      },
    ]);
  });

  it('verifies a delivery signed with the previous secret only', async () => {
    expect(await sender(OLD_SECRET).deliver({ id: 'evt_2', body: JSON.stringify(event()) })).toEqual({
      ok: true,
      status: 204,
    });
  });

  it('answers 401 to a delivery signed with another secret and records it unverified', async () => {
    const result = await sender(WRONG_SECRET).deliver({ id: 'evt_3', body: JSON.stringify(event()) });

    expect(result).toEqual({ ok: false, status: 401, error: 'HTTP 401' });
    expect(webhooks()).toMatchObject([{ verified: false, reason: 'no signature matches', status: 401 }]);
  });

  it('answers 401 to a delivery without signature headers', async () => {
    const response = await fetch(events.webhookUrl, { method: 'POST', body: JSON.stringify(event()) });

    expect(response.status).toBe(401);
    expect(await response.text()).toMatch(/missing webhook-id header/);
    expect(webhooks()).toMatchObject([{ verified: false, reason: 'missing webhook-id header' }]);
  });

  it('fails the next deliveries when told to, so a retry can be seen', async () => {
    const message = { id: 'evt_4', body: JSON.stringify(event({ id: 'evt_4' })) };
    events.failNextWebhooks(1);

    const first = await sender().deliver(message);
    const second = await sender().deliver(message);

    expect(first).toEqual({ ok: false, status: 503, error: 'HTTP 503' });
    expect(second).toEqual({ ok: true, status: 204 });
    expect(webhooks().map((w) => [w.status, w.verified, w.injectedFailure])).toEqual([
      [503, true, true],
      [204, true, false],
    ]);
  });

  it('refuses a body over 256 KB with 413 and records nothing', async () => {
    const body = JSON.stringify({ pad: 'x'.repeat(MAX_WEBHOOK_BYTES) });

    const result = await sender().deliver({ id: 'evt_5', body });

    expect(result).toEqual({ ok: false, status: 413, error: 'HTTP 413' });
    expect(events.received()).toEqual([]);
  });

  it('accepts GET on the webhook path as nothing but a 405', async () => {
    const response = await fetch(events.webhookUrl);

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });
});

describe('createWebhookSender over HTTP', () => {
  it('gives up on an endpoint that never answers after its timeout', async () => {
    const url = await stub(() => {});
    const hung = createWebhookSender({ url, keys: async () => parseWebhookSecrets(SECRET), timeoutMs: 200 });

    expect(await hung.deliver({ id: 'evt_6', body: '{}' })).toEqual({
      ok: false,
      error: 'timed out after 200 ms',
    });
  });

  it('does not follow a redirect', async () => {
    let followed = false;
    const url = await stub((req, res) => {
      if (req.url === '/elsewhere') followed = true;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });

    const result = await sender(SECRET, url).deliver({ id: 'evt_7', body: '{}' });

    expect(result).toEqual({ ok: false, status: 302, error: 'redirect (HTTP 302) not followed' });
    expect(followed).toBe(false);
  });

  it('reports a refused connection as a network error', async () => {
    const url = await stub(() => {});
    await closeStubs();

    expect(await sender(SECRET, url).deliver({ id: 'evt_8', body: '{}' })).toEqual({
      ok: false,
      error: 'network error: ECONNREFUSED',
    });
  });
});

describe('event console: the page', () => {
  it('lists what arrived, newest first, with ids from data and the JSON, everything escaped', async () => {
    await bus.send(new PutEventsCommand({ Entries: [entry()] }));
    await sender().deliver({
      id: 'evt_hostile',
      body: JSON.stringify(event({ id: 'evt_hostile', type: '<script>alert(1)</script>' })),
    });

    const response = await fetch(events.url);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(html).toContain('<title>Events sent');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('ctr_42');
    expect(html).toContain('biz_7');
    expect(html).toContain('<details>');
    expect(html).toContain('✓');
    expect(html.indexOf('evt_hostile')).toBeLessThan(html.indexOf('evt_01JDEMO'));
  });

  it('serves the same list as JSON, newest first', async () => {
    await bus.send(new PutEventsCommand({ Entries: [entry()] }));
    await sender().deliver({ id: 'evt_9', body: JSON.stringify(event({ id: 'evt_9' })) });

    const list = (await (await fetch(`${events.url}/events.json`)).json()) as { via: string; id: string }[];

    expect(list.map((e) => [e.via, e.id])).toEqual([
      ['webhook', 'evt_9'],
      ['bus', 'evt_01JDEMO'],
    ]);
  });

  it('clears the list from its form and sends the browser back', async () => {
    await bus.send(new PutEventsCommand({ Entries: [entry()] }));

    const response = await fetch(`${events.url}/clear`, { method: 'POST', redirect: 'manual' });

    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toMatch(/^\/\?done=/);
    expect(events.received()).toEqual([]);
  });

  it('fails webhook deliveries from its form', async () => {
    const response = await fetch(`${events.url}/webhook-failures`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: events.url },
      body: 'n=2',
      redirect: 'manual',
    });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await sender().deliver({ id: `evt_${i}`, body: '{}' }));

    expect(response.status).toBe(303);
    expect(results.map((r) => r.ok)).toEqual([false, false, true]);
  });

  it.each(['-1', '1.5', 'many', '101', ''])('refuses to fail "%s" deliveries', async (n) => {
    const response = await fetch(`${events.url}/webhook-failures`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ n }),
    });

    expect(response.status).toBe(400);
    expect(await sender().deliver({ id: 'evt_10', body: '{}' })).toEqual({ ok: true, status: 204 });
  });

  it('refuses a cross-site POST', async () => {
    await bus.send(new PutEventsCommand({ Entries: [entry()] }));

    const fromElsewhere = await fetch(`${events.url}/clear`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    const sameSite = await fetch(`${events.url}/clear`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-site' },
    });

    expect(fromElsewhere.status).toBe(403);
    expect(sameSite.status).toBe(403);
    expect(events.received()).toHaveLength(1);
  });

  it('refuses requests for any other host name (DNS rebinding)', async () => {
    await bus.send(new PutEventsCommand({ Entries: [entry()] }));

    for (const host of ['evil.example', 'evil.example:80', `rebound.example:${new URL(events.url).port}`]) {
      const page = await raw('/events.json', { headers: { host } });
      const clear = await raw('/clear', { method: 'POST', headers: { host } });

      expect(page.status).toBe(403);
      expect(page.body).not.toContain('evt_01JDEMO');
      expect(clear.status).toBe(403);
    }
    expect(events.received()).toHaveLength(1);
    expect(
      (await raw('/events.json', { headers: { host: `localhost:${new URL(events.url).port}` } })).status,
    ).toBe(200);
  });

  it('answers an unknown path with 404', async () => {
    expect((await fetch(`${events.url}/nope`)).status).toBe(404);
  });
});

describe('startEventConsole', () => {
  it('refuses to start with a malformed secret, without repeating it', async () => {
    await expect(startEventConsole({ webhookSecret: 'whsec_c2hvcnQ=' })).rejects.toThrow(
      'The webhook secret is 5 bytes; at least 24 are needed',
    );
  });

  it('reports the port it got when asked for port 0', () => {
    expect(events.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new URL(events.url).port).not.toBe('0');
    expect(events.webhookUrl).toBe(`${events.url}/webhook`);
  });

  it('logs one line per event', async () => {
    log.length = 0;
    await bus.send(new PutEventsCommand({ Entries: [entry()] }));

    expect(log).toEqual([`events  bus ${BUS}: contract.activated from marketplace-credits`]);
  });
});

import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { assertWebhookUrl, createWebhookSender } from '../../../lib/adapters/webhooks/sender.js';
import { parseWebhookSecrets } from '../../../lib/adapters/webhooks/signature.js';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
const URL_ = 'https://seller.example/hooks/credits';
const NOW = new Date('2026-12-02T10:00:00.000Z');
const MESSAGE = {
  id: 'evt_01',
  body: '{"id":"evt_01","type":"contract.activated","version":1,"timestamp":"2026-12-02T10:00:00.000Z","data":{}}',
};

interface Call {
  readonly url: string;
  readonly init: RequestInit;
}

/** A fetch that records its calls and answers with `answer`. */
function fakeFetch(answer: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: string | URL | Request, init?: RequestInit) => {
    const call = { url: String(input), init: init ?? {} };
    calls.push(call);
    return answer(call);
  });
  return { fetch, calls };
}

function sender(fetch: typeof globalThis.fetch, keys = async () => parseWebhookSecrets(SECRET)) {
  return createWebhookSender({ url: URL_, keys, fetch, now: () => NOW });
}

function headersOf(call: Call | undefined): Record<string, string> {
  return Object.fromEntries(new Headers(call?.init.headers).entries());
}

describe('createWebhookSender', () => {
  it('posts the body with Standard Webhooks headers the reference package verifies', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));

    const result = await sender(fetch).deliver(MESSAGE);

    expect(result).toEqual({ ok: true, status: 204 });
    const call = calls[0];
    expect(call?.url).toBe(URL_);
    expect(call?.init.method).toBe('POST');
    expect(call?.init.body).toBe(MESSAGE.body);
    expect(call?.init.redirect).toBe('manual');
    expect(call?.init.signal).toBeInstanceOf(AbortSignal);
    const headers = headersOf(call);
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': 'evt_01',
      'webhook-timestamp': String(NOW.getTime() / 1000),
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    try {
      expect(new Webhook(SECRET).verify(MESSAGE.body, headers)).toEqual(JSON.parse(MESSAGE.body));
    } finally {
      vi.useRealTimers();
    }
  });

  it('signs with both keys during a rotation', async () => {
    const other = `whsec_${Buffer.alloc(32, 4).toString('base64')}`;
    const { fetch, calls } = fakeFetch(() => new Response('ok'));

    await sender(fetch, async () => parseWebhookSecrets(`${SECRET} ${other}`)).deliver(MESSAGE);

    expect(headersOf(calls[0])['webhook-signature']?.split(' ')).toHaveLength(2);
  });

  it.each([200, 202, 204, 299])('counts HTTP %i as delivered', async (status) => {
    const { fetch } = fakeFetch(() => new Response(status === 204 ? null : 'thanks', { status }));

    expect(await sender(fetch).deliver(MESSAGE)).toEqual({ ok: true, status });
  });

  it.each([400, 401, 404, 410, 429, 500, 503])('counts HTTP %i as not delivered', async (status) => {
    const { fetch } = fakeFetch(() => new Response('no', { status }));

    expect(await sender(fetch).deliver(MESSAGE)).toEqual({ ok: false, status, error: `HTTP ${status}` });
  });

  it.each([301, 302, 307, 308])(
    'counts a redirect (%i) as not delivered and does not follow it',
    async (status) => {
      const { fetch, calls } = fakeFetch(
        () => new Response(null, { status, headers: { location: 'https://elsewhere.example/' } }),
      );

      const result = await sender(fetch).deliver(MESSAGE);

      expect(result).toEqual({ ok: false, status, error: `redirect (HTTP ${status}) not followed` });
      expect(calls).toHaveLength(1);
    },
  );

  it('reports a timeout when the attempt is aborted by its deadline', async () => {
    const { fetch } = fakeFetch(() => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    });

    const result = await createWebhookSender({
      url: URL_,
      keys: async () => parseWebhookSecrets(SECRET),
      fetch,
      timeoutMs: 2500,
    }).deliver(MESSAGE);

    expect(result).toEqual({ ok: false, error: 'timed out after 2500 ms' });
  });

  it('reports a network error by its code', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED 203.0.113.7:443'), { code: 'ECONNREFUSED' }),
      });
    });

    expect(await sender(fetch).deliver(MESSAGE)).toEqual({ ok: false, error: 'network error: ECONNREFUSED' });
  });

  it('reports a network error without a code by its message', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('fetch failed');
    });

    expect(await sender(fetch).deliver(MESSAGE)).toEqual({ ok: false, error: 'network error: fetch failed' });
  });

  it('sends nothing when the secret cannot be loaded', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204 }));

    const result = await sender(fetch, async () => {
      throw new Error('AccessDeniedException: not allowed');
    }).deliver(MESSAGE);

    expect(result).toEqual({
      ok: false,
      error: 'webhook secret not loaded: AccessDeniedException: not allowed',
    });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('sends nothing when there is no key to sign with', async () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204 }));

    const result = await sender(fetch, async () => []).deliver(MESSAGE);

    expect(result).toEqual({ ok: false, error: 'not signed: No webhook signing key' });
    expect(fetch).not.toHaveBeenCalled();
  });

  it('reads a few KB of a long answer and cancels the rest', async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1024;
        controller.enqueue(new Uint8Array(1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { fetch } = fakeFetch(() => new Response(endless, { status: 200 }));

    const result = await sender(fetch).deliver(MESSAGE);

    expect(result).toEqual({ ok: true, status: 200 });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(16 * 1024);
  });

  it('still reports the status when the answer breaks off halfway', async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        controller.error(new Error('socket hang up'));
      },
    });
    const { fetch } = fakeFetch(() => new Response(broken, { status: 500 }));

    expect(await sender(fetch).deliver(MESSAGE)).toEqual({ ok: false, status: 500, error: 'HTTP 500' });
  });

  it('refuses to be created for a URL it must not call', () => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204 }));

    expect(() =>
      createWebhookSender({ url: 'http://seller.example/hooks', keys: async () => [], fetch }),
    ).toThrow(/must use https/);
  });
  it.each([0, -1, 1.5, Number.NaN])('refuses to be created with the timeout %s', (timeoutMs) => {
    const { fetch } = fakeFetch(() => new Response(null, { status: 204 }));

    expect(() => createWebhookSender({ url: URL_, keys: async () => [], fetch, timeoutMs })).toThrow(
      /positive whole number of milliseconds/,
    );
  });
});

describe('assertWebhookUrl', () => {
  it.each([
    'https://seller.example/hooks/credits',
    'https://seller.example:8443/hooks?tenant=7',
    'http://127.0.0.1:3009/webhook',
    'http://localhost:3009/webhook',
    'http://[::1]:3009/webhook',
  ])('accepts %s', (url) => {
    expect(assertWebhookUrl(url).href).toBe(new URL(url).href);
  });

  it.each([
    ['plain http elsewhere', 'http://seller.example/hooks', /must use https \(plain http only on loopback\)/],
    ['plain http on another loopback address', 'http://127.0.0.2/hooks', /must use https/],
    ['another scheme', 'ftp://seller.example/hooks', /must use https, got ftp:/],
    ['a relative URL', '/hooks', /not an absolute URL/],
    ['nothing', '', /not an absolute URL/],
    ['credentials', 'https://user:hunter2@seller.example/hooks', /must not carry credentials/],
    ['a user name alone', 'https://user@seller.example/hooks', /must not carry credentials/],
  ])('refuses %s', (_, url, message) => {
    expect(() => assertWebhookUrl(url)).toThrow(message);
  });

  it('does not repeat a password it refuses', () => {
    expect(() => assertWebhookUrl('https://user:hunter2@seller.example/hooks')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

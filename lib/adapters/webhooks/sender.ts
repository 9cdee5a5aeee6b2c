import { webhookHeaders } from './signature.js';

/**
 * One webhook delivery attempt to a seller's endpoint. What counts as delivered follows the
 * Standard Webhooks spec ("Delivery success and failure"): a 2xx and nothing else. A redirect is
 * a failure too (the seller should update the URL), so it is not followed. Retrying is the
 * caller's business: an attempt answers, it never throws.
 */

export interface WebhookMessage {
  /** `webhook-id`: the same on every attempt, the receiver's idempotency key. */
  readonly id: string;
  /** The JSON sent, byte for byte what was signed. */
  readonly body: string;
}

export type DeliveryResult =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly status?: number; readonly error: string };

export interface WebhookSender {
  deliver(message: WebhookMessage): Promise<DeliveryResult>;
}

export interface WebhookSenderOptions {
  readonly url: string;
  /** The signing keys, current first; loaded per attempt (a cached secret source is cheap). */
  readonly keys: () => Promise<readonly Buffer[]>;
  /** Per attempt, headers and body included. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly now?: () => Date;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** A receiver's answer is read this far and dropped, so the connection can be reused. */
const MAX_RESPONSE_BYTES = 4096;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The endpoint a seller configured: https, or plain http on loopback (the local stack's
 * receiver). Credentials in the URL would end up in logs and are refused. The error names the
 * problem, not the URL.
 */
export function assertWebhookUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('The webhook URL is not an absolute URL');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new Error('The webhook URL must not carry credentials (user:password@)');
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return parsed;
  throw new Error(
    parsed.protocol === 'http:'
      ? `The webhook URL must use https (plain http only on loopback), got http://${parsed.host}`
      : `The webhook URL must use https, got ${parsed.protocol.slice(0, 20)}`,
  );
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const url = assertWebhookUrl(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Checked here: AbortSignal.timeout would throw on each delivery instead.
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new Error(`The webhook timeout must be a positive whole number of milliseconds, got ${timeoutMs}`);
  }
  const fetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());

  return {
    async deliver(message) {
      let keys: readonly Buffer[];
      try {
        keys = await options.keys();
      } catch (error) {
        return { ok: false, error: `webhook secret not loaded: ${describe(error)}` };
      }
      let headers: Record<string, string>;
      try {
        headers = webhookHeaders(keys, message.id, now(), message.body);
      } catch (error) {
        return { ok: false, error: `not signed: ${describe(error)}` };
      }
      const signal = AbortSignal.timeout(timeoutMs);
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body: message.body,
          redirect: 'manual',
          signal,
        });
      } catch (error) {
        return { ok: false, error: failure(error, timeoutMs) };
      }
      await discard(response);
      const { status } = response;
      if (status >= 200 && status <= 299) return { ok: true, status };
      if (status >= 300 && status <= 399)
        return { ok: false, status, error: `redirect (HTTP ${status}) not followed` };
      return { ok: false, status, error: `HTTP ${status}` };
    },
  };
}

/** Reads at most a few KB of the answer and drops the rest; an error here changes nothing. */
async function discard(response: Response): Promise<void> {
  const body = response.body;
  if (body === null) return;
  const reader = body.getReader();
  try {
    let read = 0;
    while (read <= MAX_RESPONSE_BYTES) {
      const chunk = await reader.read();
      if (chunk.done) return;
      read += chunk.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A receiver that stops halfway through its answer has still answered.
  }
}

function failure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return `network error: ${cause.code}`;
  return `network error: ${describe(error)}`;
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

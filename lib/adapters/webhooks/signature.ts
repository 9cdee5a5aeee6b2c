import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks symmetric signatures (spec/standard-webhooks.md in
 * standard-webhooks/standard-webhooks): HMAC-SHA256 over `<id>.<timestamp>.<body>`, keyed with
 * the base64 part of a `whsec_` secret, sent as `v1,<base64>`. Several signatures in one header,
 * space-separated, let a receiver roll its secret without losing a delivery: we sign with the
 * current and the previous secret while a rotation is under way.
 */

const PREFIX = 'whsec_';
/** The spec: "Random. At least 24 bytes (192 bits …)". */
const MIN_KEY_BYTES = 24;
const MAX_SECRETS = 2;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DEFAULT_TOLERANCE_SECONDS = 300;

export type WebhookVerification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

// A type, not an interface: it must fit `Record<string, string>` (fetch's headers, verifyWebhook).
export type WebhookHeaders = {
  readonly 'content-type': 'application/json';
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/**
 * The signing keys in a configured secret: one `whsec_<base64>`, or two (current and previous)
 * separated by whitespace or a comma. Errors name the entry by position, never its value, so a
 * misconfigured secret does not end up in a log.
 */
export function parseWebhookSecrets(value: string): Buffer[] {
  const entries = value.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('No webhook secret given: expected whsec_<base64>');
  if (entries.length > MAX_SECRETS) {
    throw new Error(
      `At most ${MAX_SECRETS} webhook secrets (current and previous) are allowed, got ${entries.length}`,
    );
  }
  return entries.map((entry, i) => {
    const which =
      entries.length === 1 ? 'The webhook secret' : `Webhook secret ${i + 1} of ${entries.length}`;
    if (!entry.startsWith(PREFIX)) throw new Error(`${which} does not start with ${PREFIX}`);
    const encoded = entry.slice(PREFIX.length);
    if (encoded === '') throw new Error(`${which} has nothing after ${PREFIX}`);
    const key = Buffer.from(encoded, 'base64');
    // Buffer.from skips what is not base64; re-encoding catches a typo it would silently drop.
    if (!BASE64.test(encoded) || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
      throw new Error(`${which} is not valid base64 after ${PREFIX}`);
    }
    if (key.length < MIN_KEY_BYTES) {
      throw new Error(`${which} is ${key.length} bytes; at least ${MIN_KEY_BYTES} are needed`);
    }
    return key;
  });
}

/** The `webhook-signature` header value: `v1,<base64>` for each key, in key order, space-separated. */
export function signWebhook(
  keys: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  if (keys.length === 0) throw new Error('No webhook signing key');
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new Error('The webhook timestamp must be whole seconds since the epoch');
  }
  return keys.map((key) => `v1,${digest(key, id, timestampSeconds, body)}`).join(' ');
}

/** Everything a delivery carries besides its body; the timestamp is the attempt's, in whole seconds. */
export function webhookHeaders(
  keys: readonly Buffer[],
  id: string,
  timestamp: Date,
  body: string,
): WebhookHeaders {
  const seconds = Math.floor(timestamp.getTime() / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': signWebhook(keys, id, seconds, body),
  };
}

/**
 * A receiver's check: the three headers are present, the timestamp is within `toleranceSeconds`
 * of `now` either way (a replay or a wrong clock), and some `v1` signature matches some key.
 * Signatures of other versions (`v1a`, future ones) are skipped, as the spec asks. Compared in
 * constant time, so the check cannot be used as an oracle for the right signature.
 */
export function verifyWebhook(
  keys: readonly Buffer[],
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
  now: Date,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): WebhookVerification {
  const header = lowerCased(headers);
  const id = header['webhook-id'];
  const timestamp = header['webhook-timestamp'];
  const signatures = header['webhook-signature'];
  if (!id) return refuse('missing webhook-id header');
  if (!timestamp) return refuse('missing webhook-timestamp header');
  if (!signatures) return refuse('missing webhook-signature header');
  if (!/^\d{1,15}$/.test(timestamp)) return refuse('webhook-timestamp is not whole seconds since the epoch');
  const seconds = Number(timestamp);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds - seconds > toleranceSeconds) return refuse('webhook-timestamp is too old');
  if (seconds - nowSeconds > toleranceSeconds) return refuse('webhook-timestamp is in the future');
  if (keys.length === 0) return refuse('no key to verify with');

  const expected = keys.map((key) => Buffer.from(digest(key, id, seconds, body)));
  let sawV1 = false;
  for (const entry of signatures.split(/\s+/)) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    sawV1 = true;
    const given = Buffer.from(entry.slice(comma + 1));
    for (const candidate of expected) {
      if (given.length === candidate.length && timingSafeEqual(given, candidate)) return { ok: true };
    }
  }
  return refuse(sawV1 ? 'no signature matches' : 'no v1 signature');
}

function digest(key: Buffer, id: string, seconds: number, body: string): string {
  return createHmac('sha256', key).update(`${id}.${seconds}.${body}`, 'utf8').digest('base64');
}

function lowerCased(
  headers: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}

function refuse(reason: string): WebhookVerification {
  return { ok: false, reason };
}

import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  parseWebhookSecrets,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
} from '../../../lib/adapters/webhooks/signature.js';

/**
 * The Standard Webhooks test vector: standard-webhooks/standard-webhooks,
 * libraries/javascript/src/webhook.test.ts, test "sign function works" (the secret, id, payload
 * and timestamp below, expecting this signature); the same values are the defaults of that file's
 * TestPayload and of the other reference libraries' tests.
 */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const;

const SECRET_A = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const SECRET_B = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
const NOW = new Date('2026-12-02T10:00:00.000Z');
const BODY =
  '{"id":"evt_1","type":"contract.activated","version":1,"timestamp":"2026-12-02T10:00:00.000Z","data":{}}';

function vectorHeaders(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    'webhook-id': VECTOR.id,
    'webhook-timestamp': String(VECTOR.timestamp),
    'webhook-signature': VECTOR.signature,
    ...overrides,
  };
}

/**
 * ASCII mixed with any code point, lone surrogates included (both sides encode those as U+FFFD).
 * Built from code points: fast-check's `unit: 'binary'` takes about a second to warm up.
 */
const BODIES = fc.string({
  unit: fc.oneof(
    fc.string({ minLength: 1, maxLength: 1 }),
    fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  ),
  maxLength: 1000,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('signWebhook', () => {
  it('reproduces the Standard Webhooks test vector', () => {
    const keys = parseWebhookSecrets(VECTOR.secret);

    const signature = signWebhook(keys, VECTOR.id, VECTOR.timestamp, VECTOR.payload);

    expect(signature).toBe(VECTOR.signature);
    expect(
      new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.payload),
    ).toBe(VECTOR.signature);
  });

  it('is verified by the reference package when signed with the receiver’s secret', () => {
    const keys = parseWebhookSecrets(SECRET_A);
    const headers = webhookHeaders(keys, 'evt_1', new Date(), BODY);

    const payload = new Webhook(SECRET_A).verify(BODY, { ...headers });

    expect(payload).toEqual(JSON.parse(BODY));
  });

  it('signs with every key, in order, so either secret verifies during a rotation', () => {
    const keys = parseWebhookSecrets(`${SECRET_A} ${SECRET_B}`);
    const headers = webhookHeaders(keys, 'evt_1', new Date(), BODY);

    const parts = headers['webhook-signature'].split(' ');

    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe(
      signWebhook(parseWebhookSecrets(SECRET_A), 'evt_1', Number(headers['webhook-timestamp']), BODY),
    );
    expect(new Webhook(SECRET_A).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(new Webhook(SECRET_B).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('sends the attempt time in whole seconds and JSON as the content type', () => {
    const headers = webhookHeaders(
      parseWebhookSecrets(SECRET_A),
      'evt_1',
      new Date('2026-12-02T10:00:00.999Z'),
      BODY,
    );

    expect(headers['webhook-timestamp']).toBe(String(Date.parse('2026-12-02T10:00:00Z') / 1000));
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toBe('evt_1');
  });

  it('refuses to sign without a key or with a timestamp that is not whole seconds', () => {
    const keys = parseWebhookSecrets(SECRET_A);

    expect(() => signWebhook([], 'evt_1', 1, BODY)).toThrow(/No webhook signing key/);
    expect(() => signWebhook(keys, 'evt_1', 1.5, BODY)).toThrow(/whole seconds/);
    expect(() => signWebhook(keys, 'evt_1', -1, BODY)).toThrow(/whole seconds/);
  });

  it('agrees with the reference package both ways for any body, id and key', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
        BODIES,
        (key, id, body) => {
          const secret = `whsec_${Buffer.from(key).toString('base64')}`;
          const headers = webhookHeaders(parseWebhookSecrets(secret), id, NOW, body);

          expect(() => new Webhook(secret).verify(body, { ...headers }, { jsonParse: false })).not.toThrow();
          const theirs = {
            'webhook-id': id,
            'webhook-timestamp': headers['webhook-timestamp'],
            'webhook-signature': new Webhook(secret).sign(id, NOW, body),
          };
          expect(verifyWebhook(parseWebhookSecrets(secret), theirs, body, NOW)).toEqual({ ok: true });
        },
      ),
    );
  });
});

describe('verifyWebhook', () => {
  const keys = parseWebhookSecrets(VECTOR.secret);
  const at = new Date(VECTOR.timestamp * 1000);

  it('accepts the Standard Webhooks test vector', () => {
    expect(verifyWebhook(keys, vectorHeaders(), VECTOR.payload, at)).toEqual({ ok: true });
  });

  it('accepts what the reference package signs', () => {
    const webhook = new Webhook(SECRET_A);
    const signature = webhook.sign('msg_1', NOW, BODY);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(NOW.getTime() / 1000),
      'webhook-signature': signature,
    };

    expect(verifyWebhook(parseWebhookSecrets(SECRET_A), headers, BODY, NOW)).toEqual({ ok: true });
  });

  it('accepts a signature made with either key of a rotation', () => {
    const both = parseWebhookSecrets(`${SECRET_A},${SECRET_B}`);
    for (const secret of [SECRET_A, SECRET_B]) {
      const headers = webhookHeaders(parseWebhookSecrets(secret), 'evt_1', NOW, BODY);

      expect(verifyWebhook(both, headers, BODY, NOW)).toEqual({ ok: true });
    }
  });

  it('finds the matching signature among others and skips versions it does not know', () => {
    const good = signWebhook(keys, VECTOR.id, VECTOR.timestamp, VECTOR.payload);
    const header = ['v1a,bm90LWVkMjU1MTk=', 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', good].join(
      ' ',
    );

    expect(verifyWebhook(keys, vectorHeaders({ 'webhook-signature': header }), VECTOR.payload, at)).toEqual({
      ok: true,
    });
  });

  it('accepts header names in any case', () => {
    const headers = {
      'Webhook-Id': VECTOR.id,
      'WEBHOOK-TIMESTAMP': String(VECTOR.timestamp),
      'webhook-Signature': VECTOR.signature,
    };

    expect(verifyWebhook(keys, headers, VECTOR.payload, at)).toEqual({ ok: true });
  });

  it.each([
    ['the body', vectorHeaders(), '{"test": 2432232315}'],
    ['the id', vectorHeaders({ 'webhook-id': 'msg_other' }), VECTOR.payload],
    ['the timestamp', vectorHeaders({ 'webhook-timestamp': String(VECTOR.timestamp + 1) }), VECTOR.payload],
    [
      'the signature',
      vectorHeaders({ 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=' }),
      VECTOR.payload,
    ],
  ])('refuses a delivery when %s was changed after signing', (_, headers, body) => {
    expect(verifyWebhook(keys, headers, body, at)).toEqual({ ok: false, reason: 'no signature matches' });
  });

  it('refuses a signature made with another secret', () => {
    const headers = webhookHeaders(parseWebhookSecrets(SECRET_A), 'evt_1', NOW, BODY);

    expect(verifyWebhook(parseWebhookSecrets(SECRET_B), headers, BODY, NOW)).toEqual({
      ok: false,
      reason: 'no signature matches',
    });
  });

  it('refuses a signature that is cut short or empty', () => {
    for (const signature of [VECTOR.signature.slice(0, 8), 'v1,', 'v1']) {
      expect(
        verifyWebhook(keys, vectorHeaders({ 'webhook-signature': signature }), VECTOR.payload, at).ok,
      ).toBe(false);
    }
  });

  it('refuses when only unknown signature versions are present', () => {
    const headers = vectorHeaders({ 'webhook-signature': `v2,${VECTOR.signature.slice(3)}` });

    expect(verifyWebhook(keys, headers, VECTOR.payload, at)).toEqual({
      ok: false,
      reason: 'no v1 signature',
    });
  });

  it('accepts a timestamp at the edge of the tolerance and refuses one past it, both ways', () => {
    const seconds = (offset: number) => new Date((VECTOR.timestamp + offset) * 1000);

    expect(verifyWebhook(keys, vectorHeaders(), VECTOR.payload, seconds(300)).ok).toBe(true);
    expect(verifyWebhook(keys, vectorHeaders(), VECTOR.payload, seconds(-300)).ok).toBe(true);
    expect(verifyWebhook(keys, vectorHeaders(), VECTOR.payload, seconds(301))).toEqual({
      ok: false,
      reason: 'webhook-timestamp is too old',
    });
    expect(verifyWebhook(keys, vectorHeaders(), VECTOR.payload, seconds(-301))).toEqual({
      ok: false,
      reason: 'webhook-timestamp is in the future',
    });
    expect(verifyWebhook(keys, vectorHeaders(), VECTOR.payload, seconds(60), 30).ok).toBe(false);
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'refuses a delivery without %s',
    (name) => {
      expect(verifyWebhook(keys, vectorHeaders({ [name]: undefined }), VECTOR.payload, at)).toEqual({
        ok: false,
        reason: `missing ${name} header`,
      });
    },
  );

  it.each(['hello', '1614265330.5', '-1614265330', ''])('refuses the timestamp "%s"', (timestamp) => {
    expect(
      verifyWebhook(keys, vectorHeaders({ 'webhook-timestamp': timestamp }), VECTOR.payload, at).ok,
    ).toBe(false);
  });

  it('refuses everything when it has no key', () => {
    expect(verifyWebhook([], vectorHeaders(), VECTOR.payload, at)).toEqual({
      ok: false,
      reason: 'no key to verify with',
    });
  });
});

describe('parseWebhookSecrets', () => {
  it('reads one secret as its decoded key', () => {
    expect(parseWebhookSecrets(VECTOR.secret)).toEqual([
      Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'),
    ]);
  });

  it.each([' ', ',', ', ', '\n'])('reads two secrets separated by %j, current first', (separator) => {
    const keys = parseWebhookSecrets(` ${SECRET_A}${separator}${SECRET_B} `);

    expect(keys).toEqual([Buffer.alloc(32, 1), Buffer.alloc(32, 2)]);
  });

  it('accepts base64 without its padding', () => {
    expect(parseWebhookSecrets(SECRET_A.replace(/=+$/, ''))).toEqual([Buffer.alloc(32, 1)]);
  });

  it.each([
    ['nothing', '', /No webhook secret/],
    ['only separators', ' , ', /No webhook secret/],
    ['three secrets', `${SECRET_A} ${SECRET_B} ${SECRET_A}`, /At most 2 webhook secrets/],
    ['no prefix', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', /does not start with whsec_/],
    ['another prefix', 'whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', /does not start with whsec_/],
    ['nothing after the prefix', 'whsec_', /nothing after whsec_/],
    ['characters outside base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La!aSw', /not valid base64/],
    ['url-safe base64', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La_aSw', /not valid base64/],
    ['a truncated quantum', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwA', /not valid base64/],
    ['a short key', `whsec_${Buffer.alloc(23, 7).toString('base64')}`, /23 bytes; at least 24/],
  ])('refuses %s', (_, value, message) => {
    expect(() => parseWebhookSecrets(value)).toThrow(message);
  });

  it('names the bad entry by position when there are two', () => {
    expect(() => parseWebhookSecrets(`${SECRET_A} whsec_c2hvcnQ=`)).toThrow(
      /^Webhook secret 2 of 2 is 5 bytes/,
    );
  });

  it('never puts the secret in its error', () => {
    const values = [
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La!aSw',
      'sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'whsec_c2hvcnQ=',
    ];
    for (const value of values) {
      const error = (() => {
        try {
          parseWebhookSecrets(value);
        } catch (caught) {
          return caught as Error;
        }
        throw new Error('expected a refusal');
      })();
      expect(error.message).not.toContain(value.slice(value.indexOf('_') + 1));
    }
  });
});

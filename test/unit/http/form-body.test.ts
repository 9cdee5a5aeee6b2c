import { describe, expect, it } from 'vitest';
import { readSessionCookie, sessionCookie } from '../../../lib/adapters/http/cookies.js';
import {
  MalformedBodyError,
  PayloadTooLargeError,
  parseFormBody,
  UnsupportedMediaTypeError,
} from '../../../lib/adapters/http/form-body.js';

const urlencoded = 'application/x-www-form-urlencoded';

describe('parseFormBody', () => {
  it('decodes + / = in a urlencoded token exactly', () => {
    const token = 'ab+c/d==';
    const fields = parseFormBody({
      body: `x-amzn-marketplace-token=${encodeURIComponent(token)}`,
      contentType: urlencoded,
    });
    expect(fields.get('x-amzn-marketplace-token')).toBe(token);
  });

  it('reads a base64 body when the function URL encoded it', () => {
    const body = Buffer.from('a=1&b=two').toString('base64');
    expect(
      Object.fromEntries(parseFormBody({ body, isBase64Encoded: true, contentType: urlencoded })),
    ).toEqual({ a: '1', b: 'two' });
  });

  it('reads multipart text fields, quoted boundary included', () => {
    const body =
      '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nline one\r\n--XyZ\r\nContent-Disposition: form-data; name="b"\r\n\r\n2\r\n--XyZ--\r\n';
    const fields = parseFormBody({ body, contentType: 'multipart/form-data; boundary="XyZ"' });
    expect(Object.fromEntries(fields)).toEqual({ a: 'line one', b: '2' });
  });

  it('keeps the first value when a field is given twice', () => {
    expect(parseFormBody({ body: 'csrf=a&csrf=b', contentType: urlencoded }).get('csrf')).toBe('a');
  });

  it.each([
    [
      'a body over the limit',
      { body: 'a='.padEnd(20_000, 'x'), contentType: urlencoded },
      PayloadTooLargeError,
    ],
    [
      'a base64 body over the limit',
      { body: 'QUFB'.repeat(6000), isBase64Encoded: true, contentType: urlencoded },
      PayloadTooLargeError,
    ],
    ['JSON', { body: '{}', contentType: 'application/json' }, UnsupportedMediaTypeError],
    ['no content type', { body: 'a=1' }, UnsupportedMediaTypeError],
    ['multipart without boundary', { body: 'x', contentType: 'multipart/form-data' }, MalformedBodyError],
    [
      'a file upload',
      {
        body: '--b\r\nContent-Disposition: form-data; name="f"; filename="x.sh"\r\n\r\nrm -rf\r\n--b--',
        contentType: 'multipart/form-data; boundary=b',
      },
      MalformedBodyError,
    ],
    [
      'too many fields',
      { body: Array.from({ length: 40 }, (_, n) => `f${n}=1`).join('&'), contentType: urlencoded },
      MalformedBodyError,
    ],
  ])('refuses %s', (_, input, error) => {
    expect(() => parseFormBody(input)).toThrow(error);
  });
});

describe('session cookie', () => {
  it('sets a __Host- cookie that scripts cannot read and other sites cannot post with', () => {
    expect(sessionCookie('abc', 14400.9)).toBe(
      '__Host-setup=abc; Path=/; Max-Age=14400; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('reads only a well-formed session value', () => {
    const value = 'A'.repeat(43);
    expect(readSessionCookie([`other=1`, `__Host-setup=${value}`])).toBe(value);
    expect(readSessionCookie(undefined, `__Host-setup=${value}; theme=dark`)).toBe(value);
    expect(readSessionCookie(['__Host-setup=<script>'])).toBeUndefined();
    expect(readSessionCookie([`setup=${value}`])).toBeUndefined();
  });
});

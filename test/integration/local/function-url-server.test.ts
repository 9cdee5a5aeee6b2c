import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FunctionUrlHandler,
  type RunningFunctionUrl,
  startFunctionUrlServer,
} from '../../../local/stack/function-url-server.js';
import { invocationContext } from '../../../local/stack/invocation.js';

let seen: APIGatewayProxyEventV2 | undefined;
let handler: FunctionUrlHandler;
let front: RunningFunctionUrl;
const errors: unknown[] = [];

beforeAll(async () => {
  front = await startFunctionUrlServer({
    host: '127.0.0.1',
    port: 0,
    handler: () => handler,
    context: () => invocationContext('setup'),
    maxBodyBytes: 1024,
    onError: (error) => errors.push(error),
  });
});
afterAll(() => front?.close());

describe('local function URL front', () => {
  it('turns a form POST into a payload 2.0 event with cookies split out and the body base64-encoded', async () => {
    handler = async (event) => {
      seen = event;
      return {
        statusCode: 303,
        headers: { Location: '/setup' },
        cookies: ['a=1; Path=/', 'b=2; Path=/'],
        body: '',
      };
    };
    const response = await fetch(`${front.url}/setup/email?x=1&x=2&y=%3Cz%3E`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: '__Host-setup=abc; other=d' },
      body: 'email=a%40b.example',
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/setup');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(seen).toMatchObject({
      version: '2.0',
      rawPath: '/setup/email',
      rawQueryString: 'x=1&x=2&y=%3Cz%3E',
      queryStringParameters: { x: '1,2', y: '<z>' },
      cookies: ['__Host-setup=abc', 'other=d'],
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST', path: '/setup/email' } },
    });
    expect(seen?.headers.cookie).toBeUndefined();
    expect(Buffer.from(seen?.body ?? '', 'base64').toString()).toBe('email=a%40b.example');
  });

  it('passes JSON bodies as text and answers 200 JSON for a bare result', async () => {
    handler = async (event) => {
      seen = event;
      return JSON.stringify({ ok: true });
    };
    const response = await fetch(`${front.url}/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(seen).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
  });

  it('refuses a body over the limit with 413 without invoking the handler', async () => {
    seen = undefined;
    handler = async (event) => {
      seen = event;
      return { statusCode: 200 };
    };
    const response = await fetch(`${front.url}/`, { method: 'POST', body: 'x'.repeat(2048) });
    expect(response.status).toBe(413);
    expect(seen).toBeUndefined();
  });

  it('answers 502 when the handler throws, as a failed invocation', async () => {
    handler = async () => {
      throw new Error('boom');
    };
    const response = await fetch(`${front.url}/`);
    expect(response.status).toBe(502);
    expect(errors.at(-1)).toBeInstanceOf(Error);
  });
});

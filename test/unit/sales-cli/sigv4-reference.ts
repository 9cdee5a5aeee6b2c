import { createHash, createHmac } from 'node:crypto';

/**
 * An independent SigV4 (AWS4-HMAC-SHA256) implementation written from the AWS specification
 * ("Create a signed AWS API request") with node:crypto only, to check what the CLI sends. It
 * shares no code with @smithy/signature-v4.
 */

export interface RawRequest {
  readonly method: string;
  /** Path as it went on the wire (percent-encoded once), without the query. */
  readonly rawPath: string;
  /** Query as it went on the wire, without the `?`. */
  readonly rawQuery: string;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

/** URI-encode every byte except the unreserved characters A-Z a-z 0-9 - _ . ~ */
export function uriEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const match = header ? AUTHORIZATION.exec(header) : null;
  if (!match) return undefined;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match;
  if (!accessKeyId || !date || !region || !service || !signedHeaders || !signature) return undefined;
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** Non-S3 services: normalise the path, then URI-encode every segment twice. */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEncode(uriEncode(decodeURIComponent(segment))));
  }
  return `/${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
}

/** Decode each name and value, encode it strictly, sort by name then value. */
export function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? '' : pair.slice(eq + 1);
      return [uriEncode(decodeURIComponent(name)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

export function canonicalRequest(request: RawRequest, signedHeaders: readonly string[]): string {
  const headerLines = signedHeaders
    .map((name) => `${name}:${(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  return [
    request.method,
    canonicalUri(request.rawPath),
    canonicalQuery(request.rawQuery),
    headerLines,
    signedHeaders.join(';'),
    sha256Hex(request.body ?? ''),
  ].join('\n');
}

export interface SigningScope {
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}

/** The signature the request must carry, from its headers and the secret key. */
export function expectedSignature(
  request: RawRequest,
  signedHeaders: readonly string[],
  scope: SigningScope,
): string {
  const amzDate = request.headers['x-amz-date'] ?? '';
  const date = amzDate.slice(0, 8);
  const credentialScope = `${date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    credentialScope,
    sha256Hex(canonicalRequest(request, signedHeaders)),
  ].join('\n');
  const kDate = hmac(`AWS4${scope.secretAccessKey}`, date);
  const kRegion = hmac(kDate, scope.region);
  const kService = hmac(kRegion, scope.service);
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

export type Verification =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly reason: string };

/**
 * What a function URL with AWS_IAM does, minus clock skew: parse the Authorization header,
 * look the key up, recompute the signature, compare.
 */
export function verifyRequest(
  request: RawRequest,
  secretOf: (accessKeyId: string) => string | undefined,
  expected: { readonly region: string; readonly service: string },
): Verification {
  const auth = parseAuthorization(request.headers.authorization);
  if (!auth) return { ok: false, reason: 'Missing or malformed Authorization header' };
  const secret = secretOf(auth.accessKeyId);
  if (secret === undefined)
    return { ok: false, reason: 'The security token included in the request is invalid' };
  if (auth.region !== expected.region || auth.service !== expected.service) {
    return { ok: false, reason: `Credential scope ${auth.region}/${auth.service} is wrong` };
  }
  for (const required of ['host', 'x-amz-date']) {
    if (!auth.signedHeaders.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }
  if (request.headers['x-amz-date']?.slice(0, 8) !== auth.date) {
    return { ok: false, reason: 'x-amz-date does not match the credential scope date' };
  }
  const payloadHash = request.headers['x-amz-content-sha256'];
  if (payloadHash !== undefined && payloadHash !== sha256Hex(request.body ?? '')) {
    return { ok: false, reason: 'x-amz-content-sha256 does not match the body' };
  }
  const signature = expectedSignature(request, auth.signedHeaders, {
    secretAccessKey: secret,
    region: auth.region,
    service: auth.service,
  });
  return signature === auth.signature
    ? { ok: true, accessKeyId: auth.accessKeyId }
    : { ok: false, reason: 'The request signature we calculated does not match the signature you provided' };
}

/** Splits a request URL into what went on the wire, without any re-normalisation. */
export function rawTarget(url: string): { rawPath: string; rawQuery: string } {
  const afterOrigin = url.replace(/^[a-z]+:\/\/[^/]+/i, '') || '/';
  const q = afterOrigin.indexOf('?');
  return q === -1
    ? { rawPath: afterOrigin, rawQuery: '' }
    : { rawPath: afterOrigin.slice(0, q), rawQuery: afterOrigin.slice(q + 1) };
}

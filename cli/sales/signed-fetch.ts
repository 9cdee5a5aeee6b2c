import { createHash } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Structurally the SDK's `AwsCredentialIdentity`, so any SDK credential provider fits. */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

export interface SignedFetchOptions {
  /** The function URL, e.g. `https://abc.lambda-url.eu-west-1.on.aws/` or `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Signing region; by default the one in the function URL host, then AWS_REGION / AWS_DEFAULT_REGION. */
  readonly region?: string;
  /** By default the SDK's Node provider chain (env, SSO, profiles, IMDS, …). */
  readonly credentials?: AwsCredentialIdentityProvider;
  readonly fetch?: typeof fetch;
  /** Where AWS_REGION / AWS_DEFAULT_REGION are read; `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export type SignedMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface SignedFetchInit {
  /** GET by default. */
  readonly method?: SignedMethod;
  readonly accept?: string;
  /** The request body (POST, PUT); its SHA-256 is sent as `x-amz-content-sha256` and signed. */
  readonly body?: string;
  /** The body's media type, signed with it; `application/json` by default when there is a body. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** A request to `path` (path and query, relative to the function URL) signed with SigV4 for `lambda`. */
export type SignedFetch = (path: string, init?: SignedFetchInit) => Promise<Response>;

/** sha256 of the empty body, sent as `x-amz-content-sha256` and signed. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Hex SHA-256 of a body as sent (UTF-8), the value `x-amz-content-sha256` carries. */
export function bodySha256(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** The function URL or region cannot be used. */
export class SignedFetchConfigError extends Error {
  override readonly name = 'SignedFetchConfigError';
}

/** The credential chain found nothing usable (expired SSO session, no profile, …). */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** The request never got an HTTP response (DNS, refused connection, TLS, reset). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

const FUNCTION_URL_HOST = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/i;

/** `abc123.lambda-url.eu-west-1.on.aws` → `eu-west-1`; undefined for any other host. */
export function regionFromFunctionUrl(host: string): string | undefined {
  return FUNCTION_URL_HOST.exec(host)?.[1]?.toLowerCase();
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export function resolveRegion(
  url: URL,
  region: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const resolved =
    region ||
    regionFromFunctionUrl(url.hostname) ||
    env.AWS_REGION ||
    env.AWS_DEFAULT_REGION ||
    (isLoopbackHost(url.hostname) ? 'us-east-1' : undefined);
  if (!resolved) {
    throw new SignedFetchConfigError(
      `Cannot tell the AWS region of ${url.host}: it is not a function URL host ` +
        '(<id>.lambda-url.<region>.on.aws); set AWS_REGION.',
    );
  }
  return resolved;
}

export function parseFunctionUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SignedFetchConfigError(`Not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new SignedFetchConfigError(`The function URL must be https: ${url}`);
  }
  // Plain http would put the session token on the wire: only for the local stack.
  if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname)) {
    throw new SignedFetchConfigError(`Refusing to send signed requests over plain http to ${parsed.host}`);
  }
  if (parsed.username || parsed.password) {
    throw new SignedFetchConfigError('The function URL must not carry a user name or password');
  }
  return parsed;
}

/** Signs requests to the local stack (plain http on loopback), which checks no signature. */
const LOCAL_STACK_CREDENTIALS: AwsCredentialIdentityProvider = async () => ({
  accessKeyId: 'LOCALSTACK',
  secretAccessKey: 'local-stack-does-not-check-signatures',
});

/** RFC 3986 percent-encoding (encodeURIComponent plus `!'()*`), as SigV4 canonicalises. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalSegment(segment: string): string {
  try {
    return encodeRfc3986(decodeURIComponent(segment));
  } catch {
    throw new SignedFetchConfigError(`Malformed percent-encoding in path segment: ${segment}`);
  }
}

interface Target {
  readonly pathname: string;
  readonly query: Record<string, string | string[]>;
  readonly search: string;
}

/**
 * Only the path and query of `path` are used: its host, if any (`//evil.example/x`), never is.
 * Both are re-encoded strictly so that what goes on the wire is exactly what gets signed.
 */
function targetOf(base: URL, path: string): Target {
  if (!path.startsWith('/')) throw new SignedFetchConfigError(`Path must start with /: ${path}`);
  const relative = new URL(path, 'http://path.invalid');
  const prefix = base.pathname.replace(/\/+$/, '');
  const pathname = `${prefix}${relative.pathname}`.split('/').map(canonicalSegment).join('/');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of relative.searchParams) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const search = [...relative.searchParams]
    .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`)
    .join('&');
  return { pathname, query, search: search ? `?${search}` : '' };
}

function describeCause(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code)
      ? `${cause.message} (${code})`
      : cause.message;
  }
  return String(cause);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/**
 * A fetch for one Lambda function URL with auth type AWS_IAM: every request is signed with SigV4
 * (service `lambda`) by the SDK's signer, never by hand. A body's SHA-256 goes in
 * `x-amz-content-sha256` (signed): function URLs need it to check the signature of a request
 * with a body. The local stack ignores the signature but gets one all the same, so the same code
 * path runs everywhere.
 */
export function createSignedFetch(options: SignedFetchOptions): SignedFetch {
  const base = parseFunctionUrl(options.url);
  const region = resolveRegion(base, options.region, options.env ?? process.env);
  // The local stack takes any signature; a fresh laptop has no AWS credentials to sign with.
  const credentials =
    options.credentials ??
    (base.protocol === 'http:' && isLoopbackHost(base.hostname)
      ? LOCAL_STACK_CREDENTIALS
      : defaultProvider());
  const fetchImpl = options.fetch ?? fetch;
  const signer = new SignatureV4({
    service: 'lambda',
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
  });

  return async (path, init = {}) => {
    const target = targetOf(base, path);
    const method = init.method ?? 'GET';
    if (init.body !== undefined && (method === 'GET' || method === 'DELETE')) {
      throw new SignedFetchConfigError(`A ${method} request carries no body`);
    }
    const body = init.body;
    const request = new HttpRequest({
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      path: target.pathname,
      query: target.query,
      headers: {
        host: base.host,
        'x-amz-content-sha256': body === undefined ? EMPTY_BODY_SHA256 : bodySha256(body),
        ...(body === undefined ? {} : { 'content-type': init.contentType ?? 'application/json' }),
      },
      ...(body === undefined ? {} : { body }),
    });

    let signed: { readonly headers: Record<string, string> };
    try {
      signed = await signer.sign(request);
    } catch (error) {
      throw new CredentialsError(
        `Could not load AWS credentials to sign the request: ${describeCause(error)}`,
        {
          cause: error,
        },
      );
    }

    // fetch sets Host itself from the URL, to the same value that was signed.
    const headers = new Headers();
    for (const [name, value] of Object.entries(signed.headers)) {
      if (name.toLowerCase() !== 'host') headers.set(name, value);
    }
    if (init.accept) headers.set('accept', init.accept);

    const url = `${base.origin}${target.pathname}${target.search}`;
    try {
      return await fetchImpl(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        redirect: 'manual',
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      throw new NetworkError(`Could not reach ${base.origin}: ${describeCause(error)}`, { cause: error });
    }
  };
}

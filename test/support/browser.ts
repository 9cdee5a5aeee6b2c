import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Page {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly location?: string;
  readonly setCookies: readonly string[];
}

export interface RequestOptions {
  readonly contentType?: string;
  readonly base64?: boolean;
  readonly rawBody?: string;
}

/**
 * A browser of one buyer in front of a function URL handler: it turns requests into payload
 * 2.0 events, keeps the cookies the handler sets and can read the CSRF token off a page.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  last?: Page;

  constructor(
    private readonly handler: Handler,
    private readonly context: Context,
    /** The address every request comes from (the function URL's `sourceIp`). */
    readonly sourceIp = '203.0.113.7',
  ) {}

  get(path: string): Promise<Page> {
    return this.request('GET', path);
  }

  post(path: string, fields: Record<string, string>, options: RequestOptions = {}): Promise<Page> {
    return this.request('POST', path, fields, options);
  }

  /** Posts a form of the current page, with the page's CSRF token unless `fields` sets one. */
  submit(path: string, fields: Record<string, string> = {}): Promise<Page> {
    return this.post(path, { csrf: this.csrf(), ...fields });
  }

  csrf(): string {
    const match = /name="csrf"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf"/.exec(
      this.last?.body ?? '',
    );
    const token = match?.[1] ?? match?.[2];
    if (!token) throw new Error(`No CSRF token on the last page (status ${this.last?.status})`);
    return token;
  }

  /** Follows a 303 like a browser would (GET). */
  async follow(): Promise<Page> {
    const location = this.last?.location;
    if (!location) throw new Error('Last response was not a redirect');
    return this.get(new URL(location, 'https://setup.example').pathname);
  }

  async request(
    method: string,
    path: string,
    fields?: Record<string, string>,
    options: RequestOptions = {},
  ): Promise<Page> {
    const contentType = options.contentType ?? 'application/x-www-form-urlencoded';
    let body = options.rawBody ?? (fields ? encode(fields, contentType) : undefined);
    if (body !== undefined && options.base64) body = Buffer.from(body).toString('base64');
    const [rawPath, rawQueryString = ''] = path.split('?');
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: '$default',
      rawPath: rawPath ?? '/',
      rawQueryString,
      cookies: [...this.cookies].map(([name, value]) => `${name}=${value}`),
      headers: {
        host: 'setup.example',
        'user-agent': 'test-browser',
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      },
      requestContext: {
        accountId: 'anonymous',
        apiId: 'setup',
        domainName: 'setup.example',
        domainPrefix: 'setup',
        http: {
          method,
          path: rawPath ?? '/',
          protocol: 'HTTP/1.1',
          sourceIp: this.sourceIp,
          userAgent: 'test-browser',
        },
        requestId: 'request-1',
        routeKey: '$default',
        stage: '$default',
        time: '23/Nov/2026:10:00:00 +0000',
        timeEpoch: 0,
      },
      isBase64Encoded: options.base64 ?? false,
      ...(body !== undefined ? { body } : {}),
    };
    const result = await this.handler(event, this.context);
    const headers = Object.fromEntries(
      Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    const setCookies = result.cookies ?? [];
    for (const cookie of setCookies) {
      const [pair = ''] = cookie.split(';');
      const [name = '', ...value] = pair.split('=');
      if (/Max-Age=0\b/.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value.join('='));
    }
    const page: Page = {
      status: result.statusCode ?? 200,
      headers,
      body: result.body ?? '',
      setCookies,
      ...(headers.location ? { location: headers.location } : {}),
    };
    if (page.status !== 303) this.last = page;
    return page;
  }
}

function encode(fields: Record<string, string>, contentType: string): string {
  if (contentType.startsWith('multipart/form-data')) {
    const boundary = /boundary=([^;]+)/.exec(contentType)?.[1] ?? 'x';
    return `${Object.entries(fields)
      .map(
        ([name, value]) =>
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      )
      .join('')}--${boundary}--\r\n`;
  }
  return new URLSearchParams(fields).toString();
}

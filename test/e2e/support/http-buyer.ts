/**
 * A buyer's browser reduced to HTTP: it keeps cookies per origin, does not follow redirects by
 * itself (so tests see each 303), and can read the CSRF token and form fields off a page.
 */
export class HttpBuyer {
  readonly #cookies = new Map<string, Map<string, string>>();
  lastBody = '';

  async get(url: string): Promise<Response> {
    return this.#send(url, { method: 'GET' });
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.#send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Posts a form of the last page with its CSRF token. */
  submit(url: string, fields: Record<string, string> = {}): Promise<Response> {
    return this.post(url, { csrf: this.field('csrf'), ...fields });
  }

  /** The value of the input named `name` on the last page. */
  field(name: string): string {
    const match = new RegExp(`name="${name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="${name}"`).exec(
      this.lastBody,
    );
    const value = match?.[1] ?? match?.[2];
    if (value === undefined)
      throw new Error(`No field ${name} on the last page:\n${this.lastBody.slice(0, 2000)}`);
    return value.replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }

  async #send(url: string, init: RequestInit): Promise<Response> {
    const target = new URL(url);
    const jar = this.#cookies.get(target.origin) ?? new Map<string, string>();
    this.#cookies.set(target.origin, jar);
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    headers.set('accept', 'text/html');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.lastBody = await response.clone().text();
    return response;
  }
}

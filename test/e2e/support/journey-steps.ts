import { expect } from 'vitest';
import { createSignedFetch, type SignedFetch } from '../../../cli/sales/signed-fetch.js';
import type { CreditUsage } from '../../../lib/domain/credits/ledger.js';
import type { ConsoleLicense, ConsoleState } from '../../../local/marketplace-console/index.js';
import type { CaughtEmail } from '../../../local/ses-local.js';
import { HttpBuyer } from './http-buyer.js';
import { eventually, type SpawnedStack } from './local-stack.js';

/** The product of the dev stage in cdk.json, the one the local stack sells. */
export const PRODUCT = 'a1b2c3d4e5credits0example';

/**
 * The steps of a buyer's journey over the local stack's HTTP surfaces, shared by the e2e tests:
 * the marketplace page's forms, the setup pages as a browser posts them, local SES's caught
 * mails, and the license API signed as the product signs it.
 */
export class JourneySteps {
  readonly marketplace = new HttpBuyer();
  readonly licenseApi: SignedFetch;

  constructor(readonly stack: SpawnedStack) {
    this.licenseApi = createSignedFetch({ url: stack.urls.licenses, region: 'us-east-1' });
  }

  async state(): Promise<ConsoleState> {
    return (await (await fetch(`${this.stack.urls.marketplace}/api/state`)).json()) as ConsoleState;
  }

  /** One marketplace form POST; the 303's message. */
  async act(path: string, fields: Record<string, string>): Promise<string> {
    const response = await this.marketplace.post(`${this.stack.urls.marketplace}${path}`, fields);
    expect(response.status, await response.text()).toBe(303);
    return decodeURIComponent(response.headers.get('location') ?? '');
  }

  async buy(buyerName: string, credits: number, months: number): Promise<ConsoleLicense> {
    await this.act('/buyers', { name: buyerName });
    const buyer = (await this.state()).buyers.find((b) => b.name === buyerName);
    if (!buyer) throw new Error('buyer not created');
    await this.act('/purchases', {
      accountId: buyer.accountId,
      productCode: PRODUCT,
      credits: String(credits),
      months: String(months),
      mode: 'eventbridge',
    });
    const license = (await this.state()).licenses.find((l) => l.accountId === buyer.accountId);
    if (!license) throw new Error('license not bought');
    return license;
  }

  async mailsTo(email: string): Promise<CaughtEmail[]> {
    const store = (await (await fetch(`${this.stack.urls.ses}/store`)).json()) as { emails: CaughtEmail[] };
    return store.emails.filter((m) => m.destination.to.includes(email));
  }

  /** The first mail to `email` whose subject matches, once local SES has caught it. */
  mailWhen(email: string, subject: RegExp): Promise<CaughtEmail> {
    return eventually(`a mail to ${email} matching ${subject}`, async () =>
      (await this.mailsTo(email)).find((m) => subject.test(m.subject)),
    );
  }

  codeMailedTo(email: string): Promise<string> {
    return eventually(`a code mailed to ${email}`, async () => {
      const mail = (await this.mailsTo(email)).at(-1);
      return /code is (\d{6})/.exec(mail?.body.text ?? '')?.[1];
    });
  }

  /** The "Set up your account" form of one license on the marketplace page, with its fresh token. */
  async setupButton(licenseArn: string): Promise<{ action: string; token: string }> {
    const page = await (await fetch(this.stack.urls.marketplace)).text();
    const row = page.slice(page.indexOf(`<code>${licenseArn}</code>`));
    const form =
      /<form method="post" action="([^"]+)">\s*<input type="hidden" name="x-amzn-marketplace-token" value="([^"]+)">/.exec(
        row,
      );
    if (!form?.[1] || !form[2]) throw new Error('no Set up your account button for the license');
    return { action: form[1].replaceAll('&amp;', '&'), token: form[2] };
  }

  /**
   * Set up your account, as the buyer's browser does it: the marketplace button, email, code,
   * business, Activate. Returns where the activation redirects.
   */
  async setUpAndActivate(
    licenseArn: string,
    email: string,
    business: { name: string; country: string; dataCenterRegion: string; timeZone: string },
  ): Promise<string> {
    const buyer = new HttpBuyer();
    const button = await this.setupButton(licenseArn);
    expect((await buyer.post(button.action, { 'x-amzn-marketplace-token': button.token })).status).toBe(303);
    const setup = `${this.stack.urls.setup}/setup`;
    expect((await buyer.get(setup)).status).toBe(200);
    expect((await buyer.submit(`${setup}/email`, { email })).status).toBe(303);
    await buyer.get(setup);
    const code = await this.codeMailedTo(email);
    expect((await buyer.submit(`${setup}/code`, { code })).status).toBe(303);
    await buyer.get(setup);
    expect((await buyer.submit(`${setup}/business`, business)).status).toBe(303);
    await buyer.get(setup);
    const activated = await buyer.submit(`${setup}/activate`);
    expect(activated.status, buyer.lastBody.slice(0, 2000)).toBe(303);
    return activated.headers.get('location') ?? '';
  }

  /** A license API call as the product makes it (signed); the status and the JSON. */
  async api<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await this.licenseApi(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async usage(businessId: string): Promise<CreditUsage> {
    const { status, body } = await this.api<{ usage: CreditUsage }>('GET', `/businesses/${businessId}/usage`);
    if (status !== 200) throw new Error(`usage: ${status} ${JSON.stringify(body)}`);
    return body.usage;
  }

  /** Polls the license API until the business's usage passes `ok`, as the product would refresh. */
  usageWhen(businessId: string, what: string, ok: (u: CreditUsage) => boolean): Promise<CreditUsage> {
    return eventually(what, async () => {
      const usage = await this.usage(businessId);
      return ok(usage) ? usage : undefined;
    });
  }
}

/**
 * The product stand-in as a browser drives it over HTTP: its cookie, its forms, and the
 * message each 303 carries back.
 */
export class ProductUser {
  readonly browser = new HttpBuyer();
  /** Where the last form's 303 pointed: the next page() reads it, with its message. */
  #next = '/';

  constructor(readonly url: string) {}

  /** The page's text: the redirect target of the last form, else `/`. */
  async page(): Promise<string> {
    const response = await this.browser.get(`${this.url}${this.#next}`);
    this.#next = '/';
    expect(response.status).toBe(200);
    return text(this.browser.lastBody);
  }

  /** Posts a form; the flash of the page it redirects to (`done` or `refused`). */
  async post(path: string, fields: Record<string, string>): Promise<{ done?: string; refused?: string }> {
    const response = await this.browser.post(`${this.url}${path}`, fields);
    expect(response.status, this.browser.lastBody.slice(0, 500)).toBe(303);
    const location = new URL(response.headers.get('location') ?? '', this.url);
    expect(location.pathname).toBe('/');
    this.#next = `${location.pathname}${location.search}`;
    const done = location.searchParams.get('done') ?? undefined;
    const refused = location.searchParams.get('refused') ?? undefined;
    return { ...(done ? { done } : {}), ...(refused ? { refused } : {}) };
  }

  signIn(email: string) {
    return this.post('/sign-in', { email });
  }

  allocate(service: string, units: number) {
    return this.post('/allocations', { service, units: String(units) });
  }

  disable(service: string) {
    return this.post('/allocations/disable', { service });
  }
}

/** A page's text, tags dropped and entities of the escaper read back, whitespace folded. */
export function text(page: string): string {
  return page
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replaceAll('&#39;', "'")
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&')
    .replace(/\s+/g, ' ');
}

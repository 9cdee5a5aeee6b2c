/**
 * The setup pages (R3, R4, R5, R7, R8): pure functions from data to `{ status, html }`.
 * No I/O, no JavaScript in the output; every value is escaped by `html`. Each page says what
 * happened and what to do next, in plain words (STYLE.md "Errors at the edge").
 */
import { type HtmlValue, html, type SafeHtml, safeUrl } from '../../../lib/adapters/http/html.js';
import { layout } from './layout.js';

export interface PageContext {
  readonly productName: string;
  readonly supportEmail: string;
}

/** A rendered page and the HTTP status it is meant to be sent with. */
export interface Page {
  readonly status: number;
  readonly html: string;
}

const START_AGAIN =
  'In AWS Marketplace, open Your software subscriptions and choose Set up product to start again.';

export function page(ctx: PageContext, status: number, title: string, body: SafeHtml): Page {
  return {
    status,
    html: layout({ title, body, productName: ctx.productName, supportEmail: ctx.supportEmail }).toString(),
  };
}

export function csrfInput(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

function supportLink(ctx: PageContext): SafeHtml {
  return html`<a href="mailto:${ctx.supportEmail}">${ctx.supportEmail}</a>`;
}

// ---------------------------------------------------------------------------------------------
// Form pieces: an error summary at the top (role="alert", links to the fields) and, next to
// each field, its own message tied to the input by aria-describedby.

export interface FieldError {
  readonly id: string;
  readonly message: string;
}

export function errorSummary(errors: readonly FieldError[]): SafeHtml | false {
  if (errors.length === 0) return false;
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title">
<h2 id="error-summary-title">There is a problem</h2>
<ul>${errors.map((e) => html`<li><a href="#${e.id}">${e.message}</a></li>`)}</ul>
</div>
`;
}

export function fieldError(id: string, error: string | undefined): SafeHtml | false {
  return Boolean(error) && html`<p class="field-error" id="${id}-error">${error}</p>`;
}

/** ` aria-describedby="…"` (hint, then error) and ` aria-invalid="true"` when the field has an error. */
export function describedBy(id: string, hasHint: boolean, error: string | undefined): SafeHtml {
  const ids = [hasHint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`${ids && html` aria-describedby="${ids}"`}${Boolean(error) && html` aria-invalid="true"`}`;
}

export function hint(id: string, text: HtmlValue): SafeHtml {
  return html`<span class="hint" id="${id}-hint">${text}</span>`;
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Landing

/** Shown when the fulfillment URL is opened with no setup in progress. */
export function landingPage(ctx: PageContext, { registration = false } = {}): Page {
  return page(
    ctx,
    200,
    'Set up your account',
    html`<p>There is no account setup in progress.</p>
<p>To set up ${ctx.productName}, start from AWS Marketplace: open Your software subscriptions, find ${ctx.productName} and choose Set up product. You will be brought back here.</p>
<p>Setup takes a few minutes: you sign in or create your account, give your business details, review your license and activate it. You have four hours to finish.</p>
${
  registration
    ? html`<h2>Bought from a reseller or from us directly?</h2>
<p>Your order came with a Registration Key for each product. <a href="/register">Register your order with any of its keys</a>: all its products are registered together.</p>
`
    : ''
}<p>Set up already? <a href="/account">Sign in to see your licenses and credits</a>. Buying? <a href="/calculator">Estimate the credits you need</a>.</p>
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Email (R7)

export interface EmailPageProps {
  readonly csrf: string;
  readonly email?: string;
  readonly error?: string;
}

/** The email form of the setup's first step (R7), for a marketplace setup and an order's registration alike. */
export function emailForm({ csrf, email, error }: EmailPageProps): SafeHtml {
  return html`<p>We will email you a 6-digit code. The code is valid for 3 minutes.</p>
${error && errorSummary([{ id: 'email', message: error }])}<form method="post" action="/setup/email">
${csrfInput(csrf)}
<div class="field">
<label for="email">Email address</label>
${hint('email', 'For a new account, this email address becomes your login ID. It cannot be changed later.')}
${fieldError('email', error)}
<input type="email" id="email" name="email" autocomplete="email" required maxlength="254" spellcheck="false" value="${email ?? ''}"${describedBy('email', true, error)}>
</div>
<button type="submit">Send code</button>
</form>
`;
}

export function emailPage(ctx: PageContext, { csrf, email, error }: EmailPageProps): Page {
  return page(
    ctx,
    error ? 400 : 200,
    'Sign in or create your account',
    html`<p>Enter the email address of your business's primary account to sign in. If your business has no account yet, enter the address to create one.</p>
${emailForm({ csrf, ...(email ? { email } : {}), ...(error ? { error } : {}) })}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Code (R7)

export interface CodePageProps {
  readonly csrf: string;
  readonly email: string;
  readonly error?: string;
  /** Seconds until the server accepts a resend; 0 when it does now. */
  readonly resendAvailableInSeconds: number;
  readonly attemptsLeft: number;
}

export function codePage(ctx: PageContext, props: CodePageProps): Page {
  const { csrf, email, error } = props;
  const wait = Math.max(0, Math.ceil(props.resendAvailableInSeconds));
  const attemptsLeft = Math.max(0, Math.floor(props.attemptsLeft));
  // The resend button stays enabled while it counts: there is no script to enable it later, and
  // the server enforces the cooldown (it shows this page again with the time left).
  const resend =
    wait > 0
      ? html`<button type="submit" class="secondary" aria-describedby="resend-hint">Resend in ${wait} s</button>
<p class="hint" id="resend-hint">You can ask for a new code in ${plural(wait, 'second', 'seconds')}.</p>`
      : html`<button type="submit" class="secondary">Resend code</button>`;
  return page(
    ctx,
    error ? 400 : 200,
    'Enter your code',
    html`<p>We sent a 6-digit code to <strong>${email}</strong>. The code is valid for 3 minutes.</p>
${error && errorSummary([{ id: 'code', message: error }])}<form method="post" action="/setup/code">
${csrfInput(csrf)}
<div class="field">
<label for="code">6-digit code</label>
${hint('code', attemptsLeft > 0 ? `You have ${plural(attemptsLeft, 'try', 'tries')} left.` : 'You have no tries left. Ask for a new code below.')}
${fieldError('code', error)}
<input type="text" class="code" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" minlength="6" maxlength="6" required${describedBy('code', true, error)}>
</div>
<button type="submit">Continue</button>
</form>
<h2>No code?</h2>
<p>Codes can take a minute to arrive; check your spam folder. A new code replaces the one sent before.</p>
<form method="post" action="/setup/resend">
${csrfInput(csrf)}
${resend}
</form>
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Business details (R8)

export type BusinessField = 'name' | 'country' | 'dataCenterRegion' | 'timeZone';

export interface BusinessPageProps {
  readonly csrf: string;
  readonly values: Partial<Record<BusinessField, string>>;
  readonly errors: Partial<Record<BusinessField, string>>;
  readonly dataCenterRegions: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly timeZones: readonly string[];
}

const BUSINESS_FIELDS: readonly BusinessField[] = ['name', 'country', 'dataCenterRegion', 'timeZone'];

function select(
  id: BusinessField,
  value: string | undefined,
  placeholder: string,
  options: ReadonlyArray<{ readonly id: string; readonly label: string }>,
  error: string | undefined,
): SafeHtml {
  const known = options.some((o) => o.id === value);
  return html`<select id="${id}" name="${id}" required${describedBy(id, true, error)}>
<option value=""${!known && html` selected`}>${placeholder}</option>
${options.map((o) => html`<option value="${o.id}"${o.id === value && html` selected`}>${o.label}</option>\n`)}</select>`;
}

export function businessPage(ctx: PageContext, props: BusinessPageProps): Page {
  const { csrf, values, errors } = props;
  const summary = BUSINESS_FIELDS.flatMap((id) => {
    const message = errors[id];
    return message ? [{ id, message }] : [];
  });
  const zones = props.timeZones.map((z) => ({ id: z, label: z }));
  return page(
    ctx,
    summary.length > 0 ? 400 : 200,
    'Your business',
    html`<p>Tell us about the business that will own this license.</p>
${errorSummary(summary)}<form method="post" action="/setup/business">
${csrfInput(csrf)}
<div class="field">
<label for="name">Business name</label>
${fieldError('name', errors.name)}
<input type="text" id="name" name="name" autocomplete="organization" required maxlength="200" value="${values.name ?? ''}"${describedBy('name', false, errors.name)}>
</div>
<div class="field">
<label for="country">Country or region</label>
${hint('country', 'Where your business is based.')}
${fieldError('country', errors.country)}
<input type="text" id="country" name="country" autocomplete="country-name" required maxlength="100" value="${values.country ?? ''}"${describedBy('country', true, errors.country)}>
</div>
<div class="field">
<label for="dataCenterRegion">Data centre region</label>
${hint('dataCenterRegion', `Where ${ctx.productName} keeps your business's data.`)}
${fieldError('dataCenterRegion', errors.dataCenterRegion)}
${select('dataCenterRegion', values.dataCenterRegion, 'Choose a region', props.dataCenterRegions, errors.dataCenterRegion)}
</div>
<div class="field">
<label for="timeZone">Time zone</label>
${hint('timeZone', 'License dates are shown in this time zone.')}
${fieldError('timeZone', errors.timeZone)}
${select('timeZone', values.timeZone, 'Choose a time zone', zones, errors.timeZone)}
</div>
<button type="submit">Continue</button>
</form>
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Review and activate (R3, R4, R5)

export interface ReviewPageProps {
  readonly csrf: string;
  readonly business: {
    readonly name: string;
    readonly country: string;
    readonly dataCenterRegion: string;
    readonly timeZone: string;
  };
  readonly contract: {
    readonly productCode: string;
    readonly contractId: string;
    readonly freeTrial: boolean;
    /** ISO 8601. */
    readonly expiresAt: string;
    readonly activeCredits: number;
    readonly customerAWSAccountId?: string;
  };
  readonly items: ReadonlyArray<{
    readonly itemNo: number | string;
    readonly origin: string;
    readonly credits: number;
    /** ISO 8601. */
    readonly expiresAt: string;
  }>;
  /** Minutes left in the four-hour setup window (R4). */
  readonly expiresInMinutes: number;
}

interface DateShower {
  /** The zone dates are shown in: the business's, or UTC when that one is not a valid zone. */
  readonly zone: string;
  readonly fellBack: boolean;
  show(iso: string): SafeHtml;
}

const DATE_OPTIONS: Intl.DateTimeFormatOptions = {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZoneName: 'short',
};

/** Dates in the business's time zone (R8), with UTC as the fallback for a zone Intl does not know. */
export function dateShower(timeZone: string): DateShower {
  let format: Intl.DateTimeFormat;
  let zone = timeZone;
  let fellBack = false;
  try {
    format = new Intl.DateTimeFormat('en-US', { ...DATE_OPTIONS, timeZone });
  } catch {
    zone = 'UTC';
    fellBack = true;
    format = new Intl.DateTimeFormat('en-US', { ...DATE_OPTIONS, timeZone: zone });
  }
  return {
    zone,
    fellBack,
    show(iso: string): SafeHtml {
      const date = new Date(iso);
      if (Number.isNaN(date.getTime())) return html`${iso}`;
      return html`<time datetime="${date.toISOString()}">${format.format(date)}</time>`;
    },
  };
}

// Built on first use: the first Intl object of a process loads ICU data (about 3 ms), which a
// cold start serving only the first page should not pay.
let numberFormat: Intl.NumberFormat | undefined;
export const formatNumber = (n: number): string => {
  numberFormat ??= new Intl.NumberFormat('en-US');
  return numberFormat.format(n);
};

export const ORIGIN_LABELS: Readonly<Record<string, string>> = {
  purchase: 'Purchase',
  upgrade: 'Upgrade',
  renewal: 'Renewal',
  adjustment: 'Adjustment',
  reinstatement: 'Reinstatement',
};

function timeLeft(minutes: number): string {
  const m = Math.floor(minutes);
  if (!(m >= 1)) return 'less than a minute';
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  const parts = [hours > 0 && plural(hours, 'hour', 'hours'), rest > 0 && plural(rest, 'minute', 'minutes')];
  return parts.filter(Boolean).join(' ');
}

export function reviewPage(ctx: PageContext, props: ReviewPageProps): Page {
  const { csrf, business, contract, items } = props;
  const dates = dateShower(business.timeZone);
  const itemsTable =
    items.length > 0
      ? html`<table>
<caption>License items</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Type</th><th scope="col" class="num">Credits</th><th scope="col">Expires</th></tr></thead>
<tbody>
${items.map(
  (
    item,
  ) => html`<tr><td>${item.itemNo}</td><td>${ORIGIN_LABELS[item.origin] ?? item.origin}</td><td class="num">${formatNumber(item.credits)}</td><td>${dates.show(item.expiresAt)}</td></tr>
`,
)}</tbody>
</table>
`
      : html`<p>No license items yet.</p>
`;
  return page(
    ctx,
    200,
    'Review and activate',
    html`<p>Check the details below. When they are right, choose Activate.</p>
<h2>Business</h2>
<dl>
<dt>Name</dt><dd>${business.name}</dd>
<dt>Country or region</dt><dd>${business.country}</dd>
<dt>Data centre region</dt><dd>${business.dataCenterRegion}</dd>
<dt>Time zone</dt><dd>${business.timeZone}</dd>
</dl>
<h2>License</h2>
${contract.freeTrial && html`<div class="notice"><p>This is a free trial. Its credits can be used until ${dates.show(contract.expiresAt)}.</p></div>\n`}<dl>
<dt>Product</dt><dd>${ctx.productName}</dd>
<dt>Product code</dt><dd>${contract.productCode}</dd>
<dt>Contract</dt><dd>${contract.contractId}</dd>
${contract.customerAWSAccountId && html`<dt>AWS account</dt><dd>${contract.customerAWSAccountId}</dd>\n`}<dt>Credits</dt><dd>${formatNumber(contract.activeCredits)}</dd>
<dt>Expires</dt><dd>${dates.show(contract.expiresAt)}</dd>
</dl>
${itemsTable}${dates.fellBack && html`<p class="hint">Dates are shown in UTC because the time zone “${business.timeZone}” is not recognised.</p>\n`}<div class="notice warning">
<p><strong>Activation happens once.</strong> After you activate, this license belongs to ${business.name} and cannot be transferred to another business.</p>
</div>
<form method="post" action="/setup/activate">
${csrfInput(csrf)}
<button type="submit">Activate</button>
</form>
<p>This setup stays open for another ${timeLeft(props.expiresInMinutes)}. After that, you need to start again from AWS Marketplace.</p>
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Messages: one page per outcome, each with its own status.

export const MESSAGE_STATUS = {
  'setup-expired': 410,
  'no-session': 401,
  'already-active': 200,
  'activated-elsewhere': 409,
  activated: 200,
  'invalid-token': 400,
  'expired-token': 400,
  'missing-token': 400,
  'marketplace-busy': 503,
  'marketplace-unavailable': 502,
  'unknown-product': 404,
  'unknown-contract': 404,
  'contract-ended': 410,
  csrf: 403,
  'too-large': 413,
  'unsupported-media-type': 415,
  'bad-request': 400,
  'method-not-allowed': 405,
  'not-found': 404,
  'too-many-attempts': 429,
  'code-limit': 429,
  'too-many-requests': 429,
  'too-many-sign-ins': 429,
  'sign-in-too-many-attempts': 429,
  'server-error': 500,
} as const satisfies Record<string, number>;

export type MessageKind = keyof typeof MESSAGE_STATUS;

export const MESSAGE_KINDS = Object.keys(MESSAGE_STATUS) as readonly MessageKind[];

export interface MessageExtra {
  /** Shown as a reference the buyer can quote to support. */
  readonly requestId?: string;
  /** Where the product console is; only an http(s) URL becomes a link. */
  readonly consoleUrl?: string;
  /**
   * `contract-ended`: the expiration instant (ISO 8601) of a contract that has run out although
   * no notification has ended it yet, shown in `timeZone` (the business's, R8; UTC by default).
   */
  readonly expiredAt?: string;
  readonly timeZone?: string;
}

interface Message {
  readonly title: string;
  readonly body: (ctx: PageContext, extra: MessageExtra) => SafeHtml;
}

function consoleLink(ctx: PageContext, extra: MessageExtra, text: string): SafeHtml {
  const href = safeUrl(extra.consoleUrl);
  return href
    ? html`<p><a class="button" href="${href}">${text}</a></p>`
    : html`<p>Sign in to ${ctx.productName} to start using it.</p>`;
}

const LICENSES_LINK = html`<p>To see all your licenses and credits later, <a href="/account/licenses">sign in to your licenses</a>.</p>`;

const MESSAGES: Record<MessageKind, Message> = {
  'setup-expired': {
    title: 'This setup has expired',
    body: () => html`<p>This setup link has expired. In AWS Marketplace, open Your software subscriptions and choose Set up product to start again.</p>
<p>Setup has to be finished within four hours. Nothing was activated, so you can start again safely.</p>`,
  },
  'no-session': {
    title: 'No setup in progress',
    body: () => html`<p>There is no setup in progress in this browser. It may have been started in another browser, or this browser may block cookies for this site.</p>
<p>${START_AGAIN}</p>`,
  },
  'already-active': {
    title: 'Your license is already active',
    body: (
      ctx,
      extra,
    ) => html`<p>This license is already active for your business. There is nothing more to set up.</p>
${consoleLink(ctx, extra, `Go to ${ctx.productName}`)}
${LICENSES_LINK}`,
  },
  'activated-elsewhere': {
    title: 'This license belongs to another business',
    body: (
      ctx,
    ) => html`<p>This license was activated by another business. A license is activated once and cannot be transferred afterwards.</p>
<p>If you think this is a mistake, email ${supportLink(ctx)} with your AWS account ID.</p>`,
  },
  activated: {
    title: 'Your license is active',
    body: (ctx, extra) => html`<p>Your license is active and its credits are ready to use.</p>
${consoleLink(ctx, extra, `Continue to ${ctx.productName}`)}
${LICENSES_LINK}`,
  },
  'invalid-token': {
    title: 'This setup link is not valid',
    body: () => html`<p>The link from AWS Marketplace was not valid, so we could not tell which purchase it is for. Nothing was changed.</p>
<p>${START_AGAIN}</p>`,
  },
  'expired-token': {
    title: 'This setup link is too old',
    body: () => html`<p>The link from AWS Marketplace was too old to use. Nothing was changed.</p>
<p>In AWS Marketplace, open Your software subscriptions and choose Set up product again.</p>`,
  },
  'missing-token': {
    title: 'Start from AWS Marketplace',
    body: (
      ctx,
    ) => html`<p>This address is where AWS Marketplace sends you to set up ${ctx.productName}. It only works when you open it from AWS Marketplace.</p>
<p>In AWS Marketplace, open Your software subscriptions and choose Set up product.</p>`,
  },
  'marketplace-busy': {
    title: 'AWS Marketplace is busy',
    body: () => html`<p>AWS Marketplace is busy right now, so we could not confirm your purchase. Nothing was lost.</p>
<p>Wait a minute, then reload this page, or choose Set up product again in AWS Marketplace (Your software subscriptions).</p>`,
  },
  'marketplace-unavailable': {
    title: 'We could not reach AWS Marketplace',
    body: () => html`<p>We could not reach AWS Marketplace to confirm your purchase. Nothing was lost.</p>
<p>Try again in a few minutes: in AWS Marketplace, open Your software subscriptions and choose Set up product.</p>`,
  },
  'unknown-product': {
    title: 'This product is not set up here',
    body: (ctx) => html`<p>The purchase you came from is for a product that is not set up on this site.</p>
<p>Email ${supportLink(ctx)} and tell us which product you bought.</p>`,
  },
  'unknown-contract': {
    title: 'We could not find your subscription yet',
    body: (
      ctx,
    ) => html`<p>We could not find an active subscription for this purchase yet. It can take a few minutes after a purchase before it shows up.</p>
<p>Wait a few minutes, then choose Set up product again in AWS Marketplace (Your software subscriptions). If it keeps happening, email ${supportLink(ctx)}.</p>`,
  },
  'contract-ended': {
    title: 'This subscription has ended',
    body: (ctx, extra) =>
      extra.expiredAt
        ? html`<p>This subscription expired on ${dateShower(extra.timeZone ?? 'UTC').show(extra.expiredAt)}, so there is nothing to activate.</p>
<p>If it renews automatically, the renewal can take a few minutes to reach us: choose Set up product in AWS Marketplace (Your software subscriptions) again later. Otherwise, to keep using ${ctx.productName}, renew the subscription in AWS Marketplace.</p>`
        : html`<p>This subscription has been cancelled or has expired, so there is nothing to activate.</p>
<p>To keep using ${ctx.productName}, renew the subscription in AWS Marketplace.</p>`,
  },
  csrf: {
    title: 'Please try again',
    body: () => html`<p>This form was too old, or it was not sent from this site, so nothing was changed.</p>
<p>Go back, reload the page and try again.</p>`,
  },
  'too-large': {
    title: 'What you sent was too large',
    body: () => html`<p>What you sent was larger than this form accepts, so nothing was changed.</p>
<p>Go back and try again with shorter entries.</p>`,
  },
  'unsupported-media-type': {
    title: 'The form could not be read',
    body: () => html`<p>The form was sent in a format this site does not accept, so nothing was changed.</p>
<p>Go back and try again. If you came from AWS Marketplace, choose Set up product again there.</p>`,
  },
  'bad-request': {
    title: 'Something in the form could not be read',
    body: () => html`<p>Something in what you sent could not be read, so nothing was changed.</p>
<p>Go back, reload the page and try again. If it keeps happening, start again from AWS Marketplace: open Your software subscriptions and choose Set up product.</p>`,
  },
  'method-not-allowed': {
    title: 'This address does not work that way',
    body: () => html`<p>This address cannot be used like that.</p>
<p>To set up your account, start from AWS Marketplace: open Your software subscriptions and choose Set up product.</p>`,
  },
  'not-found': {
    title: 'Page not found',
    body: () => html`<p>There is no page at this address.</p>
<p>To set up your account, start from AWS Marketplace: open Your software subscriptions and choose Set up product.</p>`,
  },
  'too-many-attempts': {
    title: 'Too many wrong codes',
    body: () => html`<p>A wrong code was entered too many times, so that code no longer works.</p>
<p>Go back and request a new code, or start again: in AWS Marketplace, open Your software subscriptions and choose Set up product.</p>`,
  },
  'code-limit': {
    title: 'No more codes for now',
    body: (
      ctx,
    ) => html`<p>We have sent as many verification codes as we may for now, to this email address or for this license. This protects the address from being flooded with mail.</p>
<p>Use the newest code you received, or try again tomorrow. If you did not get any code, write to ${supportLink(ctx)}.</p>`,
  },
  'too-many-requests': {
    title: 'Too many requests',
    body: () => html`<p>Too many setups were started from your network in the last few minutes.</p>
<p>Wait a few minutes, then choose Set up product in AWS Marketplace again. Nothing was lost.</p>`,
  },
  'too-many-sign-ins': {
    title: 'Too many requests',
    body: () => html`<p>Too many sign-in codes were asked for from your network in the last few minutes.</p>
<p>Wait a few minutes, then <a href="/account">sign in</a> again. If you already have a code, it still works.</p>`,
  },
  'sign-in-too-many-attempts': {
    title: 'Too many wrong codes',
    body: () => html`<p>A wrong code was entered too many times, so that code no longer works.</p>
<p>Go back and ask for a new code, or <a href="/account">sign in</a> again.</p>`,
  },
  'server-error': {
    title: 'Something went wrong',
    body: (ctx, extra) => html`<p>Something went wrong on our side. Nothing was lost.</p>
<p>Try again in a few minutes. If it keeps happening, email ${supportLink(ctx)}${extra.requestId ? ' and quote the reference below' : ''}.</p>`,
  },
};

export function messagePage(ctx: PageContext, kind: MessageKind, extra: MessageExtra = {}): Page {
  const message = MESSAGES[kind];
  const reference =
    extra.requestId && html`\n<p>Reference: <span class="reference">${extra.requestId}</span></p>`;
  return page(ctx, MESSAGE_STATUS[kind], message.title, html`${message.body(ctx, extra)}${reference}\n`);
}

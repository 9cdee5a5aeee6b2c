/**
 * The registration pages of orders from other channels (R11, R12; seeds 001 and 003): the key
 * form, the order preview above the email step, the review with lines in conflict marked, the
 * registered page with the Activation Codes, and a page per refusal. Pure functions from data
 * to `{ status, html }` in the setup pages' layout; no JavaScript, every value escaped by `html`.
 */
import { html, type SafeHtml, safeUrl } from '../../../lib/adapters/http/html.js';
import {
  csrfInput,
  dateShower,
  describedBy,
  emailForm,
  errorSummary,
  fieldError,
  formatNumber,
  hint,
  type Page,
  type PageContext,
  page,
  plural,
} from './pages.js';

/** One line of an order as the pages show it: names from the catalog, instants as ISO 8601. */
export interface OrderLineView {
  readonly lineNo: number;
  readonly product: string;
  readonly service: string;
  /** "200 endpoints", when the line was sold by units (R14). */
  readonly quantity?: string;
  readonly credits: number;
  readonly startsAt: string;
  readonly expiresAt: string;
}

/** A line of the preview: open, or in conflict with a service the account has (seed 003). */
export interface PreviewLineView extends OrderLineView {
  readonly conflict?: {
    /** The service the account already has. */
    readonly service: string;
    /** When the account's license of it ends; absent when it could not be read. */
    readonly until?: string;
  };
}

export interface OrderSummaryView {
  readonly orderId: string;
  readonly company: string;
  /** Lines not yet registered (R12: registered lines are left out). */
  readonly lines: readonly PreviewLineView[];
}

export interface RegistrationBusinessView {
  readonly name: string;
  readonly country: string;
  /** The region's label. */
  readonly dataCenterRegion: string;
  readonly timeZone: string;
}

/** R11: how a Registration Key looks, for the hint and the refusals. */
const KEY_SHAPE = 'two letters and four groups of four digits, like PC-1234-5678-9012-3456';

const AGAIN = html`<p><a class="button" href="/register">Enter a key again</a></p>`;

function supportLink(ctx: PageContext): SafeHtml {
  return html`<a href="mailto:${ctx.supportEmail}">${ctx.supportEmail}</a>`;
}

function consoleLink(ctx: PageContext, consoleUrl: string | undefined): SafeHtml {
  const href = safeUrl(consoleUrl);
  return href
    ? html`<p><a class="button" href="${href}">Continue to ${ctx.productName}</a></p>`
    : html`<p>Sign in to ${ctx.productName} to start using it.</p>`;
}

const LICENSES_LINK = html`<p>To see all your licenses, credits and Activation Codes later, <a href="/account/licenses">sign in to your licenses</a>.</p>`;

function timeLeft(minutes: number): string {
  const m = Math.floor(minutes);
  if (!(m >= 1)) return 'less than a minute';
  const hours = Math.floor(m / 60);
  const rest = m % 60;
  return [hours > 0 && plural(hours, 'hour', 'hours'), rest > 0 && plural(rest, 'minute', 'minutes')]
    .filter(Boolean)
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// Landing and the key form

export interface KeyFormPageProps {
  readonly csrf: string;
  /** What the buyer typed, shown again after a refusal. */
  readonly key?: string;
  readonly error?: string;
  /** The status to send; 400 with an error unless told. */
  readonly status?: number;
}

/** R12: "Once customer entered any key from the order, order preview will be shown" (seed 003). */
export function keyFormPage(ctx: PageContext, { csrf, key, error, status }: KeyFormPageProps): Page {
  return page(
    ctx,
    status ?? (error ? 400 : 200),
    'Register your order',
    html`<p>Enter any Registration Key of your order. You find the keys on your license certificate or in the order confirmation; every product of the order is registered together, to one account.</p>
${error && errorSummary([{ id: 'key', message: error }])}<form method="post" action="/register">
${csrfInput(csrf)}
<div class="field">
<label for="key">Registration Key</label>
${hint('key', `A Registration Key is ${KEY_SHAPE}. Upper or lower case and the dashes do not matter.`)}
${fieldError('key', error)}
<input type="text" class="key" id="key" name="key" required maxlength="80" autocomplete="off" autocapitalize="characters" spellcheck="false" value="${key ?? ''}"${describedBy('key', true, error)}>
</div>
<button type="submit">Continue</button>
</form>
<p>Next you sign in with the email of your account, or create one; then you review the order and register it. You have four hours to finish.</p>
<p>Bought in AWS Marketplace? Choose Set up product there instead.</p>
`,
  );
}

// ---------------------------------------------------------------------------------------------
// The order preview (R12)

function term(dates: ReturnType<typeof dateShower>, line: OrderLineView): SafeHtml {
  return html`${dates.show(line.startsAt)} – ${dates.show(line.expiresAt)}`;
}

function serviceCell(line: OrderLineView): SafeHtml {
  return html`${line.service}<span class="hint">${line.product}</span>`;
}

function quantityCell(line: OrderLineView): SafeHtml {
  return html`<td class="num">${line.quantity ?? ''}</td><td class="num">${formatNumber(line.credits)}</td>`;
}

/** The lines of the order; lines in conflict marked with what the account has and what to do. */
function linesTable(lines: readonly PreviewLineView[], timeZone: string, caption: string): SafeHtml {
  const dates = dateShower(timeZone);
  return html`<table class="order">
<caption>${caption}</caption>
<thead><tr><th scope="col">Line</th><th scope="col">Product and service</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Credits</th><th scope="col">Term</th></tr></thead>
<tbody>
${lines.map(
  (
    line,
  ) => html`<tr${line.conflict && html` class="conflict"`}><td>${line.lineNo}</td><td>${serviceCell(line)}</td>${quantityCell(line)}<td>${term(dates, line)}</td></tr>
${
  line.conflict &&
  html`<tr class="conflict-note"><td></td><td colspan="4"><strong>Not registered here:</strong> this account already has ${line.conflict.service}${line.conflict.until && html` until ${dates.show(line.conflict.until)}`}: register this line to another account.</td></tr>
`
}`,
)}</tbody>
</table>
${dates.fellBack && html`<p class="hint">Dates are shown in UTC because the time zone “${timeZone}” is not recognised.</p>\n`}`;
}

function orderFacts(order: OrderSummaryView): SafeHtml {
  return html`<dl>
<dt>Order</dt><dd class="reference">${order.orderId}</dd>
<dt>Ordered by</dt><dd>${order.company}</dd>
</dl>
`;
}

export interface OrderEmailPageProps {
  readonly csrf: string;
  readonly order: OrderSummaryView;
  readonly email?: string;
  readonly error?: string;
}

/**
 * The email step of a registration (R7): the preview first (nothing conflicts before the buyer
 * has signed in, seed 003: "System will check for any SaaS conflict if customer is logged in"),
 * then the email of the account to sign in with, or to create.
 */
export function orderEmailPage(ctx: PageContext, { csrf, order, email, error }: OrderEmailPageProps): Page {
  return page(
    ctx,
    error ? 400 : 200,
    'Sign in or create your account',
    html`<p>This key belongs to the order below. ${plural(order.lines.length, 'product is', 'products are')} left to register; they are registered together.</p>
${orderFacts(order)}${linesTable(order.lines, 'UTC', 'Products of the order')}<h2>Your account</h2>
<p>Sign in with the email of your account, or create one: enter the email address of your business's primary account. If your business has no account yet, enter the address to create one.</p>
${emailForm({ csrf, ...(email ? { email } : {}), ...(error ? { error } : {}) })}`,
  );
}

function businessFacts(business: RegistrationBusinessView): SafeHtml {
  return html`<h2>Business</h2>
<dl>
<dt>Name</dt><dd>${business.name}</dd>
<dt>Country or region</dt><dd>${business.country}</dd>
<dt>Data centre region</dt><dd>${business.dataCenterRegion}</dd>
<dt>Time zone</dt><dd>${business.timeZone}</dd>
</dl>
`;
}

export interface OrderReviewPageProps {
  readonly csrf: string;
  readonly business: RegistrationBusinessView;
  readonly order: OrderSummaryView;
  /** Minutes left in the four-hour window (R4). */
  readonly expiresInMinutes: number;
}

/** Review and register (R3, R12): at least one line is open; lines in conflict are marked and left out. */
export function orderReviewPage(ctx: PageContext, props: OrderReviewPageProps): Page {
  const { csrf, business, order } = props;
  const open = order.lines.filter((line) => !line.conflict);
  const conflicts = order.lines.length - open.length;
  const credits = open.reduce((sum, line) => sum + line.credits, 0);
  return page(
    ctx,
    200,
    'Review and register',
    html`<p>Check the details below. When they are right, choose Register.</p>
${businessFacts(business)}<h2>Order</h2>
${orderFacts(order)}${linesTable(order.lines, business.timeZone, 'Products to register')}<p>Registering adds ${plural(open.length, 'license', 'licenses')} with ${formatNumber(credits)} credits in all to ${business.name}.</p>
${
  conflicts > 0 &&
  html`<div class="notice warning">
<p><strong>${plural(conflicts, 'line is', 'lines are')} left out.</strong> ${conflicts === 1 ? 'It conflicts' : 'They conflict'} with a service this account already has, so ${conflicts === 1 ? 'it has' : 'they have'} to be registered to another account: afterwards, <a href="/register">enter a key of this order again</a> and sign in with the other account's email, or create a new account.</p>
</div>
`
}<div class="notice warning">
<p><strong>Registration happens once.</strong> After you register, these licenses belong to ${business.name} and cannot be transferred to another business.</p>
</div>
<form method="post" action="/setup/register">
${csrfInput(csrf)}
<button type="submit">Register</button>
</form>
<p>This registration stays open for another ${timeLeft(props.expiresInMinutes)}. After that, enter your Registration Key again to start over.</p>
`,
  );
}

export interface OrderConflictsPageProps {
  readonly business: RegistrationBusinessView;
  readonly order: OrderSummaryView;
}

/** Every line left conflicts with the account (seed 003: "has to be registered to another account"). */
export function orderConflictsPage(ctx: PageContext, { business, order }: OrderConflictsPageProps): Page {
  return page(
    ctx,
    409,
    'Register this order to another account',
    html`<p>Every product left on this order conflicts with a service ${business.name} already has, so nothing of it can be registered to this account. Nothing was registered.</p>
${orderFacts(order)}${linesTable(order.lines, business.timeZone, 'Products left on the order')}<p>To register them, use another account: <a href="/register">enter a key of this order again</a> and sign in with the other account's email, or create a new account.</p>
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Registered (seed 001: the Activation Code comes once registered; seed 003: a mail confirms it)

export interface RegisteredLicenseView extends OrderLineView {
  /** The license's Activation Code (R11); absent when it could not be read. */
  readonly activationCode?: string;
}

export interface OrderRegisteredPageProps {
  readonly business: { readonly name: string; readonly timeZone: string };
  readonly orderId: string;
  readonly licenses: readonly RegisteredLicenseView[];
  /** Lines of the order still open (in conflict with this account): for another account. */
  readonly leftOut: readonly PreviewLineView[];
  /** Where the confirmation went; absent: no mention. */
  readonly email?: string;
  readonly consoleUrl?: string;
  /** False once the setup's four hours are over: the codes are then only on the account's pages. */
  readonly showCodes: boolean;
}

export function orderRegisteredPage(ctx: PageContext, props: OrderRegisteredPageProps): Page {
  const { business, licenses } = props;
  const dates = dateShower(business.timeZone);
  // One block per license: a code of 37 characters must not wrap in a table cell.
  const sections = licenses.map(
    (license) => html`<section class="license">
<h2>Line ${license.lineNo}: ${license.service}</h2>
<dl>
<dt>Activation Code</dt><dd>${
      props.showCodes && license.activationCode
        ? html`<code class="ac">${license.activationCode}</code>`
        : html`<a href="/account/licenses">On your licenses page</a>`
    }</dd>
<dt>Product</dt><dd>${license.product}</dd>
${license.quantity && html`<dt>Quantity</dt><dd>${license.quantity}</dd>\n`}<dt>Credits</dt><dd>${formatNumber(license.credits)}</dd>
<dt>Term</dt><dd>${term(dates, license)}</dd>
</dl>
</section>
`,
  );
  const left = props.leftOut.length;
  return page(
    ctx,
    200,
    'Your order is registered',
    html`<p>Order <span class="reference">${props.orderId}</span> is registered to <strong>${business.name}</strong>. ${plural(licenses.length, 'license is', 'licenses are')} active now and ${licenses.length === 1 ? 'its' : 'their'} credits are ready to use.</p>
${props.email && html`<p>A confirmation with the Activation Codes was emailed to <strong>${props.email}</strong>.</p>\n`}${sections}<p>Keep the Activation Codes safe. If one is lost or stolen, email ${supportLink(ctx)}: it is invalidated and replaced.</p>
${
  left > 0 &&
  html`<div class="notice warning">
<p><strong>${plural(left, 'line was', 'lines were')} not registered</strong> because ${left === 1 ? 'it conflicts' : 'they conflict'} with a service this account already has: ${props.leftOut.map((l, i) => html`${i > 0 ? ', ' : ''}line ${l.lineNo} (${l.service})`)}. Register ${left === 1 ? 'it' : 'them'} to another account: <a href="/register">enter a key of this order again</a> and use the other account's email.</p>
</div>
`
}${consoleLink(ctx, props.consoleUrl)}
${LICENSES_LINK}
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Refusals: one page each, with its own status

export const REGISTRATION_MESSAGE_STATUS = {
  'key-invalid': 400,
  'key-unknown': 400,
  'key-replaced': 410,
  'key-lookup-limit': 429,
  'order-registered': 409,
  'order-registered-here': 200,
  'order-conflicts': 409,
  'unknown-order': 404,
  'registration-expired': 410,
} as const satisfies Record<string, number>;

export type RegistrationMessageKind = keyof typeof REGISTRATION_MESSAGE_STATUS;

export interface RegistrationMessageExtra {
  readonly consoleUrl?: string;
  /** `key-lookup-limit`: when a key can be tried again. */
  readonly retryAfterSeconds?: number;
  /** `order-conflicts`: the lines that must go to another account. */
  readonly lineNos?: readonly number[];
}

const MESSAGES: Record<
  RegistrationMessageKind,
  { readonly title: string; readonly body: (ctx: PageContext, extra: RegistrationMessageExtra) => SafeHtml }
> = {
  'key-invalid': {
    title: 'Check the Registration Key',
    body: () => html`<p>This is not a valid Registration Key: check the key for a typo. A Registration Key is ${KEY_SHAPE}; an Activation Code (two letters, then six groups) does not work here.</p>
${AGAIN}`,
  },
  'key-unknown': {
    title: 'No order has this key',
    body: (
      ctx,
    ) => html`<p>No order has this Registration Key. Check that you typed the key from your license certificate or order confirmation, digit by digit.</p>
${AGAIN}
<p>If it keeps happening, email ${supportLink(ctx)} with your order number.</p>`,
  },
  'key-replaced': {
    title: 'This key was replaced',
    body: (
      ctx,
    ) => html`<p>This Registration Key was invalidated and replaced, for example after it was reported lost or stolen, so it no longer works. Use the new key that support sent to the licensee.</p>
<p>If you did not get one, email ${supportLink(ctx)} with your order number.</p>`,
  },
  'key-lookup-limit': {
    title: 'Too many keys that do not exist',
    body: (
      _ctx,
      extra,
    ) => html`<p>Too many keys that no order has were entered from your network in the last few minutes, so keys are not checked for now.</p>
<p>Wait ${extra.retryAfterSeconds ? timeLeft(Math.ceil(extra.retryAfterSeconds / 60)) : 'a few minutes'}, then <a href="/register">enter your key again</a>. A key that exists is never counted.</p>`,
  },
  'order-registered': {
    title: 'This order is registered already',
    body: (
      ctx,
    ) => html`<p>Every product of this order has been registered to an account already. An order is registered once and cannot be transferred afterwards.</p>
<p>If your business should have it, email ${supportLink(ctx)} with your order number.</p>`,
  },
  'order-registered-here': {
    title: 'Your order is registered',
    body: (
      ctx,
      extra,
    ) => html`<p>This order is registered to your account already. There is nothing more to register.</p>
${consoleLink(ctx, extra.consoleUrl)}
${LICENSES_LINK}`,
  },
  'order-conflicts': {
    title: 'Register this order to another account',
    body: (_ctx, extra) => html`<p>${
      extra.lineNos && extra.lineNos.length > 0
        ? html`${extra.lineNos.length === 1 ? 'Line' : 'Lines'} ${extra.lineNos.join(', ')} of this order conflict`
        : 'The products left on this order conflict'
    } with a service this account already has, so they cannot be registered to it. Nothing was registered.</p>
<p>To register them, use another account: <a href="/register">enter a key of this order again</a> and sign in with the other account's email, or create a new account.</p>`,
  },
  'unknown-order': {
    title: 'We could not find this order',
    body: (ctx) => html`<p>We could not find the order of this registration.</p>
${AGAIN}
<p>If it keeps happening, email ${supportLink(ctx)} with your order number.</p>`,
  },
  'registration-expired': {
    title: 'This registration has expired',
    body: () => html`<p>Registration has to be finished within four hours, and this one was not. Nothing was registered, so you can start again safely.</p>
${AGAIN}`,
  },
};

export function registrationMessagePage(
  ctx: PageContext,
  kind: RegistrationMessageKind,
  extra: RegistrationMessageExtra = {},
): Page {
  const message = MESSAGES[kind];
  return page(ctx, REGISTRATION_MESSAGE_STATUS[kind], message.title, html`${message.body(ctx, extra)}\n`);
}

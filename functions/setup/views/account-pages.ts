/**
 * The returning buyer's pages (sign-in, licenses, credit usage; R2, R7, R9) and the public
 * credit calculator (R14): pure functions from data to `{ status, html }`, in the setup pages'
 * layout, with no JavaScript; every value is escaped by `html`.
 */
import { html, type SafeHtml } from '../../../lib/adapters/http/html.js';
import type { CreditUsage } from '../../../lib/domain/credits/ledger.js';
import type { LicenseView } from '../../../lib/domain/credits/licenses.js';
import type { Service } from '../../../lib/domain/product/catalog.js';
import { bar, barPercent, usageBar } from './chart.js';
import {
  csrfInput,
  dateShower,
  describedBy,
  errorSummary,
  type FieldError,
  fieldError,
  formatNumber,
  hint,
  ORIGIN_LABELS,
  type Page,
  type PageContext,
  page,
  plural,
} from './pages.js';

export interface AccountBusiness {
  readonly name: string;
  readonly timeZone: string;
}

type Section = 'home' | 'licenses' | 'usage';

/** The signed-in pages' navigation, with the sign-out form. */
function accountNav(csrf: string, current: Section): SafeHtml {
  const link = (section: Section, href: string, text: string) =>
    html`<a href="${href}"${section === current && html` aria-current="page"`}>${text}</a>`;
  return html`<nav class="account" aria-label="Your account">
${link('home', '/account', 'Account')}
${link('licenses', '/account/licenses', 'Licenses')}
${link('usage', '/account/usage', 'Credit usage')}
<form method="post" action="/account/sign-out">${csrfInput(csrf)}<button type="submit" class="secondary">Sign out</button></form>
</nav>
`;
}

function zoneNote(dates: ReturnType<typeof dateShower>, business: AccountBusiness): SafeHtml {
  return dates.fellBack
    ? html`<p class="hint">Dates are shown in UTC because the time zone “${business.timeZone}” is not recognised.</p>\n`
    : html`<p class="hint">Dates are shown in your business's time zone, ${dates.zone}.</p>\n`;
}

// ---------------------------------------------------------------------------------------------
// Sign-in (R7)

export interface SignInPageProps {
  readonly csrf: string;
  readonly email?: string;
  readonly error?: string;
}

export function signInPage(ctx: PageContext, { csrf, email, error }: SignInPageProps): Page {
  return page(
    ctx,
    error ? 400 : 200,
    'Sign in to your account',
    html`<p>Sign in to see your business's licenses and credits. Enter the email address of your business's primary account: it is your login ID.</p>
<p>We will email you a 6-digit code. The code is valid for 3 minutes.</p>
${error && errorSummary([{ id: 'email', message: error }])}<form method="post" action="/account">
${csrfInput(csrf)}
<div class="field">
<label for="email">Email address</label>
${fieldError('email', error)}
<input type="email" id="email" name="email" autocomplete="email" required maxlength="254" spellcheck="false" value="${email ?? ''}"${describedBy('email', false, error)}>
</div>
<button type="submit">Send code</button>
</form>
<p>No account yet? Buy ${ctx.productName} in AWS Marketplace and choose Set up product. To estimate the credits you need, use the <a href="/calculator">credit calculator</a>.</p>
`,
  );
}

export interface SignInCodePageProps {
  readonly csrf: string;
  readonly email: string;
  readonly error?: string;
  readonly resendAvailableInSeconds: number;
  readonly attemptsLeft: number;
}

/** The same page whether or not the email has an account: it never says which. */
export function signInCodePage(ctx: PageContext, props: SignInCodePageProps): Page {
  const { csrf, email, error } = props;
  const wait = Math.max(0, Math.ceil(props.resendAvailableInSeconds));
  const attemptsLeft = Math.max(0, Math.floor(props.attemptsLeft));
  const resend =
    wait > 0
      ? html`<button type="submit" class="secondary" aria-describedby="resend-hint">Resend in ${wait} s</button>
<p class="hint" id="resend-hint">You can ask for a new code in ${plural(wait, 'second', 'seconds')}.</p>`
      : html`<button type="submit" class="secondary">Resend code</button>`;
  return page(
    ctx,
    error ? 400 : 200,
    'Enter your code',
    html`<p>If an account exists for <strong>${email}</strong>, we sent a 6-digit code to that address. The code is valid for 3 minutes.</p>
${error && errorSummary([{ id: 'code', message: error }])}<form method="post" action="/account/code">
${csrfInput(csrf)}
<div class="field">
<label for="code">6-digit code</label>
${hint('code', attemptsLeft > 0 ? `You have ${plural(attemptsLeft, 'try', 'tries')} left.` : 'You have no tries left. Ask for a new code below.')}
${fieldError('code', error)}
<input type="text" class="code" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" minlength="6" maxlength="6" required${describedBy('code', true, error)}>
</div>
<button type="submit">Sign in</button>
</form>
<h2>No code?</h2>
<p>Codes can take a minute to arrive; check your spam folder. A new code replaces the one sent before.</p>
<form method="post" action="/account/resend">
${csrfInput(csrf)}
${resend}
</form>
<form method="post" action="/account/sign-out">
${csrfInput(csrf)}
<button type="submit" class="secondary">Use another email address</button>
</form>
`,
  );
}

// ---------------------------------------------------------------------------------------------
// Signed in

export function accountHomePage(ctx: PageContext, props: { csrf: string; business: AccountBusiness }): Page {
  return page(
    ctx,
    200,
    'Your account',
    html`${accountNav(props.csrf, 'home')}<p>You are signed in for <strong>${props.business.name}</strong>.</p>
<ul>
<li><a href="/account/licenses">License information</a>: every license and item, with its credits and dates.</li>
<li><a href="/account/usage">Credit usage</a>: your total, what your services hold, your balance and what expires soon.</li>
<li><a href="/calculator">Credit calculator</a>: estimate the credits for more services.</li>
</ul>
`,
  );
}

const STATUS_LABELS: Readonly<Record<string, string>> = {
  active: 'Active',
  'pending-setup': 'Waiting for activation',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

const END_LABELS: Readonly<Record<string, string>> = {
  superseded: 'Replaced',
  expired: 'Expired',
  cancelled: 'Cancelled',
};

export interface LicensesPageProps {
  readonly csrf: string;
  readonly business: AccountBusiness;
  readonly licenses: readonly LicenseView[];
  /** A product's readable name by its code (the catalog's), else the code. */
  readonly productName: (productCode: string) => string;
}

export function licensesPage(ctx: PageContext, props: LicensesPageProps): Page {
  const { business, licenses } = props;
  const dates = dateShower(business.timeZone);
  const sections = licenses.map((license) => {
    const kind =
      license.origin === 'marketplace' ? 'AWS Marketplace contract' : 'License from another channel';
    const item = (i: LicenseView['items'][number]) =>
      html`<tr><td>${i.itemNo}</td><td>${ORIGIN_LABELS[i.origin] ?? (i.origin === 'other-channel' ? 'Direct' : i.origin)}</td><td class="num">${formatNumber(i.credits)}</td><td>${dates.show(i.createdAt)}</td><td>${dates.show(i.expiresAt)}</td><td class="reference">${i.activationCode ?? '–'}</td><td>${i.state === 'active' ? 'Active' : `Ended${i.endReason ? ` (${END_LABELS[i.endReason] ?? i.endReason})` : ''}`}</td></tr>
`;
    return html`<section class="license">
<h2>${props.productName(license.productCode)}: ${kind}</h2>
<dl>
<dt>Status</dt><dd>${STATUS_LABELS[license.status] ?? license.status}</dd>
<dt>Credits now</dt><dd>${formatNumber(license.credits)}</dd>
<dt>Expires</dt><dd>${dates.show(license.expiresAt)}</dd>
${license.activatedAt && html`<dt>${license.origin === 'marketplace' ? 'Activated' : 'Added'}</dt><dd>${dates.show(license.activatedAt)}</dd>\n`}${license.reference && html`<dt>Reference</dt><dd class="reference">${license.reference}</dd>\n`}${license.description && html`<dt>Description</dt><dd>${license.description}</dd>\n`}${license.orderId && html`<dt>Order</dt><dd class="reference">${license.orderId}${license.lineNo !== undefined && `, line ${license.lineNo}`}</dd>\n`}${license.origin === 'marketplace' && html`<dt>Contract</dt><dd class="reference">${license.licenseId}</dd>\n`}</dl>
<table>
<caption>Items</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Origin</th><th scope="col" class="num">Credits</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Activation Code</th><th scope="col">State</th></tr></thead>
<tbody>
${license.items.map(item)}</tbody>
</table>
</section>
`;
  });
  return page(
    ctx,
    200,
    'Your licenses',
    html`${accountNav(props.csrf, 'licenses')}<p>The licenses of <strong>${business.name}</strong>: ${plural(licenses.length, 'license', 'licenses')}, live ones first.</p>
${licenses.length === 0 ? html`<p>Your business holds no license yet.</p>\n` : sections}${zoneNote(dates, business)}`,
  );
}

export interface UsagePageProps {
  readonly csrf: string;
  readonly business: AccountBusiness;
  readonly usage: CreditUsage;
  /** The catalog's service by id, for its name and unit. */
  readonly service: (id: string) => Pick<Service, 'name' | 'unit'> | undefined;
  /** A source's readable name by its id (a contract, or `direct~<reference>`). */
  readonly sourceName: (sourceId: string) => string;
}

const percent = (share: number) => `${Math.round(share * 1000) / 10} %`;

export function usagePage(ctx: PageContext, props: UsagePageProps): Page {
  const { business, usage } = props;
  const dates = dateShower(business.timeZone);
  const over =
    usage.overAllocatedBy > 0 &&
    html`<div class="notice warning" role="alert">
<p><strong>Over-allocated by ${formatNumber(usage.overAllocatedBy)} credits.</strong> Your services hold more credits than your licenses give${usage.overAllocatedSince ? html` (since ${dates.show(usage.overAllocatedSince)})` : ''}. Until the balance is back at zero, allocations can only be lowered: disable or shrink a service, or add credits.</p>
</div>
`;
  const rows = usage.distribution.map((a) => {
    const service = props.service(a.service);
    return html`<tr><th scope="row">${service?.name ?? a.service}</th><td class="num">${formatNumber(a.units)}${service && ` ${unitsOf(a.units, service.unit)}`}</td><td class="num">${formatNumber(a.credits)}</td><td class="num">${percent(a.share)}</td><td class="chart">${bar([{ percent: barPercent(a.share, 1), kind: 'used' }])}</td></tr>
`;
  });
  const distribution =
    rows.length > 0
      ? html`<table class="distribution">
<caption>Credits held by each service</caption>
<thead><tr><th scope="col">Service</th><th scope="col" class="num">Units</th><th scope="col" class="num">Credits</th><th scope="col" class="num">Share</th><th scope="col"><span class="visually-hidden">Chart</span></th></tr></thead>
<tbody>
${rows}</tbody>
</table>
`
      : html`<p>No service holds credits yet.</p>\n`;
  const expiring =
    usage.expiringSoon.length > 0
      ? html`<p>${formatNumber(usage.expiringCredits)} credits stop counting within the next ${usage.horizonDays} days.</p>
<table>
<caption>Expiring within ${usage.horizonDays} days</caption>
<thead><tr><th scope="col">License</th><th scope="col" class="num">Credits</th><th scope="col">Expires</th></tr></thead>
<tbody>
${usage.expiringSoon.map((s) => html`<tr><td>${props.sourceName(s.sourceId)}</td><td class="num">${formatNumber(s.credits)}</td><td>${dates.show(s.expiresAt)}</td></tr>\n`)}</tbody>
</table>
`
      : html`<p>Nothing expires within the next ${usage.horizonDays} days.</p>\n`;
  return page(
    ctx,
    200,
    'Credit usage',
    html`${accountNav(props.csrf, 'usage')}<p>The credits of <strong>${business.name}</strong>. Services hold credits while they are enabled; disabling one gives its credits back.</p>
${over}<dl>
<dt>Total credits</dt><dd>${formatNumber(usage.total)}</dd>
<dt>Allocated</dt><dd>${formatNumber(usage.allocated)}</dd>
<dt>Balance</dt><dd>${formatNumber(usage.balance)}</dd>
${usage.overAllocatedBy > 0 && html`<dt>Over-allocated by</dt><dd class="over">${formatNumber(usage.overAllocatedBy)}</dd>\n`}</dl>
<figure class="usage">${usageBar(usage.total, usage.allocated)}<figcaption><span class="key used"></span>Allocated <span class="key free"></span>Balance${usage.overAllocatedBy > 0 && html` <span class="key over"></span>Over-allocated`}</figcaption></figure>
<h2>Distribution by service</h2>
${distribution}<h2>Expiring soon</h2>
${expiring}${zoneNote(dates, business)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Credit calculator (R14)

export interface CalculatorPageProps {
  readonly services: readonly Service[];
  /** What each field held (echoed back). */
  readonly values: Readonly<Record<string, string>>;
  readonly errors: readonly FieldError[];
  readonly estimate?: {
    readonly lines: readonly {
      readonly id: string;
      readonly name: string;
      readonly unit: string;
      readonly units: number;
      readonly creditsPerUnit: number;
      readonly credits: number;
    }[];
    readonly total: number;
  };
}

/** The plural of a unit's name, for English units (`endpoints`, `mailboxes`, `cloud accounts`). */
export function unitsOf(n: number, unit: string): string {
  if (n === 1) return unit;
  if (/(s|x|z|ch|sh)$/.test(unit)) return `${unit}es`;
  if (/[^aeiou]y$/.test(unit)) return `${unit.slice(0, -1)}ies`;
  return `${unit}s`;
}

const perUnit = (s: Pick<Service, 'creditsPerUnit' | 'unit'>) =>
  `${plural(s.creditsPerUnit, 'credit', 'credits')} per ${s.unit}`;

export function calculatorPage(ctx: PageContext, props: CalculatorPageProps): Page {
  const { services, values, errors, estimate } = props;
  const fieldErrors = new Map(errors.map((e) => [e.id, e.message]));
  const fields = services.map((s) => {
    const error = fieldErrors.get(s.id);
    return html`<div class="field">
<label for="${s.id}">${s.name}</label>
${hint(s.id, `${perUnit(s)}. Number of ${unitsOf(2, s.unit)}:`)}
${fieldError(s.id, error)}
<input type="number" id="${s.id}" name="${s.id}" min="0" max="1000000" step="1" inputmode="numeric" value="${values[s.id] ?? ''}"${describedBy(s.id, true, error)}>
</div>
`;
  });
  const result =
    estimate &&
    html`<h2 id="estimate">Your estimate</h2>
<table>
<caption>Credits needed</caption>
<thead><tr><th scope="col">Service</th><th scope="col" class="num">Units</th><th scope="col" class="num">Rate</th><th scope="col" class="num">Credits</th></tr></thead>
<tbody>
${estimate.lines.map((l) => html`<tr><th scope="row">${l.name}</th><td class="num">${formatNumber(l.units)}</td><td class="num">${perUnit(l)}</td><td class="num">${formatNumber(l.credits)}</td></tr>\n`)}</tbody>
<tfoot><tr><th scope="row" colspan="3">Total</th><td class="num"><strong>${formatNumber(estimate.total)}</strong></td></tr></tfoot>
</table>
<p>This link keeps your estimate: bookmark or share it.</p>
`;
  return page(
    ctx,
    errors.length > 0 ? 400 : 200,
    'Credit calculator',
    html`<p>Estimate the credits you need before you buy. Each service has a published rate in credits per unit; enter how many units of each service you want, and we add them up.</p>
${result}${errorSummary(errors)}${
  services.length === 0
    ? html`<p id="services">No services are published yet. Email <a href="mailto:${ctx.supportEmail}">${ctx.supportEmail}</a> for a quote.</p>\n`
    : html`<form method="get" action="/calculator" id="services">
${fields}<button type="submit">Calculate</button>
</form>
`
}`,
  );
}

import { type HtmlValue, html, raw, type SafeHtml } from '../../lib/adapters/http/html.js';
import type { ConsoleLicense, ConsoleProduct, ConsoleState } from './console.js';
import { LIMITS } from './console.js';
import type { NotificationMode } from './notifications.js';
import type { ApiOrder } from './orders.js';

/**
 * The console's pages: pure functions from data to HTML. No script and nothing loaded from
 * elsewhere; every value goes through `html`, so a buyer name like `<script>` stays text.
 */

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#16191f}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-top:1px solid #d5dbdb;padding-top:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d5dbdb;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f3f3}form{display:inline-block;margin:.15rem .4rem .15rem 0}input[type=number]{width:7rem}
.status{background:#f2fcf3;border:1px solid #1d8102;padding:.6rem .8rem}.error{background:#fff7f7;border:1px solid #d13212;padding:.6rem .8rem}
.note{color:#545b64;font-size:.9rem}code{font-size:.85rem}code.key{white-space:nowrap}button{cursor:pointer}`;

const MODE_LABEL: Readonly<Record<NotificationMode, string>> = { sns: 'SNS', eventbridge: 'EventBridge' };

/** The policy the pages are written for; forms may post here and to the fulfillment URL only. */
export function contentSecurityPolicy(setupUrl: string): string {
  return `default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${new URL(setupUrl).origin}; base-uri 'none'; frame-ancestors 'none'`;
}

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} – AWS Marketplace (local)</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<h1>${title}</h1>
${body}
</body>
</html>
`.toString();
}

export interface HomePageInput {
  readonly state: ConsoleState;
  readonly products: readonly ConsoleProduct[];
  readonly defaultMode: NotificationMode;
  readonly setupUrl: string;
  /** The vendor's product stand-in, linked at the top when the stack runs one. */
  readonly productUrl?: string | undefined;
  /** A fresh registration token per license that can be set up, minted for this render. */
  readonly tokens: ReadonlyMap<string, string>;
  /** What the last action did, from `?done=`. */
  readonly flash?: string | undefined;
}

export function homePage(input: HomePageInput): string {
  const { state } = input;
  return layout(
    'Buyers and subscriptions',
    html`<p class="note">Buy, upgrade, renew and cancel as a buyer would. Each action changes the
simulated marketplace and queues the notifications the real one sends. In SNS mode a purchase is a
legacy listing (its buyer has a customer identifier), and turning auto-renew on or off sends
nothing, as SNS has no message for it.</p>
${input.productUrl && html`<p>After <em>Set up your account</em>, the buyer lands in the vendor's product: <a href="${input.productUrl}">open the product (local stand-in)</a>.</p>`}
${input.flash && html`<p class="status" role="status">${input.flash}</p>`}
<p>Sold through a reseller or directly instead? <a href="/orders">Orders from other channels</a>: import an order and register it with one of its Registration Keys.</p>
<h2>New buyer</h2>
<form method="post" action="/buyers">
<label>Name <input name="name" required maxlength="${LIMITS.buyerName.max}"></label>
<button>Create buyer</button>
</form>
<p class="note">Each buyer gets a new 12-digit AWS account id.</p>
${state.buyers.map(
  (buyer) => html`<h2>${buyer.name} <small>AWS account <code>${buyer.accountId}</code></small></h2>
${licenseTable(
  state.licenses.filter((l) => l.accountId === buyer.accountId),
  input,
)}
${purchaseForm(buyer.accountId, input)}`,
)}`,
  );
}

function purchaseForm(accountId: string, input: HomePageInput): SafeHtml {
  return html`<form method="post" action="/purchases">
<input type="hidden" name="accountId" value="${accountId}">
<label>Product <select name="productCode">${input.products.map(
    (p) => html`<option value="${p.productCode}">${p.productCode}</option>`,
  )}</select></label>
${countInput('credits', 'Credits', LIMITS.credits, 100)}
${countInput('months', 'Months', LIMITS.months, 12)}
<label>Notifications <select name="mode">${(['eventbridge', 'sns'] as const).map(
    (mode) =>
      html`<option value="${mode}"${mode === input.defaultMode ? raw(' selected') : ''}>${MODE_LABEL[mode]}</option>`,
  )}</select></label>
<label>Offer <select name="offer"><option value="public">Public offer</option><option value="free-trial">Free trial (30 days)</option><option value="channel-partner">Through a channel partner</option></select></label>
<label><input type="checkbox" name="autoRenew" value="on"> Auto-renew</label>
${dropBox}
<button>Buy</button>
</form>`;
}

/** Every action's "drop the notifications" checkbox: the change happens, nothing is published. */
const dropBox = html`<label class="note"><input type="checkbox" name="drop" value="on"> drop the notifications</label>`;

function countInput(
  name: string,
  label: string,
  range: { min: number; max: number },
  value?: number,
): SafeHtml {
  return html`<label>${label} <input type="number" name="${name}" min="${range.min}" max="${range.max}" step="1"${
    value === undefined ? '' : html` value="${value}" required`
  }></label>`;
}

function licenseTable(licenses: readonly ConsoleLicense[], input: HomePageInput): HtmlValue {
  if (licenses.length === 0) return html`<p>No purchases yet.</p>`;
  return html`<table>
<thead><tr><th>Product</th><th>Quantities</th><th>Ends</th><th>Status</th><th>Auto-renew</th><th>Agreement</th><th>Notifications</th><th>Actions</th></tr></thead>
<tbody>${licenses.map((license) => licenseRow(license, input))}</tbody>
</table>`;
}

function licenseRow(license: ConsoleLicense, input: HomePageInput): SafeHtml {
  const quantities = Object.entries(license.quantities);
  const token = input.tokens.get(license.licenseArn);
  return html`<tr>
<td>${license.productCode}<br><code>${license.licenseArn}</code></td>
<td>${quantities.length === 0 ? 'none' : quantities.map(([dimension, quantity]) => html`${quantity} ${dimension}<br>`)}</td>
<td>${license.endDate === undefined ? '–' : displayTime(license.endDate)}</td>
<td>${license.status}</td>
<td>${license.autoRenew ? 'on' : 'off'}</td>
<td><code>${license.agreementId}</code><br>${license.agreement.status}${
    license.agreement.freeTrial ? ', free trial' : ''
  }${license.agreement.channelPartner ? ', channel partner' : ''}<br><span class="note">${license.agreement.value} USD</span>${
    license.agreement.previousAgreementId !== undefined &&
    html`<br><span class="note">${license.agreement.intent === 'REPLACE' ? 'replaces' : 'renews'} ${license.agreement.previousAgreementId}</span>`
  }${
    license.previousAgreementIds.length > 0 &&
    html`<br><span class="note">chain: ${license.previousAgreementIds.join(' → ')} → ${license.agreementId}</span>`
  }${
    license.successorLicenseArn !== undefined &&
    html`<br><span class="note">continued under <code>${license.successorLicenseArn}</code></span>`
  }${
    license.predecessorLicenseArn !== undefined &&
    html`<br><span class="note">continues <code>${license.predecessorLicenseArn}</code></span>`
  }</td>
<td>${MODE_LABEL[license.mode]}${license.customerIdentifier && html`<br><span class="note">customer ${license.customerIdentifier}</span>`}</td>
<td>${
    license.status === 'cancelled'
      ? 'Cancelled: no actions.'
      : license.status === 'ended'
        ? 'Ended by its successor license: no actions.'
        : licenseActions(license, token, input.setupUrl)
  }</td>
</tr>`;
}

function licenseActions(license: ConsoleLicense, token: string | undefined, setupUrl: string): SafeHtml {
  const hidden = html`<input type="hidden" name="licenseArn" value="${license.licenseArn}">`;
  return html`${
    token !== undefined &&
    html`<form method="post" action="${setupUrl}">
<input type="hidden" name="x-amzn-marketplace-token" value="${token}">
<button>Set up your account</button>
</form><br>`
  }<form method="post" action="/licenses/upgrade">${hidden}
${countInput('credits', `+ ${license.creditsDimension}`, LIMITS.credits, 100)}
${dropBox}
<button>Upgrade</button>
</form><br>
<form method="post" action="/licenses/renew">${hidden}
${countInput('months', '+ months', LIMITS.months, 12)}
${countInput('credits', `new ${license.creditsDimension} (optional)`, LIMITS.credits)}
${dropBox}
<button>Renew</button>
</form><br>
<form method="post" action="/licenses/renew-new-license">${hidden}
${countInput('months', '+ months', LIMITS.months, 12)}
${countInput('credits', `new ${license.creditsDimension} (optional)`, LIMITS.credits)}
${dropBox}
<button>Renew under a new license</button>
</form><br>
<form method="post" action="/licenses/replace">${hidden}
${countInput('months', 'months from now', LIMITS.months, 12)}
${countInput('credits', `${license.creditsDimension} (optional)`, LIMITS.credits)}
${dropBox}
<button>Replace with a private offer (new license)</button>
</form><br>
${
  !license.agreement.freeTrial &&
  html`<form method="post" action="/licenses/auto-renew">${hidden}
<input type="hidden" name="enabled" value="${license.autoRenew ? 'false' : 'true'}">
${dropBox}
<button>Turn auto-renew ${license.autoRenew ? 'off' : 'on'}</button>
</form>`
}
<form method="post" action="/licenses/cancel">${hidden}
${dropBox}
<button>Cancel</button>
</form>`;
}

export interface OrdersPageInput {
  readonly products: readonly ConsoleProduct[];
  /** Whether the console can reach the license API (the local stack passes it). */
  readonly available: boolean;
  /** The setup function's /register page. */
  readonly registerUrl: string;
  /** Prefilled in the form, fresh per render. */
  readonly newOrderId: string;
  /** The order just imported or asked for (`?order=`), with its keys. */
  readonly order?: ApiOrder | undefined;
  /** The newest orders, when the API answered. */
  readonly recent: readonly ApiOrder[];
  readonly flash?: string | undefined;
  /** The license API could not be read for the lists. */
  readonly problem?: string | undefined;
}

/**
 * Orders from other channels (R12): a form that imports an order through the license API,
 * the order with each line's Registration Key (R11), and where the buyer registers it.
 */
export function ordersPage(input: OrdersPageInput): string {
  const services = input.products.flatMap((p) =>
    Object.entries(p.services ?? {}).map(([id, s]) => ({
      id,
      label: `${s.name} (${s.creditsPerUnit} credits per ${s.unit})`,
    })),
  );
  const lineRow = (n: number) => html`<tr>
<td>${n}</td>
<td><select name="service${n}" aria-label="Line ${n} service"${n === 1 ? raw(' required') : ''}>${n > 1 ? html`<option value="">(no line)</option>` : ''}${services.map(
    (s, i) => html`<option value="${s.id}"${n === 1 && i === 0 ? raw(' selected') : ''}>${s.label}</option>`,
  )}</select></td>
<td><input type="number" name="amount${n}" aria-label="Line ${n} quantity" min="1" max="${LIMITS.credits.max}" step="1" value="${n === 1 ? 100 : ''}"${n === 1 ? raw(' required') : ''}></td>
<td><select name="by${n}" aria-label="Line ${n} quantity is"><option value="units">units</option><option value="credits">credits</option></select></td>
<td><input type="number" name="months${n}" aria-label="Line ${n} months" min="${LIMITS.months.min}" max="${LIMITS.months.max}" step="1" value="12"></td>
</tr>`;
  return layout(
    'Orders from other channels',
    html`<p class="note">An order from a reseller or a direct sale has several lines, each with its own
Registration Key. It is imported through the license API (<code>POST /orders</code>, signed as the
product signs), and the buyer registers the whole order with any one of its keys on the setup
page. <a href="/">Back to the marketplace</a>.</p>
${input.flash && html`<p class="status" role="status">${input.flash}</p>`}
${input.problem && html`<p class="error">${input.problem}</p>`}
${input.order && orderSection(input.order, input.registerUrl)}
<h2>New order</h2>
${
  input.available
    ? services.length === 0
      ? html`<p>The catalog has no services: an order line sells a service.</p>`
      : html`<form method="post" action="/orders">
<label>Order id <input name="orderId" required maxlength="64" value="${input.newOrderId}"></label>
<label>Company <input name="company" required maxlength="${LIMITS.companyName.max}"></label>
<label>Country <input name="country" maxlength="2" size="3" placeholder="DE"></label>
<table>
<thead><tr><th>Line</th><th>Service</th><th>Quantity</th><th>as</th><th>Months</th></tr></thead>
<tbody>${[1, 2, 3].map(lineRow)}</tbody>
</table>
<button>Import order</button>
</form>`
    : html`<p class="error">Orders are imported through the license API, which this console was started without. Start the local stack (<code>npm start</code>).</p>`
}
${
  input.recent.length > 0 &&
  html`<h2>Recent orders</h2>
<table>
<thead><tr><th>Order</th><th>Company</th><th>Lines</th><th>State</th><th>Imported</th></tr></thead>
<tbody>${input.recent.map(
    (o) =>
      html`<tr><td><a href="/orders?order=${encodeURIComponent(o.orderId)}">${o.orderId}</a></td><td>${o.company.name}</td><td>${o.lines.length}</td><td>${o.state}</td><td>${displayTime(o.importedAt)}</td></tr>`,
  )}</tbody>
</table>`
}`,
  );
}

function orderSection(order: ApiOrder, registerUrl: string): SafeHtml {
  return html`<h2>Order <code>${order.orderId}</code> <small>${order.company.name}, ${order.state}</small></h2>
<table>
<thead><tr><th>Line</th><th>Product</th><th>Service</th><th>Quantity</th><th>Credits</th><th>Term</th><th>Registration Key</th><th>Registered</th></tr></thead>
<tbody>${order.lines.map(
    (line) =>
      html`<tr><td>${line.lineNo}</td><td><code>${line.productCode}</code></td><td>${line.service}</td><td>${line.units === undefined ? '–' : `${line.units} units`}</td><td>${line.credits}</td><td>${displayTime(line.startsAt)} – ${displayTime(line.expiresAt)}</td><td><code class="key">${line.registrationKey}</code></td><td>${
        line.registeredBy ? html`by <code>${line.registeredBy}</code>` : 'no'
      }</td></tr>`,
  )}</tbody>
</table>
<p>The buyer registers the whole order with any one of these keys: <a href="${registerUrl}">${registerUrl}</a>.</p>`;
}

function displayTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * Where the setup flow sent the buyer before the stack had a product stand-in; kept for links
 * and mails from then, pointing on to the stand-in when there is one.
 */
export function vendorConsolePage(productUrl?: string): string {
  return layout(
    'Vendor console',
    html`<p>You are in the vendor's console (local stand-in). Your account is set up.</p>
${productUrl && html`<p>The product itself is at <a href="${productUrl}">${productUrl}</a>: sign in there with your email to use your credits.</p>`}
<p><a href="/">Back to the marketplace</a></p>`,
  );
}

/** An error page: what happened and what to do next. */
export function messagePage(title: string, message: string, next: string): string {
  return layout(
    title,
    html`<p class="error">${message}</p><p>${next}</p><p><a href="/">Back to the marketplace</a></p>`,
  );
}

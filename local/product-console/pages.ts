import { type HtmlValue, html, raw, type SafeHtml } from '../../lib/adapters/http/html.js';
import type { CreditUsage } from '../../lib/domain/credits/ledger.js';
import type { LicenseView } from '../../lib/domain/credits/licenses.js';
import type { Service } from '../../lib/domain/product/catalog.js';
import type { Business } from '../../lib/domain/setup/model.js';
import type { LicenseApiError } from './license-api.js';

/**
 * The product stand-in's pages: pure functions from what the license API said to HTML. No
 * script and nothing loaded from elsewhere; every value goes through `html`. The look is the
 * marketplace page's (local/marketplace-console/page.ts), with a warning box for over-allocation.
 */

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 1.5rem;color:#16191f}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-top:1px solid #d5dbdb;padding-top:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d5dbdb;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f3f3}form{display:inline-block;margin:.15rem .4rem .15rem 0}input[type=number]{width:7rem}
.status{background:#f2fcf3;border:1px solid #1d8102;padding:.6rem .8rem}.error{background:#fff7f7;border:1px solid #d13212;padding:.6rem .8rem}
.warn{background:#fffbf0;border:1px solid #ff9900;padding:.6rem .8rem}.negative{color:#d13212;font-weight:600}
.note{color:#545b64;font-size:.9rem}code{font-size:.85rem}button{cursor:pointer}
.figures td{font-size:1.15rem}.wrap{overflow-x:auto}td code{word-break:break-all}
@media (max-width:40rem){body{padding:.75rem}input[type=number]{width:4.5rem}th,td{padding:.3rem .35rem}}`;

/** Forms post here only; nothing else is loaded. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface Flash {
  /** What the last action did. */
  readonly done?: string | undefined;
  /** Why the last action was refused, in plain words. */
  readonly refused?: string | undefined;
}

function layout(productName: string, title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} – ${productName} (local stand-in)</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<p class="note">${productName} · local stand-in for the vendor's product</p>
<h1>${title}</h1>
${body}
</body>
</html>
`.toString();
}

function flashBlock(flash: Flash): HtmlValue {
  return [
    flash.done && html`<p class="status" role="status">${flash.done}</p>`,
    flash.refused && html`<p class="error" role="alert">${flash.refused}</p>`,
  ];
}

const STAND_IN_NOTE = html`<p class="note">This page stands in for the vendor's product on your
machine. It signs you in by the email of the business's primary user alone, with <strong>no
password and no code</strong>: it is a local demo with no secrets. The real product signs its
users in properly. Everything shown comes from the license API, and every change is one
signed request to it.</p>`;

export function signInPage(input: { productName: string; flash: Flash; licensesUrl: string }): string {
  return layout(
    input.productName,
    'Sign in',
    html`${STAND_IN_NOTE}
${flashBlock(input.flash)}
<form method="post" action="/sign-in">
<label>Email of the business's primary user <input type="email" name="email" required maxlength="254" autocomplete="email"></label>
<button>Sign in</button>
</form>
<p class="note">The product looks the business up with <code>GET /businesses?email=</code> at
<code>${input.licensesUrl}</code>. Set up an account on the marketplace page first.</p>`,
  );
}

export interface DashboardInput {
  readonly productName: string;
  readonly email: string;
  readonly business: Business;
  readonly usage: CreditUsage;
  readonly licenses: readonly LicenseView[];
  readonly services: readonly Service[];
  readonly flash: Flash;
}

export function dashboardPage(input: DashboardInput): string {
  const { business, usage } = input;
  return layout(
    input.productName,
    business.name,
    html`<p>Signed in as <strong>${input.email}</strong> (no password: a local stand-in) ·
business <code>${business.businessId}</code> · ${business.country}, data centre ${business.dataCenterRegion}</p>
<form method="post" action="/sign-out"><button>Sign out</button></form>
${flashBlock(input.flash)}
<h2>Credits</h2>
${creditsBlock(usage)}
<h2>Services</h2>
${servicesBlock(input.services, usage)}
<h2>Licenses</h2>
${licensesBlock(input.licenses)}`,
  );
}

function creditsBlock(usage: CreditUsage): SafeHtml {
  const over = usage.overAllocatedBy > 0;
  return html`<div class="wrap"><table class="figures">
<thead><tr><th>Total</th><th>Allocated</th><th>Balance</th></tr></thead>
<tbody><tr><td>${n(usage.total)}</td><td>${n(usage.allocated)}</td><td${over ? raw(' class="negative"') : ''}>${n(usage.balance)}${
    over && ' (over-allocated)'
  }</td></tr></tbody>
</table></div>
${
  over &&
  html`<p class="warn" role="alert"><strong>Over-allocated by ${n(usage.overAllocatedBy)} credits</strong>${
    usage.overAllocatedSince && ` since ${displayTime(usage.overAllocatedSince)}`
  }: your services hold more credits than your licenses give. Nothing has been disabled. Until the
balance is back at zero, services can only be resized down or disabled. Add credits on AWS
Marketplace (upgrade or renew), or lower what your services use.</p>`
}
${expiringBlock(usage)}`;
}

function expiringBlock(usage: CreditUsage): SafeHtml {
  if (usage.expiringSoon.length === 0) {
    return html`<p>Nothing expires within the next ${usage.horizonDays} days.</p>`;
  }
  return html`<p><strong>${n(usage.expiringCredits)} credits expire within ${usage.horizonDays} days:</strong></p>
<div class="wrap"><table>
<thead><tr><th>Credits</th><th>Stop counting at</th><th>From</th></tr></thead>
<tbody>${usage.expiringSoon.map(
    (s) =>
      html`<tr><td>${n(s.credits)}</td><td>${displayTime(s.expiresAt)}</td><td>${
        s.kind === 'contract' ? 'AWS Marketplace contract' : 'license from another channel'
      }<br><code>${s.sourceId}</code></td></tr>`,
  )}</tbody>
</table></div>`;
}

function servicesBlock(services: readonly Service[], usage: CreditUsage): SafeHtml {
  if (services.length === 0) return html`<p>The catalog lists no services.</p>`;
  const held = new Map(usage.distribution.map((a) => [a.service, a]));
  return html`<p class="note">Enabling a service holds units × its rate in credits; resizing and
disabling are free during the term.</p>
<div class="wrap"><table>
<thead><tr><th>Service</th><th>Rate</th><th>Now</th><th>Change</th></tr></thead>
<tbody>${services.map((service) => {
    const allocation = held.get(service.id);
    return html`<tr>
<td>${service.name}<br><code>${service.id}</code></td>
<td>${n(service.creditsPerUnit)} credits per ${service.unit}</td>
<td>${allocation ? html`<strong>on</strong>: ${n(allocation.units)} × ${service.unit}, ${n(allocation.credits)} credits` : 'off'}</td>
<td><form method="post" action="/allocations">
<input type="hidden" name="service" value="${service.id}">
<label>Units <input type="number" name="units" min="1" max="1000000" step="1" required value="${allocation ? allocation.units : ''}" aria-label="${service.name} units"></label>
<button>${allocation ? 'Resize' : 'Enable'}</button>
</form>${
      allocation &&
      html`<form method="post" action="/allocations/disable">
<input type="hidden" name="service" value="${service.id}">
<button>Disable</button>
</form>`
    }</td>
</tr>`;
  })}</tbody>
</table></div>`;
}

function licensesBlock(licenses: readonly LicenseView[]): SafeHtml {
  if (licenses.length === 0) return html`<p>No licenses yet.</p>`;
  return html`<div class="wrap"><table>
<thead><tr><th>License</th><th>Status</th><th>Credits</th><th>Expires</th><th>Items</th></tr></thead>
<tbody>${licenses.map(
    (l) => html`<tr>
<td>${l.origin === 'marketplace' ? 'AWS Marketplace' : 'Other channel'}${l.description && html`: ${l.description}`}<br><code>${l.reference ?? l.licenseId}</code></td>
<td>${l.status}</td>
<td>${n(l.credits)}</td>
<td>${displayTime(l.expiresAt)}</td>
<td>${l.items.map(
      (i) =>
        html`#${i.itemNo} ${i.origin}, ${n(i.credits)} credits, ${i.state}${i.endReason && ` (${i.endReason})`}<br>`,
    )}</td>
</tr>`,
  )}</tbody>
</table></div>`;
}

/** A page for what cannot be shown at all (the license API is down): what happened and what to do. */
export function problemPage(productName: string, title: string, message: string, next: string): string {
  return layout(
    productName,
    title,
    html`<p class="error">${message}</p><p>${next}</p><p><a href="/">Back to the product</a></p>`,
  );
}

/** A refusal of the license API in plain words, with its own message. */
export function refusalText(error: LicenseApiError): string {
  const said = `The license API said: ${error.message}.`;
  switch (error.code) {
    case 'insufficient-credits':
      return `Not enough credits for that. ${said} Choose fewer units, disable another service, or add credits on AWS Marketplace.`;
    case 'over-allocated':
      return `Your services already hold more credits than you have, so they can only be resized down or disabled for now. ${said}`;
    case 'unknown-service':
      return `That service is not in the catalog. ${said}`;
    case 'unknown-business':
      return `No business is set up with that email. ${said} Set up the account from the marketplace page first.`;
    case 'bad-request':
      return `That value was not accepted. ${said}`;
    case 'busy':
      return `Too many changes at once. ${said} Try again.`;
    default:
      return `The license API refused (${error.status} ${error.code}). ${said}`;
  }
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function displayTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

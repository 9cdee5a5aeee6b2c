import type {
  BusinessCredits,
  BusinessDetail,
  ContractDetail,
  ContractRow,
  OverAllocatedList,
  SetupRow,
  Summary,
} from '../../lib/adapters/dynamodb/sales-reader.js';
import { html, type SafeHtml } from '../../lib/adapters/http/html.js';

const STYLE = `body{font:15px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.35rem .6rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}nav a{margin-right:1rem}.empty{color:#555;font-style:italic}`;

function page(title: string, body: SafeHtml): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${STYLE}</style></head><body>
<nav><a href="/contracts">Contracts</a><a href="/setups?state=open">Open setups</a><a href="/setups?state=expired">Expired setups</a><a href="/summary">Summary</a><a href="/businesses?overAllocated=true">Over-allocated</a></nav>
<h1>${title}</h1>${body}</body></html>`.toString();
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '');

function nextLink(path: string, query: URLSearchParams, cursor: string | undefined): SafeHtml | string {
  if (!cursor) return '';
  const next = new URLSearchParams(query);
  next.set('cursor', cursor);
  return html`<p><a href="/${path}?${next.toString()}">Next page</a></p>`;
}

export function contractsHtml(
  contracts: readonly ContractRow[],
  nextCursor: string | undefined,
  query: URLSearchParams,
): string {
  const body =
    contracts.length === 0
      ? html`<p class="empty">No contracts match.</p>`
      : html`<table><thead><tr><th>Contract</th><th>Status</th><th>Credits</th><th>Expires</th><th>Buyer account</th><th>Business</th><th>Trial</th></tr></thead><tbody>
${contracts.map(
  (
    c,
  ) => html`<tr><td><a href="/contracts/${encodeURIComponent(c.contractId)}">${c.contractId}</a></td><td>${c.status}</td>
<td class="n">${c.activeCredits}</td><td>${day(c.expiresAt)}</td><td>${c.customerAWSAccountId ?? ''}</td><td>${c.businessName ?? c.activatedBy ?? ''}</td><td>${c.freeTrial ? 'yes' : ''}</td></tr>`,
)}</tbody></table>`;
  return page('Contracts', html`${body}${nextLink('contracts', query, nextCursor)}`);
}

export function contractHtml(detail: ContractDetail): string {
  const { contract: c, items, audit, business, businessCredits } = detail;
  return page(
    `Contract ${c.contractId}`,
    html`<table><tbody>
<tr><th>Status</th><td>${c.status}</td></tr><tr><th>Product</th><td>${c.productCode}</td></tr>
<tr><th>Active credits</th><td>${c.activeCredits}</td></tr><tr><th>Expires</th><td>${c.expiresAt}</td></tr>
<tr><th>Buyer account</th><td>${c.customerAWSAccountId ?? ''}</td></tr><tr><th>License</th><td>${c.licenseArn ?? ''}</td></tr>
<tr><th>Business</th><td>${business ? html`<a href="/businesses/${encodeURIComponent(business.businessId)}">${business.name}</a> (${business.primaryEmail})` : 'not activated yet'}</td></tr>
${businessCredits ? html`<tr><th>Business credits</th><td>${creditsLine(businessCredits)}</td></tr>` : ''}
</tbody></table>
<h2>License items</h2><table><thead><tr><th>#</th><th>Origin</th><th>Credits</th><th>Expires</th><th>State</th></tr></thead><tbody>
${items.map((i) => html`<tr><td>${i.itemNo}</td><td>${i.origin}</td><td class="n">${i.credits}</td><td>${day(i.expiresAt)}</td><td>${i.state}${i.endReason ? ` (${i.endReason})` : ''}</td></tr>`)}
</tbody></table>
<h2>Audit trail</h2><table><thead><tr><th>Version</th><th>When</th><th>What</th><th>Trigger</th></tr></thead><tbody>
${audit.map((a) => html`<tr><td>${a.version}</td><td>${a.at}</td><td>${a.changes.map((ch) => ch.type).join(', ')}</td><td>${a.trigger.source} ${a.trigger.type}</td></tr>`)}
</tbody></table>`,
  );
}

export function setupsHtml(
  state: string,
  setups: readonly SetupRow[],
  nextCursor: string | undefined,
  query: URLSearchParams,
): string {
  const body =
    setups.length === 0
      ? html`<p class="empty">No ${state} setups.</p>`
      : html`<table><thead><tr><th>Started</th><th>Step</th><th>Email</th><th>Buyer account</th><th>Contract</th></tr></thead><tbody>
${setups.map((s) => html`<tr><td>${s.createdAt}</td><td>${s.step}</td><td>${s.email ?? ''}</td><td>${s.customerAWSAccountId ?? ''}</td><td>${s.contractId}</td></tr>`)}
</tbody></table>`;
  return page(`Setups: ${state}`, html`${body}${nextLink('setups', query, nextCursor)}`);
}

export function summaryHtml(s: Summary): string {
  return page(
    'Summary',
    html`<table><tbody>${Object.entries(s.byStatus).map(([k, v]) => html`<tr><th>${k}</th><td class="n">${v}</td></tr>`)}
<tr><th>Active credits</th><td class="n">${s.activeCredits}</td></tr>
<tr><th>Expiring in 30 / 60 / 90 days</th><td class="n">${s.expiring.days30} / ${s.expiring.days60} / ${s.expiring.days90}</td></tr>
</tbody></table><p>As of ${s.asOf}</p>`,
  );
}

/** `total 500 · allocated 120 · balance 380`, with the over-allocation when there is one. */
function creditsLine(c: BusinessCredits): string {
  const over = c.overAllocatedBy > 0 ? ` · over-allocated by ${c.overAllocatedBy}` : '';
  return `total ${c.total} · allocated ${c.allocated} · balance ${c.balance}${over}`;
}

export function businessHtml(detail: BusinessDetail): string {
  const { business: b, usage: u, licenses } = detail;
  return page(
    `Business ${b.name}`,
    html`<table><tbody>
<tr><th>Business id</th><td>${b.businessId}</td></tr><tr><th>Country</th><td>${b.country}</td></tr>
<tr><th>Data-centre region</th><td>${b.dataCenterRegion}</td></tr><tr><th>Time zone</th><td>${b.timeZone}</td></tr>
<tr><th>Primary email</th><td>${b.primaryEmail}</td></tr><tr><th>Registered</th><td>${day(b.createdAt)}</td></tr>
<tr><th>Credits</th><td class="n">${u.total}</td></tr><tr><th>Allocated</th><td class="n">${u.allocated}</td></tr>
<tr><th>Balance</th><td class="n">${u.balance}</td></tr>
${u.overAllocatedBy > 0 ? html`<tr><th>Over-allocated by</th><td class="n">${u.overAllocatedBy}</td></tr><tr><th>Since</th><td>${u.overAllocatedSince ?? ''}</td></tr>` : ''}
<tr><th>Ending within ${u.horizonDays} days</th><td class="n">${u.expiringCredits}</td></tr>
</tbody></table>
<h2>Licenses</h2>${
      licenses.length === 0
        ? html`<p class="empty">No licenses.</p>`
        : html`<table><thead><tr><th>License</th><th>Origin</th><th>Status</th><th>Credits</th><th>Expires</th><th>Items</th></tr></thead><tbody>
${licenses.map(
  (
    l,
  ) => html`<tr><td>${l.origin === 'marketplace' ? html`<a href="/contracts/${encodeURIComponent(l.licenseId)}">${l.licenseId}</a>` : l.licenseId}${l.description ? html`<br>${l.description}` : ''}</td>
<td>${l.origin}</td><td>${l.status}</td><td class="n">${l.credits}</td><td>${day(l.expiresAt)}</td>
<td>${l.items.map((i) => html`#${i.itemNo} ${i.origin} ${i.credits} ${i.state}${i.endReason ? ` (${i.endReason})` : ''}<br>`)}</td></tr>`,
)}</tbody></table>`
    }
<h2>Allocations</h2>${
      u.distribution.length === 0
        ? html`<p class="empty">No services enabled.</p>`
        : html`<table><thead><tr><th>Service</th><th>Product</th><th>Units</th><th>Credits</th><th>Share</th><th>Updated</th></tr></thead><tbody>
${u.distribution.map((a) => html`<tr><td>${a.service}</td><td>${a.productCode}</td><td class="n">${a.units}</td><td class="n">${a.credits}</td><td class="n">${Math.round(a.share * 100)} %</td><td>${day(a.updatedAt)}</td></tr>`)}
</tbody></table>`
    }`,
  );
}

export function overAllocatedHtml(list: OverAllocatedList): string {
  const body =
    list.businesses.length === 0
      ? html`<p class="empty">No business is over-allocated.</p>`
      : html`<table><thead><tr><th>Business</th><th>Primary email</th><th>Credits</th><th>Allocated</th><th>Over by</th><th>Since</th></tr></thead><tbody>
${list.businesses.map(
  (
    b,
  ) => html`<tr><td><a href="/businesses/${encodeURIComponent(b.businessId)}">${b.name || b.businessId}</a></td><td>${b.primaryEmail ?? ''}</td>
<td class="n">${b.total}</td><td class="n">${b.allocated}</td><td class="n">${b.overAllocatedBy}</td><td>${b.overAllocatedSince ?? ''}</td></tr>`,
)}</tbody></table>`;
  return page(
    'Over-allocated businesses',
    html`${body}${list.more ? html`<p>More businesses are over-allocated than shown; raise <code>limit</code> (at most 100).</p>` : ''}<p>As of ${list.asOf}</p>`,
  );
}

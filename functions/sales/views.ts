import type {
  ContractDetail,
  ContractRow,
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
<nav><a href="/contracts">Contracts</a><a href="/setups?state=open">Open setups</a><a href="/setups?state=expired">Expired setups</a><a href="/summary">Summary</a></nav>
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
  const { contract: c, items, audit, business } = detail;
  return page(
    `Contract ${c.contractId}`,
    html`<table><tbody>
<tr><th>Status</th><td>${c.status}</td></tr><tr><th>Product</th><td>${c.productCode}</td></tr>
<tr><th>Active credits</th><td>${c.activeCredits}</td></tr><tr><th>Expires</th><td>${c.expiresAt}</td></tr>
<tr><th>Buyer account</th><td>${c.customerAWSAccountId ?? ''}</td></tr><tr><th>License</th><td>${c.licenseArn ?? ''}</td></tr>
<tr><th>Business</th><td>${business ? `${business.name} (${business.primaryEmail})` : 'not activated yet'}</td></tr>
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

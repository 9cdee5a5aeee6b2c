import type {
  BusinessCredits,
  BusinessDetail,
  ContractDetail,
  ContractRow,
  OrderDetail,
  OrderHistoryEntry,
  OrderRow,
  OverAllocatedList,
  SetupRow,
  Summary,
  SummaryCharts,
} from '../../lib/adapters/dynamodb/sales-reader.js';
import { html, raw, type SafeHtml } from '../../lib/adapters/http/html.js';
import type { ContractValue } from '../../lib/domain/contract/agreement.js';
import type { AuditEntry } from '../../lib/domain/contract/ports.js';

/*
 * The sales console: server-rendered pages, no script. Tables sit in wrappers that scroll
 * sideways on a phone, so the page itself never does; charts are inline SVG with their numbers
 * in a table next to them. Colours keep text at 4.5:1 or better against its background.
 */
const STYLE = `*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1a1a1a;background:#f6f7f9}
a{color:#0b57d0}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,.scroll:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
header{background:#13294b;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
header strong{font-size:1.05rem;margin-right:.6rem}header a{color:#fff;text-decoration:none;padding:.2rem 0;border-bottom:2px solid transparent}
header a[aria-current=page]{border-bottom-color:#8ab4f8}header a:hover{text-decoration:underline}
main{max-width:1280px;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;margin:.4rem 0 1rem}h2{font-size:1.1rem;margin:0 0 .6rem}
.card{background:#fff;border:1px solid #dcdfe4;border-radius:8px;padding:1rem;margin-bottom:1rem;min-width:0}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr))}
.grid>.card{margin-bottom:0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e3e5e8;padding:.45rem .6rem;text-align:left;vertical-align:top}
thead th{background:#eef1f5;font-weight:600;white-space:nowrap;position:sticky;top:0}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.id{font:12.5px/1.3 ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.muted{color:#52595f}.empty{color:#52595f;font-style:italic}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.85rem;font-weight:600;white-space:nowrap;background:#eceff1;color:#263238}
.b-active{background:#e1f3e6;color:#0b4a1f}.b-pending-setup{background:#fff1db;color:#6b3a00}
.b-cancelled{background:#fde4e6;color:#7f1620}.b-renewed,.b-replaced{background:#e3ecfd;color:#123f8c}
.b-registered{background:#e1f3e6;color:#0b4a1f}.b-partly-registered{background:#fff1db;color:#6b3a00}.b-open{background:#e3ecfd;color:#123f8c}
.warn{color:#7f1620;font-weight:600}
dl.kv{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.35rem 1rem;margin:0}
dl.kv dt{color:#52595f}dl.kv dd{margin:0;min-width:0;overflow-wrap:anywhere}
form.filters{display:grid;gap:.7rem 1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,11rem),1fr));align-items:end}
form.filters .wide{grid-column:1/-1}
label{display:block;font-weight:600;font-size:.9rem;margin-bottom:.2rem}
input,select{font:inherit;width:100%;padding:.4rem .5rem;border:1px solid #8a9199;border-radius:6px;background:#fff;color:#1a1a1a}
.actions{display:flex;gap:.8rem;align-items:center;flex-wrap:wrap}
button{font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:6px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
.pager{display:flex;gap:1.2rem;flex-wrap:wrap;align-items:center;margin-top:.8rem}
ol.timeline{list-style:none;margin:0;padding:0;border-left:3px solid #c5cbd3}
ol.timeline li{position:relative;margin:0 0 1rem;padding-left:1rem}
ol.timeline li::before{content:"";position:absolute;left:-.5rem;top:.35rem;width:.7rem;height:.7rem;border-radius:50%;background:#0b57d0}
ol.timeline time{font-weight:600}ol.timeline ul{margin:.2rem 0;padding-left:1.1rem}
figure{margin:0}svg.chart{width:100%;max-width:720px;height:auto;display:block}
details{margin-top:.5rem}summary{cursor:pointer;color:#0b57d0}`;

const NAV = [
  ['/contracts', 'Contracts'],
  ['/summary', 'Summary'],
  ['/setups?state=open', 'Open setups'],
  ['/setups?state=expired', 'Expired setups'],
  ['/businesses?overAllocated=true', 'Over-allocated'],
  ['/orders', 'Orders'],
] as const;

function page(title: string, body: SafeHtml, current?: string): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Sales</title><style>${raw(STYLE)}</style></head><body>
<header><strong>Sales console</strong><nav aria-label="Sections">${NAV.map(
    ([href, label]) =>
      html`<a href="${href}"${href === current ? raw(' aria-current="page"') : ''}>${label}</a> `,
  )}</nav></header>
<main><h1>${title}</h1>${body}</main></body></html>`.toString();
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '');
const instant = (iso: string | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '');
const count = (n: number) => n.toLocaleString('en-US');
const table = (label: string, inner: SafeHtml) =>
  html`<div class="scroll" role="region" aria-label="${label}" tabindex="0"><table>${inner}</table></div>`;
const badge = (status: string) => html`<span class="badge b-${status}">${status}</span>`;

/** `USD 1,200.00` from the decimal string, without going through a float. */
export function money(value: ContractValue | undefined): string {
  if (!value) return '';
  return `${value.currency} ${decimal(value.amount)}`;
}

function decimal(amount: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return amount;
  const whole = (m[2] ?? '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${m[1]}${whole}.${(m[3] ?? '').padEnd(2, '0')}`;
}

/** `P12M` → `12 months`, `P1Y6M` → `1 year 6 months`; anything else as it came. */
export function duration(iso: string | undefined): string {
  if (!iso) return '';
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/.exec(iso);
  if (!m?.slice(1).some(Boolean)) return iso;
  const parts = (['year', 'month', 'week', 'day'] as const).flatMap((unit, i) => {
    const n = Number(m[i + 1] ?? 0);
    return n ? [`${n} ${unit}${n === 1 ? '' : 's'}`] : [];
  });
  return parts.join(' ');
}

const onOff = (v: boolean | undefined, unknown = 'unknown') => (v === undefined ? unknown : v ? 'on' : 'off');

/** The renewal column: auto-renew on/off, and what happens at the end with its reason. */
function renewal(c: ContractRow): SafeHtml {
  const end = c.endBehavior
    ? html`<br><span class="muted">at end: ${c.endBehavior.type}${c.endBehavior.reasonCode ? ` (${c.endBehavior.reasonCode})` : ''}</span>`
    : '';
  const unavailable = c.termsUnavailable
    ? html`<br><span class="muted">terms unavailable: ${c.termsUnavailable}</span>`
    : '';
  return html`auto-renew ${onOff(c.autoRenew)}${end}${unavailable}`;
}

function overAllocation(c: ContractRow): SafeHtml | string {
  if (c.overAllocatedBy === undefined)
    return c.activatedBy ? '' : html`<span class="muted">not activated</span>`;
  return c.overAllocatedBy > 0 ? html`<span class="warn">over by ${count(c.overAllocatedBy)}</span>` : 'no';
}

export interface ContractsView {
  readonly contracts: readonly ContractRow[];
  readonly nextCursor: string | undefined;
  /** The request's query as it came (the form shows it, the links keep it). */
  readonly query: URLSearchParams;
  /** The filters as parsed; only whether a cursor was given is read here. */
  readonly filters?: { readonly cursor?: string | undefined };
  readonly productCodes?: readonly string[];
  readonly statuses?: readonly string[];
  readonly csvMaxRows?: number;
}

const FILTER_NAMES = [
  'q',
  'status',
  'product',
  'expiringBefore',
  'business',
  'freeTrial',
  'autoRenew',
  'limit',
];

function select(
  name: string,
  label: string,
  current: string,
  options: readonly (readonly [string, string])[],
) {
  return html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">${options.map(
    ([value, text]) =>
      html`<option value="${value}"${value === current ? raw(' selected') : ''}>${text}</option>`,
  )}</select></div>`;
}

function filterForm(view: ContractsView): SafeHtml {
  const q = view.query;
  const v = (name: string) => q.get(name) ?? '';
  const anyYesNo = [
    ['', 'any'],
    ['yes', 'yes'],
    ['no', 'no'],
  ] as const;
  const norm = (name: string) => ({ true: 'yes', false: 'no', any: '' })[v(name)] ?? v(name);
  return html`<form class="filters card" method="get" action="/contracts" role="search" aria-label="Filter contracts">
<div class="wide"><label for="f-q">Search: AWS account id (12 digits) or business name</label>
<input id="f-q" name="q" type="search" maxlength="100" value="${v('q')}" placeholder="123456789012 or Acme"></div>
${select('status', 'Status', v('status'), [['', 'any'], ...(view.statuses ?? []).map((s) => [s, s] as const)])}
${select('product', 'Product', v('product'), [['', 'any'], ...(view.productCodes ?? []).map((p) => [p, p] as const)])}
<div><label for="f-exp">Ends before (UTC day)</label><input id="f-exp" name="expiringBefore" type="date" value="${v('expiringBefore').slice(0, 10)}"></div>
<div><label for="f-biz">Business id</label><input id="f-biz" name="business" maxlength="100" value="${v('business')}" placeholder="biz-…"></div>
${select('freeTrial', 'Free trial', norm('freeTrial'), anyYesNo)}
${select('autoRenew', 'Auto-renew', norm('autoRenew'), anyYesNo)}
${select('limit', 'Rows per page', v('limit') || '50', [
  ['25', '25'],
  ['50', '50'],
  ['100', '100'],
])}
<div class="actions"><button type="submit">Apply filters</button><a href="/contracts">Clear</a></div>
</form>`;
}

export function contractsHtml(view: ContractsView): string {
  const { contracts, nextCursor, query } = view;
  const kept = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = query.get(name);
    if (value) kept.set(name, value);
  }
  const csv = new URLSearchParams(kept);
  csv.delete('limit');
  const next = new URLSearchParams(kept);
  if (nextCursor) next.set('cursor', nextCursor);
  const rows = contracts.map(
    (
      c,
    ) => html`<tr><td><a class="id" href="/contracts/${encodeURIComponent(c.contractId)}">${c.contractId}</a><br><span class="muted">${c.productCode}</span></td>
<td>${c.customerAWSAccountId ?? ''}</td>
<td>${c.activatedBy ? html`<a href="/businesses/${encodeURIComponent(c.activatedBy)}">${c.businessName ?? c.activatedBy}</a>` : html`<span class="muted">not activated</span>`}</td>
<td>${badge(c.status)}${c.freeTrial ? html` <span class="badge">trial</span>` : ''}</td>
<td class="n">${count(c.activeCredits)}</td>
<td class="n">${c.contractValue ? money(c.contractValue) : c.termsUnavailable ? html`<span class="muted">unavailable</span>` : ''}</td>
<td>${day(c.expiresAt)}</td><td>${renewal(c)}</td><td>${overAllocation(c)}</td></tr>`,
  );
  const list =
    contracts.length === 0
      ? html`<p class="empty">No contracts match.</p>`
      : table(
          'Contracts',
          html`<caption class="muted" style="text-align:left;padding-bottom:.4rem">${count(contracts.length)} contract${contracts.length === 1 ? '' : 's'} on this page, soonest end first</caption>
<thead><tr><th scope="col">Contract</th><th scope="col">AWS account</th><th scope="col">Business</th><th scope="col">Status</th><th scope="col" class="n">Credits</th><th scope="col" class="n">Contract value</th><th scope="col">Ends</th><th scope="col">Renewal</th><th scope="col">Over-allocated</th></tr></thead>
<tbody>${rows}</tbody>`,
        );
  const pager = html`<div class="pager">${view.filters?.cursor || query.get('cursor') ? html`<a href="/contracts?${kept.toString()}">First page</a>` : ''}${nextCursor ? html`<a href="/contracts?${next.toString()}" rel="next">Next page</a>` : ''}
<a href="/contracts.csv?${csv.toString()}" download>Download CSV of this list</a><span class="muted">(every matching contract, up to ${count(view.csvMaxRows ?? 5000)})</span></div>`;
  return page(
    'Contracts',
    html`${filterForm(view)}<section class="card">${list}${pager}</section>`,
    '/contracts',
  );
}

/** One change of an audit entry in words. */
export function changeInWords(change: AuditEntry['changes'][number]): string {
  switch (change.type) {
    case 'created':
      return `Created with ${count(change.credits)} credits, ending ${day(change.expiresAt)}`;
    case 'upgraded':
      return `Upgraded: ${count(change.addedCredits)} credits added as item #${change.itemNo}`;
    case 'renewed':
      return `Renewed: the term now ends ${day(change.to)} instead of ${day(change.from)}`;
    case 'term-shortened':
      return `Term shortened: ends ${day(change.to)} instead of ${day(change.from)}`;
    case 'credits-reduced':
      return `Credits reduced from ${count(change.from)} to ${count(change.to)}`;
    case 'ended':
      return `Ended (${change.term}): ${count(change.creditsWithdrawn)} credits withdrawn`;
    case 'reinstated':
      return `Reinstated with ${count(change.credits)} credits, ending ${day(change.expiresAt)}`;
    case 'dimensions-changed':
      return `Dimensions changed: ${Object.entries(change.dimensions)
        .map(([k, n]) => `${k} ${count(n)}`)
        .join(', ')}`;
    case 'identity-learned':
      return `Learned the buyer's ${change.fields.join(', ')}`;
    case 'facts-updated':
      return `Marketplace facts updated: ${change.facts.join(', ')}`;
    case 'activated':
      return `Activated by business ${change.businessId} (${change.email})`;
    case 'continued':
      return `Continues contract ${change.from} (${change.term}) for business ${change.businessId}`;
    case 'continued-by':
      return `Continued by contract ${change.to} (${change.term}): ${count(change.creditsHandedOver)} credits handed over`;
    case 'transferred':
      return `Transferred by support from business ${change.from} to ${change.to} (ticket ${change.ticket}): ${change.reason}`;
    case 'code-replaced':
      return `Activation Code of item #${change.itemNo} replaced by support (ticket ${change.ticket})`;
    default:
      return `Change: ${String((change as { type?: unknown }).type ?? 'unknown')}`;
  }
}

function timeline(audit: readonly AuditEntry[]): SafeHtml {
  if (audit.length === 0) return html`<p class="empty">No changes recorded.</p>`;
  const newestFirst = [...audit].sort((a, b) => b.version - a.version);
  return html`<ol class="timeline">${newestFirst.map(
    (
      a,
    ) => html`<li><time datetime="${a.at}">${instant(a.at)}</time> <span class="muted">· version ${a.version}</span>
<ul>${a.changes.map((ch) => html`<li>${changeInWords(ch)}</li>`)}</ul>
<span class="muted">${a.before ? `${a.before.status} → ` : ''}${a.after.status}, ${count(a.after.activeCredits)} credits · from ${a.trigger.source} ${a.trigger.type}</span></li>`,
  )}</ol>`;
}

function terms(detail: ContractDetail): SafeHtml {
  const { terms: t, termsUnavailable: u } = detail.agreement;
  if (!t && u)
    return html`<p class="warn">Terms unavailable: ${u.value.reason}</p><p>${u.value.message}</p>
<p class="muted">Agreement ${u.value.agreementId}, learned ${instant(u.asOf)}. A channel partner's offer: ask the partner for the commercial terms.</p>`;
  if (!t) return html`<p class="empty">Terms not read from the Agreement API yet.</p>`;
  const v = t.value;
  const r = v.renewal;
  const row = (label: string, value: SafeHtml | string | number | undefined) =>
    value === undefined || value === '' ? '' : html`<dt>${label}</dt><dd>${value}</dd>`;
  const units = Object.entries(v.units ?? {});
  return html`<dl class="kv">
${row('Total contract value', v.contractValue ? money(v.contractValue) : 'not stated')}
${row('Duration', duration(v.duration))}
${row('Start', instant(v.startTime))}${row('End', instant(v.endTime))}
${row('Agreement status', v.status)}
${row('Auto-renew', onOff(r?.autoRenew))}
${row('Lockout period', duration(r?.lockoutPeriod))}
${row('Max renewals', r?.maxRenewals)}
${row('Price increase at renewal', r?.priceIncrease)}
${row(
  'At the end',
  v.endBehavior
    ? `${v.endBehavior.type}${v.endBehavior.reasonCode ? `, because ${v.endBehavior.reasonCode}` : ''}${v.endBehavior.renewalOfferId ? `, into offer ${v.endBehavior.renewalOfferId}` : ''}`
    : undefined,
)}
${row(
  'Free trial',
  v.freeTrial
    ? `yes${v.freeTrial.duration ? `, ${duration(v.freeTrial.duration)}` : ''}${
        Object.keys(v.freeTrial.grants).length
          ? ` (${Object.entries(v.freeTrial.grants)
              .map(([k, n]) => `${k} ${count(n)}`)
              .join(', ')})`
          : ''
      }`
    : 'no',
)}
${row('Units', units.length ? units.map(([k, n]) => `${k}: ${count(n)}`).join(', ') : 'none stated')}
${row('Offer', v.offerId)}${row('Accepted', instant(v.acceptanceTime))}
${row('Read', instant(t.asOf))}
</dl>${u ? html`<p class="muted">A later read failed: ${u.value.reason} (${instant(u.asOf)}).</p>` : ''}`;
}

function chain(detail: ContractDetail): SafeHtml {
  const c = detail.contract;
  const a = detail.agreement;
  const link = (id: string | undefined, none: string) =>
    id
      ? html`<a class="id" href="/contracts/${encodeURIComponent(id)}">${id}</a>`
      : html`<span class="muted">${none}</span>`;
  const mono = (id: string | undefined) =>
    id ? html`<span class="id">${id}</span>` : html`<span class="muted">unknown</span>`;
  return html`<dl class="kv">
<dt>Previous contract</dt><dd>${link(c.previousContractId, 'none: the first term')}</dd>
<dt>Next contract</dt><dd>${link(c.nextContractId, 'none yet')}</dd>
<dt>Agreement</dt><dd>${mono(a.agreementId ?? a.terms?.value.agreementId ?? a.termsUnavailable?.value.agreementId)}</dd>
<dt>Previous agreement</dt><dd>${a.previousAgreementId ? mono(a.previousAgreementId) : html`<span class="muted">none</span>`}</dd>
<dt>Initial agreement</dt><dd>${mono(a.terms?.value.initialAgreementId)}</dd>
</dl>`;
}

export function contractHtml(detail: ContractDetail): string {
  const { contract: c, items, audit, business, businessCredits } = detail;
  return page(
    'Contract',
    html`<p class="id">${c.contractId}</p>
<div class="grid">
<section class="card" aria-labelledby="h-overview"><h2 id="h-overview">Overview</h2><dl class="kv">
<dt>Status</dt><dd>${badge(c.status)}</dd><dt>Product</dt><dd class="id">${c.productCode}</dd>
<dt>Active credits</dt><dd>${count(c.activeCredits)}</dd><dt>Ends</dt><dd>${instant(c.expiresAt)}</dd>
<dt>AWS account</dt><dd>${c.customerAWSAccountId ?? ''}</dd><dt>License</dt><dd class="id">${c.licenseArn ?? ''}</dd>
<dt>Business</dt><dd>${business ? html`<a href="/businesses/${encodeURIComponent(business.businessId)}">${business.name}</a> (${business.primaryEmail})` : 'not activated yet'}</dd>
${businessCredits ? html`<dt>Business credits</dt><dd>${creditsLine(businessCredits)}</dd>` : ''}
<dt>Created</dt><dd>${instant(c.createdAt)}</dd><dt>Updated</dt><dd>${instant(c.updatedAt)}</dd>
</dl></section>
<section class="card" aria-labelledby="h-terms"><h2 id="h-terms">Commercial terms</h2>${terms(detail)}</section>
<section class="card" aria-labelledby="h-chain"><h2 id="h-chain">Renewal chain</h2>${chain(detail)}</section>
</div>
<section class="card" aria-labelledby="h-items" style="margin-top:1rem"><h2 id="h-items">License items</h2>${table(
      'License items',
      html`<thead><tr><th scope="col">#</th><th scope="col">Origin</th><th scope="col" class="n">Credits</th><th scope="col">Ends</th><th scope="col">State</th><th scope="col">Activation Code</th></tr></thead><tbody>
${items.map((i) => html`<tr><td>${i.itemNo}</td><td>${i.origin}</td><td class="n">${count(i.credits)}</td><td>${day(i.expiresAt)}</td><td>${i.state}${i.endReason ? ` (${i.endReason})` : ''}</td><td class="id">${i.activationCode ?? ''}</td></tr>`)}
</tbody>`,
    )}</section>
<section class="card" aria-labelledby="h-audit"><h2 id="h-audit">Timeline</h2>${timeline(audit)}</section>`,
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
      : table(
          `Setups ${state}`,
          html`<thead><tr><th scope="col">Started</th><th scope="col">Step</th><th scope="col">Email</th><th scope="col">AWS account</th><th scope="col">Contract</th></tr></thead><tbody>
${setups.map((s) => html`<tr><td>${instant(s.createdAt)}</td><td>${s.step}</td><td>${s.email ?? ''}</td><td>${s.customerAWSAccountId ?? ''}</td><td>${s.contractId ? html`<a class="id" href="/contracts/${encodeURIComponent(s.contractId)}">${s.contractId}</a>` : html`<a class="id" href="/orders/${encodeURIComponent(s.orderId ?? '')}">order ${s.orderId ?? ''}</a>`}</td></tr>`)}
</tbody>`,
        );
  const next = new URLSearchParams(query);
  if (nextCursor) next.set('cursor', nextCursor);
  return page(
    `Setups: ${state}`,
    html`<section class="card">${body}${nextCursor ? html`<div class="pager"><a href="/setups?${next.toString()}" rel="next">Next page</a></div>` : ''}</section>`,
    `/setups?state=${state}`,
  );
}

interface Bar {
  readonly label: string;
  readonly value: number;
  readonly text: string;
}

/**
 * A horizontal bar chart as inline SVG (no script): a label, a bar scaled to the largest value,
 * the value's text after it. Narrow enough (420 units) to stay legible at phone width.
 */
function barChart(id: string, title: string, bars: readonly Bar[], colour = '#1a5fc4'): SafeHtml {
  const W = 420;
  const LABEL = 118;
  const TEXT = 118;
  const ROW = 26;
  const max = Math.max(0, ...bars.map((b) => b.value));
  const height = bars.length * ROW + 6;
  return html`<figure><svg class="chart" viewBox="0 0 ${W} ${height}" role="img" aria-labelledby="${id}-t" xmlns="http://www.w3.org/2000/svg"><title id="${id}-t">${title}</title>
${bars.map((b, i) => {
  const y = i * ROW + 3;
  const width = max > 0 ? Math.max(b.value > 0 ? 2 : 0, Math.round(((W - LABEL - TEXT) * b.value) / max)) : 0;
  return html`<text x="${LABEL - 6}" y="${y + 15}" text-anchor="end" font-size="12" fill="#1a1a1a">${b.label}</text><rect x="${LABEL}" y="${y + 3}" width="${width}" height="${ROW - 8}" rx="3" fill="${colour}"></rect><text x="${LABEL + width + 5}" y="${y + 15}" font-size="12" fill="#1a1a1a">${b.text}</text>`;
})}</svg></figure>`;
}

function numbers(label: string, headers: readonly string[], rows: readonly (readonly string[])[]): SafeHtml {
  return html`<details><summary>The numbers</summary>${table(
    label,
    html`<thead><tr>${headers.map((h, i) => html`<th scope="col"${i > 0 ? raw(' class="n"') : ''}>${h}</th>`)}</tr></thead><tbody>${rows.map(
      (r) =>
        html`<tr>${r.map((cell, i) => (i === 0 ? html`<th scope="row">${cell}</th>` : html`<td class="n">${cell}</td>`))}</tr>`,
    )}</tbody>`,
  )}</details>`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const monthLabel = (m: string) => `${MONTHS[Number(m.slice(5, 7)) - 1] ?? m} ${m.slice(0, 4)}`;

export function summaryHtml(s: Summary, charts?: SummaryCharts): string {
  const status = Object.entries(s.byStatus).map(([k, v]) => ({ label: k, value: v, text: count(v) }));
  const facts = html`<div class="grid">
<section class="card"><h2>Active credits</h2><p style="font-size:1.8rem;margin:0">${count(s.activeCredits)}</p></section>
<section class="card"><h2>Live contracts ending within</h2><dl class="kv"><dt>30 days</dt><dd>${count(s.expiring.days30)}</dd><dt>60 days</dt><dd>${count(s.expiring.days60)}</dd><dt>90 days</dt><dd>${count(s.expiring.days90)}</dd></dl></section>
</div>`;
  const byStatus = html`<section class="card" aria-labelledby="h-status"><h2 id="h-status">Contracts by status</h2>${barChart('status', 'Contracts by status', status)}${numbers(
    'Contracts by status',
    ['Status', 'Contracts'],
    status.map((b) => [b.label, b.text]),
  )}</section>`;
  if (!charts)
    return page(
      'Summary',
      html`${facts}<div style="margin-top:1rem">${byStatus}</div><p class="muted">As of ${instant(s.asOf)}</p>`,
      '/summary',
    );
  const currencies = [...new Set(charts.months.flatMap((m) => Object.keys(m.value)))].sort();
  const valueCharts = currencies.map((cur) => {
    const bars = charts.months.map((m) => {
      const amount = m.value[cur] ?? '0';
      return { label: monthLabel(m.month), value: Number(amount), text: money({ amount, currency: cur }) };
    });
    return html`<h3 style="font-size:1rem;margin:.8rem 0 .3rem">${cur}</h3>${barChart(`value-${cur}`, `Contract value ending per month, ${cur}`, bars, '#0f7b4f')}${numbers(
      `Contract value ending per month, ${cur}`,
      ['Month', `Value (${cur})`],
      bars.map((b) => [b.label, b.text]),
    )}`;
  });
  const credits = charts.months.map((m) => ({
    label: monthLabel(m.month),
    value: m.credits,
    text: count(m.credits),
  }));
  const ages = charts.setupsByAge.map((a) => ({ label: a.label, value: a.count, text: count(a.count) }));
  return page(
    'Summary',
    html`${facts}<div class="grid" style="margin-top:1rem">${byStatus}
<section class="card" aria-labelledby="h-setups"><h2 id="h-setups">Setups by age</h2><p class="muted">A setup must finish within four hours (R4).</p>${barChart('setups', 'Open setups by age, and setups expired in the last day', ages, '#b3541e')}${numbers(
      'Setups by age',
      ['Age', 'Setups'],
      ages.map((b) => [b.label, b.text]),
    )}${charts.setupsComplete ? '' : html`<p class="warn">More setups than the chart reads; the counts are a lower bound.</p>`}</section>
</div>
<div class="grid" style="margin-top:1rem">
<section class="card" aria-labelledby="h-credits"><h2 id="h-credits">Credits ending per month</h2><p class="muted">Live contracts, this month from today, then the next eleven (UTC).</p>${barChart('credits', 'Credits ending per month', credits)}${numbers(
      'Credits and contracts ending per month',
      ['Month', 'Credits', 'Contracts'],
      charts.months.map((m) => [monthLabel(m.month), count(m.credits), count(m.contracts)]),
    )}</section>
<section class="card" aria-labelledby="h-value"><h2 id="h-value">Contract value ending per month</h2><p class="muted">Total contract value of the live contracts whose terms we know (${count(charts.contractsRead)} contracts read).</p>${
      currencies.length === 0
        ? html`<p class="empty">No contract value known for the next twelve months.</p>`
        : valueCharts
    }${charts.valueComplete ? '' : html`<p class="warn">Counted only for contracts ending before ${day(charts.valueReadUntil)}: the chart reads at most a bounded number of contracts.</p>`}</section>
</div><p class="muted">As of ${instant(s.asOf)}</p>`,
    '/summary',
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
    html`<div class="grid"><section class="card"><h2>Business</h2><dl class="kv">
<dt>Business id</dt><dd class="id">${b.businessId}</dd><dt>Country</dt><dd>${b.country}</dd>
<dt>Data-centre region</dt><dd>${b.dataCenterRegion}</dd><dt>Time zone</dt><dd>${b.timeZone}</dd>
<dt>Primary email</dt><dd>${b.primaryEmail}</dd><dt>Registered</dt><dd>${day(b.createdAt)}</dd>
<dt>Contracts</dt><dd><a href="/contracts?business=${encodeURIComponent(b.businessId)}">its contracts</a></dd>
</dl></section>
<section class="card"><h2>Credits</h2><dl class="kv">
<dt>Credits</dt><dd>${count(u.total)}</dd><dt>Allocated</dt><dd>${count(u.allocated)}</dd>
<dt>Balance</dt><dd>${count(u.balance)}</dd>
${u.overAllocatedBy > 0 ? html`<dt>Over-allocated by</dt><dd class="warn">${count(u.overAllocatedBy)}</dd><dt>Since</dt><dd>${u.overAllocatedSince ?? ''}</dd>` : ''}
<dt>Ending within ${u.horizonDays} days</dt><dd>${count(u.expiringCredits)}</dd>
</dl></section></div>
<section class="card" style="margin-top:1rem"><h2>Licenses</h2>${
      licenses.length === 0
        ? html`<p class="empty">No licenses.</p>`
        : table(
            'Licenses',
            html`<thead><tr><th scope="col">License</th><th scope="col">Origin</th><th scope="col">Status</th><th scope="col" class="n">Credits</th><th scope="col">Ends</th><th scope="col">Items</th></tr></thead><tbody>
${licenses.map(
  (
    l,
  ) => html`<tr><td>${l.origin === 'marketplace' ? html`<a class="id" href="/contracts/${encodeURIComponent(l.licenseId)}">${l.licenseId}</a>` : html`<span class="id">${l.licenseId}</span>`}${l.description ? html`<br>${l.description}` : ''}${l.orderId ? html`<br><a href="/orders/${encodeURIComponent(l.orderId)}">order ${l.orderId}</a>, line ${l.lineNo ?? ''}${l.service ? ` (${l.service})` : ''}` : ''}</td>
<td>${l.origin}</td><td>${l.status}</td><td class="n">${count(l.credits)}</td><td>${day(l.expiresAt)}</td>
<td>${l.items.map((i) => html`#${i.itemNo} ${i.origin} ${i.credits} ${i.state}${i.endReason ? ` (${i.endReason})` : ''}${i.activationCode ? html` <span class="id">${i.activationCode}</span>` : ''}<br>`)}</td></tr>`,
)}</tbody>`,
          )
    }</section>
<section class="card"><h2>Allocations</h2>${
      u.distribution.length === 0
        ? html`<p class="empty">No services enabled.</p>`
        : table(
            'Allocations',
            html`<thead><tr><th scope="col">Service</th><th scope="col">Product</th><th scope="col" class="n">Units</th><th scope="col" class="n">Credits</th><th scope="col" class="n">Share</th><th scope="col">Updated</th></tr></thead><tbody>
${u.distribution.map((a) => html`<tr><td>${a.service}</td><td>${a.productCode}</td><td class="n">${a.units}</td><td class="n">${a.credits}</td><td class="n">${Math.round(a.share * 100)} %</td><td>${day(a.updatedAt)}</td></tr>`)}
</tbody>`,
          )
    }</section>`,
  );
}

export function overAllocatedHtml(list: OverAllocatedList): string {
  const body =
    list.businesses.length === 0
      ? html`<p class="empty">No business is over-allocated.</p>`
      : table(
          'Over-allocated businesses',
          html`<thead><tr><th scope="col">Business</th><th scope="col">Primary email</th><th scope="col" class="n">Credits</th><th scope="col" class="n">Allocated</th><th scope="col" class="n">Over by</th><th scope="col">Since</th></tr></thead><tbody>
${list.businesses.map(
  (
    b,
  ) => html`<tr><td><a href="/businesses/${encodeURIComponent(b.businessId)}">${b.name || b.businessId}</a></td><td>${b.primaryEmail ?? ''}</td>
<td class="n">${count(b.total)}</td><td class="n">${count(b.allocated)}</td><td class="n">${count(b.overAllocatedBy)}</td><td>${b.overAllocatedSince ?? ''}</td></tr>`,
)}</tbody>`,
        );
  return page(
    'Over-allocated businesses',
    html`<section class="card">${body}${list.more ? html`<p>More businesses are over-allocated than shown; raise <code>limit</code> (at most 100).</p>` : ''}<p class="muted">As of ${instant(list.asOf)}</p></section>`,
    '/businesses?overAllocated=true',
  );
}

export interface OrdersView {
  readonly orders: readonly OrderRow[];
  readonly nextCursor: string | undefined;
  /** The request's query as it came (the form shows it, the links keep it). */
  readonly query: URLSearchParams;
  readonly states: readonly string[];
}

/** The businesses an order's lines are registered to, each linked to its page. */
function registeredTo(order: OrderRow, names?: ReadonlyMap<string, string>): SafeHtml {
  const ids = [...new Set(order.lines.flatMap((l) => (l.registeredBy ? [l.registeredBy] : [])))];
  if (ids.length === 0) return html`<span class="muted">not registered</span>`;
  return html`${ids.map(
    (id, i) =>
      html`${i > 0 ? ', ' : ''}<a href="/businesses/${encodeURIComponent(id)}">${names?.get(id) || id}</a>`,
  )}`;
}

/** Orders from other channels (R12), newest import first, with a state filter and pages. */
export function ordersHtml(view: OrdersView): string {
  const { orders, nextCursor, query } = view;
  const kept = new URLSearchParams();
  for (const name of ['state', 'limit']) {
    const value = query.get(name);
    if (value) kept.set(name, value);
  }
  const next = new URLSearchParams(kept);
  if (nextCursor) next.set('cursor', nextCursor);
  const cursor = query.get('cursor');
  const csv = new URLSearchParams(kept);
  if (cursor) csv.set('cursor', cursor);
  csv.set('format', 'csv');
  const form = html`<form class="filters card" method="get" action="/orders" aria-label="Filter orders">
${select('state', 'State', query.get('state') ?? '', [['', 'any'], ...view.states.map((s) => [s, s] as const)])}
${select('limit', 'Rows per page', query.get('limit') || '50', [
  ['25', '25'],
  ['50', '50'],
  ['100', '100'],
])}
<div class="actions"><button type="submit">Apply filters</button><a href="/orders">Clear</a></div>
</form>`;
  const list =
    orders.length === 0
      ? html`<p class="empty">No orders match.</p>`
      : table(
          'Orders',
          html`<caption class="muted" style="text-align:left;padding-bottom:.4rem">${count(orders.length)} order${orders.length === 1 ? '' : 's'} on this page, newest import first</caption>
<thead><tr><th scope="col">Order</th><th scope="col">Company</th><th scope="col">State</th><th scope="col" class="n">Lines registered</th><th scope="col" class="n">Credits</th><th scope="col">Imported</th><th scope="col">Registered to</th></tr></thead>
<tbody>${orders.map(
            (
              o,
            ) => html`<tr><td><a class="id" href="/orders/${encodeURIComponent(o.orderId)}">${o.orderId}</a></td>
<td>${o.company.name}${o.company.country ? html` <span class="muted">${o.company.country}</span>` : ''}</td>
<td>${badge(o.state)}</td><td class="n">${count(o.registeredLines)} of ${count(o.lines.length)}</td><td class="n">${count(o.credits)}</td>
<td>${instant(o.importedAt)}</td><td>${registeredTo(o)}</td></tr>`,
          )}</tbody>`,
        );
  const pager = html`<div class="pager">${cursor ? html`<a href="/orders?${kept.toString()}">First page</a>` : ''}${nextCursor ? html`<a href="/orders?${next.toString()}" rel="next">Next page</a>` : ''}
<a href="/orders?${csv.toString()}" download>Download CSV of this page</a><span class="muted">(one row per line, with its Registration Key)</span></div>`;
  return page('Orders', html`${form}<section class="card">${list}${pager}</section>`, '/orders');
}

/** One history entry of an order in words (lib/domain/events/history.ts). */
export function historyInWords(entry: OrderHistoryEntry): string {
  const d = entry.details;
  const text = (value: unknown) =>
    typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  const list = (value: unknown) => (Array.isArray(value) ? value.map(text).join(', ') : text(value));
  const several = (value: unknown) => !Array.isArray(value) || value.length !== 1;
  switch (entry.type) {
    case 'order-imported':
      return `Imported with ${text(d.lines)} line${d.lines === 1 ? '' : 's'}`;
    case 'order-registered': {
      const conflicts =
        Array.isArray(d.conflicts) && d.conflicts.length > 0
          ? `; left for another account (conflict): ${list(d.conflicts)}`
          : '';
      return `Registered to business ${text(d.businessId)}${d.email ? ` (${text(d.email)})` : ''}: line${several(d.lines) ? 's' : ''} ${list(d.lines)}${conflicts}`;
    }
    case 'code-replaced':
      return `Registration Key of line ${text(d.lineNo)} replaced by support (${text(d.replaced)} → ${text(d.replacement)})`;
    case 'license-transferred':
      return `License ${text(d.license)} moved by support`;
    default:
      return `Change: ${String((entry as { type?: unknown }).type ?? 'unknown')}`;
  }
}

function orderTimeline(history: readonly OrderHistoryEntry[]): SafeHtml {
  if (history.length === 0) return html`<p class="empty">No history recorded.</p>`;
  const newestFirst = [...history].reverse();
  return html`<ol class="timeline">${newestFirst.map(
    (h) => html`<li><time datetime="${h.at}">${instant(h.at)}</time> <span class="muted">· by ${h.by}</span>
<ul><li>${historyInWords(h)}</li>${h.ticket ? html`<li>Ticket ${h.ticket}${h.reason ? `: ${h.reason}` : ''}</li>` : ''}</ul></li>`,
  )}</ol>`;
}

/** One order (R12): its company, each line with its Registration Key and registration, its history. */
export function orderHtml(detail: OrderDetail): string {
  const { order: o, history } = detail;
  const names = new Map(detail.businesses.map((b) => [b.businessId, b.name] as const));
  const lineRows = o.lines.map(
    (
      l,
    ) => html`<tr><td>${l.lineNo}</td><td class="id">${l.productCode}</td><td>${l.service}</td><td class="n">${l.units === undefined ? '' : count(l.units)}</td><td class="n">${count(l.credits)}</td>
<td>${day(l.startsAt)} – ${day(l.expiresAt)}</td><td><span class="id">${l.registrationKey}</span></td>
<td>${badge(l.registeredBy ? 'registered' : 'open')}</td>
<td>${l.registeredBy ? html`<a href="/businesses/${encodeURIComponent(l.registeredBy)}">${names.get(l.registeredBy) || l.registeredBy}</a>` : ''}</td>
<td>${instant(l.registeredAt)}</td><td>${l.licenseId ? html`<span class="id">${l.licenseId}</span>` : ''}</td></tr>`,
  );
  return page(
    `Order ${o.orderId}`,
    html`<div class="grid"><section class="card" aria-labelledby="h-order"><h2 id="h-order">Order</h2><dl class="kv">
<dt>Order id</dt><dd class="id">${o.orderId}</dd><dt>State</dt><dd>${badge(o.state)}</dd>
<dt>Company</dt><dd>${o.company.name}</dd>
${o.company.email ? html`<dt>Company email</dt><dd>${o.company.email}</dd>` : ''}
${o.company.country ? html`<dt>Country</dt><dd>${o.company.country}</dd>` : ''}
<dt>Lines registered</dt><dd>${count(o.registeredLines)} of ${count(o.lines.length)}</dd>
<dt>Credits</dt><dd>${count(o.credits)}</dd>
<dt>Registered to</dt><dd>${registeredTo(o, names)}</dd>
<dt>Imported</dt><dd>${instant(o.importedAt)}${o.importedBy ? html` <span class="muted">by ${o.importedBy}</span>` : ''}</dd>
<dt>Updated</dt><dd>${instant(o.updatedAt)}</dd>
</dl></section></div>
<section class="card" aria-labelledby="h-lines" style="margin-top:1rem"><h2 id="h-lines">Lines</h2><p class="muted">Any Registration Key of the order registers every line still open to one business (R12).</p>${table(
      'Order lines',
      html`<thead><tr><th scope="col">#</th><th scope="col">Product</th><th scope="col">Service</th><th scope="col" class="n">Units</th><th scope="col" class="n">Credits</th><th scope="col">Term</th><th scope="col">Registration Key</th><th scope="col">State</th><th scope="col">Business</th><th scope="col">Registered</th><th scope="col">License</th></tr></thead><tbody>
${lineRows}</tbody>`,
    )}</section>
<section class="card" aria-labelledby="h-history"><h2 id="h-history">History</h2>${orderTimeline(history)}</section>`,
    '/orders',
  );
}

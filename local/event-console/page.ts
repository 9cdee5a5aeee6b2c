import { type HtmlValue, html, raw, type SafeHtml } from '../../lib/adapters/http/html.js';
import type { ReceivedEvent } from './store.js';

/**
 * The event console's page: a pure function from what arrived to HTML. No script and nothing
 * loaded from elsewhere; every value (an event's type and body are whatever the backend sent)
 * goes through `html`. The look is the other local pages'.
 */

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:80rem;padding:1rem 1.5rem;color:#16191f}
h1{font-size:1.5rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d5dbdb;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f2f3f3}
form{display:inline-block;margin:.15rem .8rem .15rem 0}input[type=number]{width:5rem}button{cursor:pointer}
.status{background:#f2fcf3;border:1px solid #1d8102;padding:.6rem .8rem}.note{color:#545b64;font-size:.9rem}
.ok{color:#1d8102;font-weight:600}.bad{color:#d13212;font-weight:600}code{font-size:.85rem}
td code{word-break:break-all}pre{margin:.4rem 0;max-height:30rem;overflow:auto;background:#fafafa;padding:.5rem;font-size:.8rem}
.wrap{overflow-x:auto}@media (max-width:40rem){body{padding:.75rem}th,td{padding:.3rem .35rem}}`;

/** Forms post here only; nothing else is loaded. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export interface EventsPageInput {
  /** Newest first. */
  readonly events: readonly ReceivedEvent[];
  readonly url: string;
  readonly webhookUrl: string;
  readonly pendingFailures: number;
  /** The local stack can run the daily notices (the schedule's job) from a button. */
  readonly canRunNotices?: boolean;
  /** …and the reconciliation sweep. */
  readonly canRunSweep?: boolean;
  readonly done?: string | undefined;
}

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} – event console (local stand-in)</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<p class="note">Local stand-in for the EventBridge bus, Secrets Manager and a seller's webhook endpoint</p>
<h1>${title}</h1>
${body}
</body>
</html>
`.toString();
}

export function eventsPage(input: EventsPageInput): string {
  return layout(
    'Events sent',
    html`<p class="note">Every event the backend published: put on the bus (EventBridge PutEvents at
<code>${input.url}</code>) or delivered as a signed webhook to <code>${input.webhookUrl}</code>.
Newest first; reload to see new ones. Also as JSON: <a href="/events.json">/events.json</a>.</p>
${input.done && html`<p class="status" role="status">${input.done}</p>`}
<form method="post" action="/webhook-failures">
<label>Answer the next <input type="number" name="n" min="0" max="100" value="1" required> webhook deliveries with 503</label>
<button>Fail them</button>
</form>
${input.canRunNotices ? html`<form method="post" action="/run-notices"><button>Run the daily notices now</button> (expiry notices at 60, 30 and 7 days, lapsed ledgers, the sales digest: what the schedule runs once a day)</form>` : ''}
${input.canRunSweep ? html`<form method="post" action="/run-sweep"><button name="mode" value="incremental">Run the reconciliation sweep now</button> <button name="mode" value="backfill">Backfill every agreement</button> (heals contracts whose notifications were dropped: tick "drop the notifications" on the marketplace page, then run it)</form>` : ''}
<form method="post" action="/clear"><button>Clear the list</button></form>
${input.pendingFailures > 0 && html`<p class="note">${input.pendingFailures} more webhook deliveries will be answered with 503.</p>`}
${input.events.length === 0 ? html`<p>Nothing has arrived yet.</p>` : eventsTable(input.events)}`,
  );
}

function eventsTable(events: readonly ReceivedEvent[]): SafeHtml {
  return html`<div class="wrap"><table>
<thead><tr><th>Received</th><th>Type</th><th>Event id</th><th>Via</th><th>Verified</th><th>Contract / business</th><th>Event</th></tr></thead>
<tbody>${events.map(eventRow)}</tbody>
</table></div>`;
}

function eventRow(event: ReceivedEvent): SafeHtml {
  const parsed = parse(event.body);
  const data = isRecord(parsed) && isRecord(parsed.data) ? parsed.data : undefined;
  const type = event.via === 'bus' ? event.detailType : event.type;
  return html`<tr>
<td>${event.receivedAt}</td>
<td><code>${type ?? '–'}</code></td>
<td><code>${event.id ?? '–'}</code></td>
<td>${via(event)}</td>
<td>${verified(event)}</td>
<td>${ids(data)}</td>
<td><details><summary>JSON</summary><pre>${pretty(parsed, event.body)}</pre></details></td>
</tr>`;
}

function via(event: ReceivedEvent): SafeHtml {
  if (event.via === 'bus') {
    return html`bus <code>${event.bus}</code><br><span class="note">source ${event.source}</span>`;
  }
  const answer = event.status === 204 ? '204' : html`<span class="bad">${event.status}</span>`;
  return html`webhook → ${answer}${event.injectedFailure && html`<br><span class="note">failure injected</span>`}`;
}

function verified(event: ReceivedEvent): HtmlValue {
  if (event.via === 'bus') return '';
  return event.verified
    ? html`<span class="ok" title="signature verified">✓</span>`
    : html`<span class="bad" title="not verified">✗</span> ${event.reason ?? ''}`;
}

function ids(data: Record<string, unknown> | undefined): HtmlValue {
  if (data === undefined) return '';
  const contract = typeof data.contractId === 'string' ? data.contractId : undefined;
  const business = typeof data.businessId === 'string' ? data.businessId : undefined;
  return [
    contract && html`contract <code>${contract}</code>`,
    contract && business && html`<br>`,
    business && html`business <code>${business}</code>`,
  ];
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function pretty(parsed: unknown, body: string): string {
  return parsed === undefined ? body : JSON.stringify(parsed, null, 2);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function problemPage(title: string, message: string): string {
  return layout(title, html`<p>${message}</p><p><a href="/">Back to the events</a></p>`);
}

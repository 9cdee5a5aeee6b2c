/**
 * A tiny HTML template tag: every interpolated value is escaped unless it is already `SafeHtml`
 * (the result of another `html` template or of `raw`). Pages are built only from these, so a
 * value a buyer typed, or one the marketplace sent, can never become markup.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Markup that is known to be safe: built by `html` (which escaped its values) or by `raw`. */
export class SafeHtml {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  toString(): string {
    return this.#value;
  }
}

/**
 * What may go into `${…}`: text and numbers (escaped), `SafeHtml` (kept), arrays of either
 * (joined with nothing), and `null`, `undefined` or `false` (nothing, for `${cond && html`…`}`).
 */
export type HtmlValue = string | number | SafeHtml | null | undefined | false | readonly HtmlValue[];

/** Escapes text for element content and for quoted attribute values (attributes are always quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'number') return escapeHtml(String(value));
  if (typeof value === 'string') return escapeHtml(value);
  return value.map(render).join('');
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Marks a trusted constant as markup. Never pass it anything that came from a request or a database. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

/**
 * A link target that cannot run script: only absolute http(s) URLs pass (as the parsed URL);
 * anything else (`javascript:`, `data:`, relative or unparseable) gives `undefined`.
 */
export function safeUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

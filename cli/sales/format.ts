/**
 * Plain-text rendering for the sales CLI: fixed-width tables and key/value blocks, no dependency.
 * Every value that reaches the terminal goes through `cell`, which removes control and bidi
 * characters so that a business name typed by a buyer cannot move the cursor or recolour the
 * terminal of the sales person reading it.
 */

export type CellValue = string | number | boolean | null | undefined;

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
  /** Longer values are cut to this many characters, the last one an ellipsis. */
  readonly maxWidth?: number;
}

const GAP = '  ';

function isUnsafeCodePoint(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x200e ||
    code === 0x200f
  );
}

/** Drops control and bidi-override characters (tabs and newlines become spaces). */
export function sanitize(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += isUnsafeCodePoint(code) ? (code === 0x09 || code === 0x0a || code === 0x0d ? ' ' : '') : char;
  }
  return out;
}

/** The printable text of one value: '' for nothing, yes/no for booleans, grouped integers. */
export function cell(value: CellValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return formatNumber(value);
  return sanitize(value);
}

export function formatNumber(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(value);
}

function length(text: string): number {
  return [...text].length;
}

function truncate(text: string, max: number | undefined): string {
  if (max === undefined || max < 1) return text;
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - length(text)));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * A table with a header line and a rule under it, columns separated by two spaces, trailing
 * spaces trimmed. Rows shorter than the header are padded with empty cells.
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly CellValue[])[]): string {
  const texts = rows.map((row) => columns.map((column, i) => truncate(cell(row[i]), column.maxWidth)));
  const widths = columns.map((column, i) =>
    Math.max(length(column.header), ...texts.map((row) => length(row[i] ?? ''))),
  );
  const line = (values: readonly string[]) =>
    columns
      .map((column, i) => pad(values[i] ?? '', widths[i] ?? 0, column.align ?? 'left'))
      .join(GAP)
      .trimEnd();
  return [
    line(columns.map((column) => column.header)),
    line(widths.map((width) => '-'.repeat(width))),
    ...texts.map(line),
  ].join('\n');
}

/** `label  value` lines with the labels padded to the longest; empty values are left out. */
export function renderKeyValues(pairs: readonly (readonly [string, CellValue])[], indent = '  '): string {
  const shown = pairs.map(([label, value]) => [sanitize(label), cell(value)] as const).filter(([, v]) => v);
  const width = Math.max(0, ...shown.map(([label]) => length(label)));
  return shown.map(([label, value]) => `${indent}${pad(label, width, 'left')}  ${value}`).join('\n');
}

const ISO_DATE = /^(\d{4}-\d{2}-\d{2})/;
const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/;

/** `2026-05-01T10:00:00.000Z` → `2026-05-01`; anything that is not an ISO date is shown as is. */
export function shortDate(value: string | null | undefined): string {
  if (!value) return '';
  return ISO_DATE.exec(value)?.[1] ?? sanitize(value);
}

/** `2026-05-01T10:04:59.000Z` → `2026-05-01 10:04`, for audit entries where the time matters. */
export function shortDateTime(value: string | null | undefined): string {
  if (!value) return '';
  const match = ISO_DATE_TIME.exec(value);
  return match ? `${match[1]} ${match[2]}` : sanitize(value);
}

/**
 * The credit calculator's query (R14): `/calculator?<service id>=<units>&…`, a GET form so a
 * result is a link. Parsed strictly and without throwing: whatever a stranger puts in the URL
 * becomes either the blank form, an estimate's lines, or field messages for a 400 page.
 */
import { MAX_UNITS } from '../../lib/domain/credits/use-cases.js';
import type { Service } from '../../lib/domain/product/catalog.js';

/** Longer queries are refused before they are parsed. */
const MAX_QUERY_LENGTH = 4096;
/** Messages listed at most, so a hostile query cannot make a huge page. */
const MAX_MESSAGES = 10;
/** The longest value echoed back into a field. */
const MAX_ECHO = 20;

export type CalculatorQuery =
  | { readonly kind: 'form' }
  | {
      readonly kind: 'estimate';
      readonly lines: readonly { readonly service: string; readonly units: number }[];
      readonly values: Readonly<Record<string, string>>;
    }
  | {
      readonly kind: 'invalid';
      readonly values: Readonly<Record<string, string>>;
      /** Field messages (`id` a service id) and query messages (`id` `services`). */
      readonly errors: readonly { readonly id: string; readonly message: string }[];
    };

/**
 * The limit with thousands separators, without Intl: a number formatted at module load would
 * load ICU's data at every cold start (about 8 MB and 10–20 ms measured on a bare node).
 */
const MAX_UNITS_TEXT = String(MAX_UNITS).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const WHOLE = `Enter a whole number of units from 0 to ${MAX_UNITS_TEXT}, like 25.`;

/** The units a field asks for, or its message: digits only (no sign, no point, no exponent), at most a million. */
export function parseUnits(value: string): number | { readonly message: string } {
  const text = value.trim();
  if (!/^\d+$/.test(text)) return { message: WHOLE };
  // Leading zeros aside, more than seven digits is above the limit (and safe from overflow).
  const digits = text.replace(/^0+(?=\d)/, '');
  if (digits.length > 7 || Number(digits) > MAX_UNITS) {
    return { message: `At most ${MAX_UNITS_TEXT} units per service.` };
  }
  return Number(digits);
}

/** Reads the query against the catalog's services, in catalog order. */
export function parseCalculatorQuery(
  rawQuery: string | undefined,
  services: readonly Service[],
): CalculatorQuery {
  const raw = rawQuery ?? '';
  if (raw === '') return { kind: 'form' };
  if (raw.length > MAX_QUERY_LENGTH) {
    return {
      kind: 'invalid',
      values: {},
      errors: [{ id: 'services', message: 'This address is too long.' }],
    };
  }
  const params = [...new URLSearchParams(raw)];
  const known = new Map(services.map((s) => [s.id, s]));
  const errors: { id: string; message: string }[] = [];
  if (params.length > services.length) {
    errors.push({ id: 'services', message: `Give at most ${services.length} quantities, one per service.` });
  }
  const values: Record<string, string> = {};
  const units = new Map<string, number>();
  const seen = new Set<string>();
  for (const [name, value] of params.slice(0, services.length + MAX_MESSAGES)) {
    if (!known.has(name)) {
      errors.push({
        id: 'services',
        message: `There is no service “${name.slice(0, 40)}”. Choose from the list.`,
      });
      continue;
    }
    if (seen.has(name)) {
      errors.push({ id: name, message: `${known.get(name)?.name ?? name}: give its units once.` });
      continue;
    }
    seen.add(name);
    values[name] = value.slice(0, MAX_ECHO);
    if (value.trim() === '') continue;
    const parsed = parseUnits(value);
    if (typeof parsed === 'number') units.set(name, parsed);
    else errors.push({ id: name, message: `${known.get(name)?.name ?? name}: ${parsed.message}` });
  }
  if (errors.length === 0 && units.size === 0) {
    errors.push({ id: 'services', message: 'Enter the units of at least one service.' });
  }
  if (errors.length > 0) return { kind: 'invalid', values, errors: errors.slice(0, MAX_MESSAGES) };
  return {
    kind: 'estimate',
    lines: services
      .filter((s) => units.has(s.id))
      .map((s) => ({ service: s.id, units: units.get(s.id) ?? 0 })),
    values,
  };
}

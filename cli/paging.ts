import { sanitize } from './sales/format.js';
import { encodeRfc3986 } from './sales/signed-fetch.js';

/** What one page of a list answer gives: its rows and the cursor of the next page, if any. */
export interface Page<T> {
  readonly rows: readonly T[];
  readonly next?: string | undefined;
}

export interface Pages<T> {
  readonly rows: T[];
  readonly pages: number;
  /** Where the listing stopped: absent after the last page. */
  readonly nextCursor?: string;
}

/**
 * Reads a cursor-paged list from `cursor` on: one page, or with `all` every page until the last.
 * A cursor handed out twice stops the loop with an error instead of looping for ever (`who`
 * names the other side in that message: the sales function is "the server", the license API
 * "the API").
 */
export async function followPages<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
  options: { readonly cursor?: string | undefined; readonly all: boolean; readonly who: string },
): Promise<Pages<T>> {
  const rows: T[] = [];
  const seen = new Set<string>();
  let cursor = options.cursor;
  for (let pages = 1; ; pages++) {
    const page = await fetchPage(cursor);
    rows.push(...page.rows);
    const next = page.next || undefined;
    if (!options.all || next === undefined) return { rows, pages, ...(next ? { nextCursor: next } : {}) };
    if (seen.has(next)) {
      throw new Error(`The ${options.who} returned the same cursor twice (${sanitize(next)}); stopping.`);
    }
    seen.add(next);
    cursor = next;
  }
}

/**
 * An id as one path segment, RFC 3986-encoded. `.` and `..` cannot be one: every URL parser
 * resolves them as dot segments (`/orders/..` is `/`), so the request would go to another route;
 * `refuse` makes the CLI's usage error for them.
 */
export function idSegment(id: string, what: string, refuse: (message: string) => Error): string {
  if (id === '.' || id === '..') throw refuse(`Invalid ${what ? `${what} ` : ''}id: ${id}`);
  return encodeRfc3986(id);
}

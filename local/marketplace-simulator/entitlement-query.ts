import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { License } from './license.js';
import { invalidParameter } from './service-error.js';

export const FILTER_NAMES = [
  'CUSTOMER_IDENTIFIER',
  'CUSTOMER_AWS_ACCOUNT_ID',
  'LICENSE_ARN',
  'DIMENSION',
] as const;
export type FilterName = (typeof FILTER_NAMES)[number];

export const MAX_RESULTS_LIMIT = 25;

/** A validated GetEntitlements request. */
export interface EntitlementQuery {
  productCode: string;
  filter: Partial<Record<FilterName, readonly string[]>>;
  maxResults: number;
  nextToken?: string;
}

/** One row of a GetEntitlements answer, before wire encoding. */
export interface EntitlementRow {
  productCode: string;
  dimension: string;
  customerIdentifier?: string;
  customerAWSAccountId: string;
  licenseArn: string;
  quantity: number;
  expirationDate: Date;
}

export interface EntitlementPage {
  entitlements: EntitlementRow[];
  nextToken?: string;
}

/** Sort key: account, then license, then dimension (code-unit order, locale-free). */
type RowKey = readonly [string, string, string];

const rowKey = (row: EntitlementRow): RowKey => [row.customerAWSAccountId, row.licenseArn, row.dimension];

function compareKeys(a: RowKey, b: RowKey): number {
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function matchesFilter(row: EntitlementRow, filter: EntitlementQuery['filter']): boolean {
  // Values of one key are unioned; different keys are intersected.
  const fieldOf: Record<FilterName, string | undefined> = {
    CUSTOMER_IDENTIFIER: row.customerIdentifier,
    CUSTOMER_AWS_ACCOUNT_ID: row.customerAWSAccountId,
    LICENSE_ARN: row.licenseArn,
    DIMENSION: row.dimension,
  };
  for (const name of FILTER_NAMES) {
    const wanted = filter[name];
    if (wanted === undefined) continue;
    const actual = fieldOf[name];
    if (actual === undefined || !wanted.includes(actual)) return false;
  }
  return true;
}

/**
 * Filters, orders and pages entitlements. Pages are keyset-based: the NextToken carries the
 * sort key of the last row returned, so rows are never repeated or skipped even if licenses
 * change between pages. Tokens are HMAC-signed with a per-instance key and bound to the
 * query (product code + filter): a forged, altered or foreign token is an InvalidParameterException.
 */
export class EntitlementPager {
  readonly #key = randomBytes(32);

  page(licenses: Iterable<License>, query: EntitlementQuery, now: Date): EntitlementPage {
    const fingerprint = queryFingerprint(query);
    const after = query.nextToken === undefined ? undefined : this.#decodeToken(query.nextToken, fingerprint);

    const rows: EntitlementRow[] = [];
    for (const license of licenses) {
      if (license.productCode !== query.productCode) continue;
      for (const e of license.entitlements) {
        // The real service returns nothing for an entitlement once it has expired.
        if (e.expirationDate.getTime() <= now.getTime()) continue;
        const row: EntitlementRow = {
          productCode: license.productCode,
          dimension: e.dimension,
          customerAWSAccountId: license.customerAWSAccountId,
          licenseArn: license.licenseArn,
          quantity: e.quantity,
          expirationDate: new Date(e.expirationDate.getTime()),
        };
        if (license.customerIdentifier !== undefined) row.customerIdentifier = license.customerIdentifier;
        if (!matchesFilter(row, query.filter)) continue;
        if (after !== undefined && compareKeys(rowKey(row), after) <= 0) continue;
        rows.push(row);
      }
    }
    rows.sort((a, b) => compareKeys(rowKey(a), rowKey(b)));

    const entitlements = rows.slice(0, query.maxResults);
    const last = entitlements.at(-1);
    if (rows.length > entitlements.length && last !== undefined) {
      return { entitlements, nextToken: this.#encodeToken(fingerprint, rowKey(last)) };
    }
    return { entitlements };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }

  #encodeToken(fingerprint: string, after: RowKey): string {
    const payload = Buffer.from(JSON.stringify({ q: fingerprint, a: after })).toString('base64url');
    return `${payload}.${this.#sign(payload)}`;
  }

  #decodeToken(token: string, fingerprint: string): RowKey {
    const bad = invalidParameter('The NextToken is invalid.');
    const [payload, signature, extra] = token.split('.');
    if (payload === undefined || signature === undefined || extra !== undefined) throw bad;
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad;
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof decoded !== 'object' || decoded === null) throw bad;
    const { q, a } = decoded as { q?: unknown; a?: unknown };
    if (q !== fingerprint) {
      throw invalidParameter('The NextToken does not belong to this ProductCode and Filter.');
    }
    if (!Array.isArray(a)) throw bad;
    const [account, licenseArn, dimension, ...rest] = a as unknown[];
    if (typeof account !== 'string' || typeof licenseArn !== 'string' || typeof dimension !== 'string')
      throw bad;
    if (rest.length > 0) throw bad;
    return [account, licenseArn, dimension];
  }
}

/** Canonical form of the parts of a query a NextToken must stay bound to (not MaxResults). */
function queryFingerprint(query: EntitlementQuery): string {
  const filter = FILTER_NAMES.flatMap((name) => {
    const values = query.filter[name];
    return values === undefined ? [] : [[name, [...new Set(values)].sort()]];
  });
  return createHash('sha256')
    .update(JSON.stringify([query.productCode, filter]))
    .digest('base64url')
    .slice(0, 22);
}

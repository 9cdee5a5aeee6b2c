import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Agreement } from './agreements.js';
import { validation } from './service-error.js';

/** SearchAgreements filters the simulator evaluates; any other name is a ValidationException. */
export const SEARCH_FILTER_NAMES = [
  'PartyType',
  'AgreementType',
  'AcceptorAccountId',
  'ResourceIdentifier',
  'ResourceType',
  'OfferId',
  'Status',
  'InitialAgreementId',
  'LicenseArn',
  'EndTimeBehaviorType',
  'EndTimeBehaviorReasonCode',
  'AfterLastUpdateTime',
  'BeforeLastUpdateTime',
  'AfterEndTime',
  'BeforeEndTime',
  'AfterStartTime',
  'BeforeStartTime',
] as const;
export type SearchFilterName = (typeof SEARCH_FILTER_NAMES)[number];
export const TIME_FILTERS: readonly SearchFilterName[] = [
  'AfterLastUpdateTime',
  'BeforeLastUpdateTime',
  'AfterEndTime',
  'BeforeEndTime',
  'AfterStartTime',
  'BeforeStartTime',
];
export const SORT_FIELDS = ['EndTime', 'StartTime', 'LastUpdateTime'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export const MAX_AGREEMENT_RESULTS = 50;
export const MAX_SEARCH_FILTERS = 10;

/** A validated SearchAgreements request: one value per filter, time filters already parsed. */
export interface SearchQuery {
  filters: Partial<Record<SearchFilterName, string>>;
  sortBy: SortField;
  sortOrder: 'ASCENDING' | 'DESCENDING';
  maxResults: number;
  nextToken?: string;
}

export interface PageQuery {
  agreementId: string;
  maxResults: number;
  nextToken?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

const sortValue = (a: Agreement, field: SortField): number =>
  (field === 'EndTime' ? a.endTime : field === 'StartTime' ? a.startTime : a.lastUpdateTime).getTime();

/**
 * Exclusive time bounds: AfterX=t keeps agreements whose X is later than t, BeforeX=t those whose
 * X is earlier. (The model's wording is ambiguous; this is the reading a watermark needs.)
 */
function matches(agreement: Agreement, filters: SearchQuery['filters']): boolean {
  const f = filters;
  const at = (value: string | undefined) => (value === undefined ? undefined : Date.parse(value));
  const checks: [string | undefined, () => boolean][] = [
    [f.AcceptorAccountId, () => agreement.acceptorAccountId === f.AcceptorAccountId],
    [f.ResourceIdentifier, () => agreement.productId === f.ResourceIdentifier],
    [f.ResourceType, () => f.ResourceType === 'SaaSProduct'],
    [f.OfferId, () => agreement.offerId === f.OfferId],
    [f.Status, () => agreement.status === f.Status],
    [f.InitialAgreementId, () => agreement.initialAgreementId === f.InitialAgreementId],
    [f.LicenseArn, () => agreement.licenseArns.includes(f.LicenseArn ?? '')],
    [f.EndTimeBehaviorType, () => agreement.endTimeBehavior.type === f.EndTimeBehaviorType],
    [f.EndTimeBehaviorReasonCode, () => agreement.endTimeBehavior.reasonCode === f.EndTimeBehaviorReasonCode],
    [f.AfterLastUpdateTime, () => agreement.lastUpdateTime.getTime() > (at(f.AfterLastUpdateTime) ?? 0)],
    [f.BeforeLastUpdateTime, () => agreement.lastUpdateTime.getTime() < (at(f.BeforeLastUpdateTime) ?? 0)],
    [f.AfterEndTime, () => agreement.endTime.getTime() > (at(f.AfterEndTime) ?? 0)],
    [f.BeforeEndTime, () => agreement.endTime.getTime() < (at(f.BeforeEndTime) ?? 0)],
    [f.AfterStartTime, () => agreement.startTime.getTime() > (at(f.AfterStartTime) ?? 0)],
    [f.BeforeStartTime, () => agreement.startTime.getTime() < (at(f.BeforeStartTime) ?? 0)],
  ];
  return checks.every(([value, check]) => value === undefined || check());
}

type SearchKey = readonly [number, string];

/**
 * Search and paging for the Agreement API. Search pages are keyset-based (sort value, then
 * agreement id), so a page never repeats or skips an agreement that did not change. Every
 * NextToken is HMAC-signed with a per-instance key and bound to its query (filters and sort,
 * or the agreement id): a forged, altered or foreign token is a ValidationException.
 */
export class AgreementPager {
  readonly #key = randomBytes(32);

  /** Manufacturer-only agreements are never listed: the seller is not a party to them. */
  search(agreements: Iterable<Agreement>, query: SearchQuery): Page<Agreement> {
    const fingerprint = fingerprintOf(['search', query.filters, query.sortBy, query.sortOrder]);
    const after =
      query.nextToken === undefined ? undefined : this.#decodeSearchToken(query.nextToken, fingerprint);
    const direction = query.sortOrder === 'ASCENDING' ? 1 : -1;
    const keyOf = (a: Agreement): SearchKey => [sortValue(a, query.sortBy), a.agreementId];
    const compare = (x: SearchKey, y: SearchKey): number =>
      x[0] !== y[0] ? (x[0] - y[0]) * direction : x[1] === y[1] ? 0 : x[1] < y[1] ? -1 : 1;
    const rows = [...agreements]
      .filter((a) => !a.manufacturerOnly && matches(a, query.filters))
      .filter((a) => after === undefined || compare(keyOf(a), after) > 0)
      .sort((x, y) => compare(keyOf(x), keyOf(y)));
    const items = rows.slice(0, query.maxResults);
    const last = items.at(-1);
    if (rows.length > items.length && last !== undefined) {
      return { items, nextToken: this.#encode(fingerprint, keyOf(last)) };
    }
    return { items };
  }

  /** Offset pages over a fixed list (an agreement's terms or entitlements), bound to `kind` and the agreement. */
  pageList<T>(kind: string, items: readonly T[], query: PageQuery): Page<T> {
    const fingerprint = fingerprintOf([kind, query.agreementId]);
    let offset = 0;
    if (query.nextToken !== undefined) {
      const decoded = this.#decode(query.nextToken, fingerprint);
      if (typeof decoded !== 'number' || !Number.isSafeInteger(decoded) || decoded < 0) throw badToken();
      offset = decoded;
    }
    const page = items.slice(offset, offset + query.maxResults);
    const next = offset + page.length;
    return next < items.length
      ? { items: page, nextToken: this.#encode(fingerprint, next) }
      : { items: page };
  }

  #decodeSearchToken(token: string, fingerprint: string): SearchKey {
    const decoded = this.#decode(token, fingerprint);
    if (!Array.isArray(decoded) || decoded.length !== 2) throw badToken();
    const [value, id] = decoded as unknown[];
    if (typeof value !== 'number' || typeof id !== 'string') throw badToken();
    return [value, id];
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }

  #encode(fingerprint: string, after: unknown): string {
    const payload = Buffer.from(JSON.stringify({ q: fingerprint, a: after })).toString('base64url');
    return `${payload}.${this.#sign(payload)}`;
  }

  #decode(token: string, fingerprint: string): unknown {
    const [payload, signature, extra] = token.split('.');
    if (payload === undefined || signature === undefined || extra !== undefined) throw badToken();
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw badToken();
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof decoded !== 'object' || decoded === null) throw badToken();
    const { q, a } = decoded as { q?: unknown; a?: unknown };
    if (q !== fingerprint) {
      throw validation('The nextToken does not belong to this request.', 'INVALID_NEXT_TOKEN', 'nextToken');
    }
    return a;
  }
}

const badToken = () => validation('The nextToken is invalid.', 'INVALID_NEXT_TOKEN', 'nextToken');

function fingerprintOf(parts: unknown[]): string {
  const canonical = parts.map((part) =>
    typeof part === 'object' && part !== null && !Array.isArray(part)
      ? Object.entries(part).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      : part,
  );
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url').slice(0, 22);
}

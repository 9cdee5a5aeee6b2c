import {
  MAX_AGREEMENT_RESULTS,
  MAX_SEARCH_FILTERS,
  type PageQuery,
  SEARCH_FILTER_NAMES,
  type SearchFilterName,
  type SearchQuery,
  SORT_FIELDS,
  type SortField,
  TIME_FILTERS,
} from './agreement-query.js';
import type { Agreement, AgreementTerms } from './agreements.js';
import { validation } from './service-error.js';

/**
 * awsJson1_0 input decoding (with the ValidationExceptions the Agreement API declares) and
 * output encoding for DescribeAgreement, GetAgreementTerms, SearchAgreements and
 * GetAgreementEntitlements. Member names are the model's (lower camel case); timestamps go out
 * as epoch seconds.
 */

/** What GetAgreementEntitlements reports per license of an agreement. */
export interface AgreementEntitlementRow {
  licenseArn: string;
  productId: string;
  status: 'PROVISIONED' | 'DEPROVISIONED';
  statusReasonCode: 'AGREEMENT_ACTIVE' | 'AGREEMENT_INACTIVE';
  registrationToken?: string;
}

const AGREEMENT_ID = /^[A-Za-z0-9_/-]{1,64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function decodeAgreementId(input: Record<string, unknown>): string {
  const { agreementId } = input;
  if (agreementId === undefined || agreementId === null || agreementId === '') {
    throw validation('agreementId is required.', 'MISSING_AGREEMENT_ID', 'agreementId');
  }
  if (typeof agreementId !== 'string' || !AGREEMENT_ID.test(agreementId)) {
    throw validation('agreementId is not a valid agreement id.', 'INVALID_AGREEMENT_ID', 'agreementId');
  }
  return agreementId;
}

function decodeMaxResults(value: unknown): number {
  if (value === undefined || value === null) return MAX_AGREEMENT_RESULTS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_AGREEMENT_RESULTS) {
    throw validation(
      `maxResults must be an integer from 1 to ${MAX_AGREEMENT_RESULTS}.`,
      'INVALID_MAX_RESULTS',
      'maxResults',
    );
  }
  return value;
}

function decodeNextToken(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) {
    throw validation('The nextToken is invalid.', 'INVALID_NEXT_TOKEN', 'nextToken');
  }
  return value;
}

/** GetAgreementTerms and GetAgreementEntitlements: `{agreementId, maxResults?, nextToken?}`. */
export function decodePageInput(input: Record<string, unknown>): PageQuery {
  const query: PageQuery = {
    agreementId: decodeAgreementId(input),
    maxResults: decodeMaxResults(input.maxResults),
  };
  const nextToken = decodeNextToken(input.nextToken);
  if (nextToken !== undefined) query.nextToken = nextToken;
  return query;
}

/**
 * SearchAgreements as a seller may call it: AgreementType=PurchaseAgreement and
 * PartyType=Proposer are required (the simulator's caller is always the proposer); each filter
 * has exactly one value; time filters take ISO 8601 strings.
 */
export function decodeSearchInput(input: Record<string, unknown>): SearchQuery {
  const { catalog, filters: rawFilters, sort } = input;
  if (catalog !== undefined && catalog !== null && catalog !== 'AWSMarketplace') {
    throw validation('catalog must be AWSMarketplace.', 'INVALID_CATALOG', 'catalog');
  }
  const filters: SearchQuery['filters'] = {};
  if (rawFilters !== undefined && rawFilters !== null) {
    if (!Array.isArray(rawFilters)) throw validation('filters must be a list.', 'INVALID_FILTERS', 'filters');
    if (rawFilters.length > MAX_SEARCH_FILTERS) {
      throw validation(`At most ${MAX_SEARCH_FILTERS} filters are allowed.`, 'INVALID_FILTERS', 'filters');
    }
    for (const raw of rawFilters as unknown[]) {
      const { name, values } = (typeof raw === 'object' && raw !== null ? raw : {}) as {
        name?: unknown;
        values?: unknown;
      };
      if (typeof name !== 'string' || name.length === 0) {
        throw validation('Each filter needs a name.', 'MISSING_FILTER_NAME', 'filters');
      }
      if (!(SEARCH_FILTER_NAMES as readonly string[]).includes(name)) {
        throw validation(`Unknown filter name ${name}.`, 'INVALID_FILTER_NAME', 'filters');
      }
      if (!Array.isArray(values) || values.length === 0) {
        throw validation(`Filter ${name} needs a value.`, 'MISSING_FILTER_VALUES', 'filters');
      }
      const [value] = values as unknown[];
      if (values.length !== 1 || typeof value !== 'string' || value.length === 0) {
        throw validation(
          `Filter ${name} takes exactly one non-empty value.`,
          'INVALID_FILTER_VALUES',
          'filters',
        );
      }
      const filterName = name as SearchFilterName;
      if (filters[filterName] !== undefined) {
        throw validation(`Filter ${name} is given twice.`, 'INVALID_FILTERS', 'filters');
      }
      if (TIME_FILTERS.includes(filterName) && (!ISO_TIME.test(value) || Number.isNaN(Date.parse(value)))) {
        throw validation(
          `Filter ${name} takes an ISO 8601 date-time, got ${value}.`,
          'INVALID_FILTER_VALUES',
          'filters',
        );
      }
      filters[filterName] = value;
    }
  }
  if (filters.AgreementType !== 'PurchaseAgreement') {
    throw validation(
      'The AgreementType filter with the value PurchaseAgreement is required.',
      'INVALID_AGREEMENT_TYPE',
      'filters',
    );
  }
  if (filters.PartyType === undefined) {
    throw validation('The PartyType filter is required.', 'MISSING_PARTY_TYPE', 'filters');
  }
  if (filters.PartyType !== 'Proposer') {
    throw validation(
      'The simulator serves the seller: PartyType must be Proposer.',
      'INVALID_PARTY_TYPE',
      'filters',
    );
  }
  let sortBy: SortField = 'EndTime';
  let sortOrder: SearchQuery['sortOrder'] = 'ASCENDING';
  if (sort !== undefined && sort !== null) {
    if (typeof sort !== 'object' || Array.isArray(sort))
      throw validation('sort must be an object.', 'INVALID_SORT_BY', 'sort');
    const { sortBy: by, sortOrder: order } = sort as { sortBy?: unknown; sortOrder?: unknown };
    if (by !== undefined && by !== null) {
      if (typeof by !== 'string' || !(SORT_FIELDS as readonly string[]).includes(by)) {
        throw validation(
          `sortBy must be one of ${SORT_FIELDS.join(', ')}.`,
          'INVALID_SORT_BY',
          'sort.sortBy',
        );
      }
      sortBy = by as SortField;
    }
    if (order !== undefined && order !== null) {
      if (order !== 'ASCENDING' && order !== 'DESCENDING') {
        throw validation(
          'sortOrder must be ASCENDING or DESCENDING.',
          'INVALID_SORT_ORDER',
          'sort.sortOrder',
        );
      }
      sortOrder = order;
    }
  }
  const query: SearchQuery = { filters, sortBy, sortOrder, maxResults: decodeMaxResults(input.maxResults) };
  const nextToken = decodeNextToken(input.nextToken);
  if (nextToken !== undefined) query.nextToken = nextToken;
  return query;
}

const epochSeconds = (date: Date): number => date.getTime() / 1000;

const proposalSummary = (a: Agreement) => ({
  offerId: a.offerId,
  resources: [{ id: a.productId, type: 'SaaSProduct' }],
});

export function encodeDescribeAgreementOutput(a: Agreement): Record<string, unknown> {
  return {
    agreementId: a.agreementId,
    acceptor: { accountId: a.acceptorAccountId },
    proposer: { accountId: a.proposerAccountId },
    startTime: epochSeconds(a.startTime),
    endTime: epochSeconds(a.endTime),
    acceptanceTime: epochSeconds(a.acceptanceTime),
    agreementType: 'PurchaseAgreement',
    estimatedCharges: { ...a.estimatedCharges },
    proposalSummary: proposalSummary(a),
    status: a.status,
    initialAgreementId: a.initialAgreementId,
    endTimeBehavior: a.endTimeBehavior,
  };
}

/** The accepted terms, one union member each, in a fixed order. */
export function acceptedTerms(terms: AgreementTerms): Record<string, unknown>[] {
  return [
    { legalTerm: terms.legalTerm },
    { configurableUpfrontPricingTerm: terms.configurableUpfrontPricingTerm },
    ...(terms.freeTrialPricingTerm === undefined
      ? []
      : [{ freeTrialPricingTerm: terms.freeTrialPricingTerm }]),
    ...(terms.renewalTerm === undefined ? [] : [{ renewalTerm: terms.renewalTerm }]),
  ];
}

export function encodeAgreementTermsOutput(page: {
  items: Record<string, unknown>[];
  nextToken?: string;
}): Record<string, unknown> {
  return {
    acceptedTerms: page.items,
    ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
  };
}

export function encodeSearchAgreementsOutput(page: {
  items: Agreement[];
  nextToken?: string;
}): Record<string, unknown> {
  return {
    agreementViewSummaries: page.items.map((a) => ({
      agreementId: a.agreementId,
      acceptanceTime: epochSeconds(a.acceptanceTime),
      startTime: epochSeconds(a.startTime),
      endTime: epochSeconds(a.endTime),
      lastUpdateTime: epochSeconds(a.lastUpdateTime),
      agreementType: 'PurchaseAgreement',
      acceptor: { accountId: a.acceptorAccountId },
      proposer: { accountId: a.proposerAccountId },
      proposalSummary: proposalSummary(a),
      status: a.status,
      entitlements: a.licenseArns.map((licenseArn) => ({ licenseArn })),
      initialAgreementId: a.initialAgreementId,
      endTimeBehaviorType: a.endTimeBehavior.type,
      ...(a.endTimeBehavior.reasonCode === undefined
        ? {}
        : { endTimeBehaviorReasonCode: a.endTimeBehavior.reasonCode }),
    })),
    ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
  };
}

export function encodeAgreementEntitlementsOutput(page: {
  items: AgreementEntitlementRow[];
  nextToken?: string;
}): Record<string, unknown> {
  return {
    agreementEntitlements: page.items.map((row) => ({
      resource: { id: row.productId, type: 'SaaSProduct' },
      status: row.status,
      statusReasonCode: row.statusReasonCode,
      licenseArn: row.licenseArn,
      ...(row.registrationToken === undefined ? {} : { registrationToken: row.registrationToken }),
    })),
    ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
  };
}

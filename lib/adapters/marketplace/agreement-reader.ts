import {
  type AcceptedTerm,
  type AgreementViewSummary,
  DescribeAgreementCommand,
  type DescribeAgreementOutput,
  GetAgreementTermsCommand,
  type MarketplaceAgreementClient,
  SearchAgreementsCommand,
} from '@aws-sdk/client-marketplace-agreement';
import type {
  AgreementReader,
  AgreementSearch,
  AgreementSummary,
  AgreementTerms,
  RenewalTerms,
} from '../../domain/contract/agreement.js';
import { type AttemptOptions, DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.js';

export interface AgreementReaderOptions {
  /** From `createAgreementClient` (us-east-1, maxAttempts 1: retries happen here). */
  readonly client: MarketplaceAgreementClient;
  readonly retry?: RetryPolicy;
}

/** GetAgreementTerms pages; an agreement has a handful of terms, so more than this is a broken answer. */
const MAX_TERM_PAGES = 20;

/**
 * The Agreement API as the seller calls it: DescribeAgreement with every page of
 * GetAgreementTerms, and SearchAgreements as proposer for purchase agreements. A refusal
 * (AccessDeniedException: the seller is only the manufacturer of a channel partner's offer) or
 * an unknown agreement is an answer, not an error: it is recorded on the contract and not retried
 * on every notification. Throttling and 5xx are retried within the time budget.
 */
export function createAgreementReader({
  client,
  retry = DEFAULT_RETRY,
}: AgreementReaderOptions): AgreementReader {
  const send = <T>(name: string, fn: (attempt: AttemptOptions) => Promise<T>) => withRetry(name, fn, retry);
  return {
    async read(agreementId) {
      try {
        const described = await send('DescribeAgreement', (attempt) =>
          client.send(new DescribeAgreementCommand({ agreementId }), attempt),
        );
        const terms: AcceptedTerm[] = [];
        let nextToken: string | undefined;
        for (let page = 0; page < MAX_TERM_PAGES; page++) {
          const out = await send('GetAgreementTerms', (attempt) =>
            client.send(new GetAgreementTermsCommand({ agreementId, maxResults: 50, nextToken }), attempt),
          );
          terms.push(...(out.acceptedTerms ?? []));
          nextToken = out.nextToken;
          if (!nextToken) break;
        }
        return { kind: 'found', terms: toTerms(agreementId, described, terms) };
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name === 'AccessDeniedException' || name === 'ResourceNotFoundException') {
          return {
            kind: 'unavailable',
            unavailable: {
              agreementId,
              reason: name === 'AccessDeniedException' ? 'access-denied' : 'not-found',
              message: String((error as Error).message ?? name).slice(0, 300),
            },
          };
        }
        throw error;
      }
    },

    async search(query) {
      const out = await send('SearchAgreements', (attempt) =>
        client.send(
          new SearchAgreementsCommand({
            catalog: 'AWSMarketplace',
            filters: filtersOf(query),
            sort: { sortBy: 'LastUpdateTime', sortOrder: 'ASCENDING' },
            maxResults: 50,
            ...(query.nextToken ? { nextToken: query.nextToken } : {}),
          }),
          attempt,
        ),
      );
      return {
        summaries: (out.agreementViewSummaries ?? []).flatMap((s) => {
          const summary = toSummary(s);
          return summary ? [summary] : [];
        }),
        ...(out.nextToken ? { nextToken: out.nextToken } : {}),
      };
    },
  };
}

function filtersOf(query: AgreementSearch): { name: string; values: string[] }[] {
  const filters = [
    { name: 'PartyType', values: ['Proposer'] },
    { name: 'AgreementType', values: ['PurchaseAgreement'] },
  ];
  if (query.afterLastUpdateTime)
    filters.push({ name: 'AfterLastUpdateTime', values: [query.afterLastUpdateTime] });
  if (query.initialAgreementId)
    filters.push({ name: 'InitialAgreementId', values: [query.initialAgreementId] });
  if (query.licenseArn) filters.push({ name: 'LicenseArn', values: [query.licenseArn] });
  if (query.acceptorAccountId) filters.push({ name: 'AcceptorAccountId', values: [query.acceptorAccountId] });
  return filters;
}

const iso = (date: Date | undefined): string | undefined =>
  date instanceof Date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;

function toSummary(s: AgreementViewSummary): AgreementSummary | undefined {
  if (!s.agreementId) return undefined;
  return dropUndefined({
    agreementId: s.agreementId,
    initialAgreementId: s.initialAgreementId,
    status: s.status ?? 'UNKNOWN',
    acceptorAccountId: s.acceptor?.accountId,
    productIds: (s.proposalSummary?.resources ?? []).flatMap((r) => (r.id ? [r.id] : [])),
    offerId: s.proposalSummary?.offerId,
    startTime: iso(s.startTime),
    endTime: iso(s.endTime),
    lastUpdateTime: iso(s.lastUpdateTime),
    licenseArns: (s.entitlements ?? []).flatMap((e) => (e.licenseArn ? [e.licenseArn] : [])),
  });
}

/** The described agreement and its accepted terms, as the domain keeps them. */
export function toTerms(
  agreementId: string,
  described: DescribeAgreementOutput,
  accepted: readonly AcceptedTerm[],
): AgreementTerms {
  const units: Record<string, number> = {};
  let duration: string | undefined;
  let renewal: RenewalTerms | undefined;
  let freeTrial: AgreementTerms['freeTrial'];
  for (const term of accepted) {
    if (term.configurableUpfrontPricingTerm) {
      const configuration = term.configurableUpfrontPricingTerm.configuration;
      duration = configuration?.selectorValue ?? duration;
      for (const d of configuration?.dimensions ?? []) {
        if (d.dimensionKey && typeof d.dimensionValue === 'number') units[d.dimensionKey] = d.dimensionValue;
      }
    } else if (term.fixedUpfrontPricingTerm) {
      duration = term.fixedUpfrontPricingTerm.duration ?? duration;
      for (const g of term.fixedUpfrontPricingTerm.grants ?? []) {
        if (g.dimensionKey && typeof g.maxQuantity === 'number') units[g.dimensionKey] = g.maxQuantity;
      }
    } else if (term.freeTrialPricingTerm) {
      const grants: Record<string, number> = {};
      for (const g of term.freeTrialPricingTerm.grants ?? []) {
        if (g.dimensionKey && typeof g.maxQuantity === 'number') grants[g.dimensionKey] = g.maxQuantity;
      }
      freeTrial = dropUndefined({ duration: term.freeTrialPricingTerm.duration, grants });
    } else if (term.renewalTerm) {
      const r = term.renewalTerm;
      renewal = dropUndefined({
        autoRenew: r.configuration?.enableAutoRenew,
        lockoutPeriod: r.lockoutPeriod,
        maxRenewals: r.maxRenewals,
        adjustmentDeadline: r.adjustmentDeadline,
        priceIncrease: priceIncreaseOf(r.priceIncrease),
      });
    }
  }
  const charges = described.estimatedCharges;
  const behavior = described.endTimeBehavior;
  return dropUndefined({
    agreementId: described.agreementId ?? agreementId,
    initialAgreementId: described.initialAgreementId,
    status: described.status ?? 'UNKNOWN',
    acceptorAccountId: described.acceptor?.accountId,
    offerId: described.proposalSummary?.offerId,
    startTime: iso(described.startTime),
    endTime: iso(described.endTime),
    acceptanceTime: iso(described.acceptanceTime),
    contractValue:
      charges?.agreementValue && charges.currencyCode
        ? { amount: charges.agreementValue, currency: charges.currencyCode }
        : undefined,
    endBehavior: behavior?.type
      ? dropUndefined({
          type: behavior.type,
          reasonCode: behavior.reasonCode,
          renewalOfferId: behavior.renewalSummary?.offerId,
        })
      : undefined,
    renewal,
    freeTrial,
    duration,
    units,
  });
}

function priceIncreaseOf(
  increase: NonNullable<AcceptedTerm['renewalTerm']>['priceIncrease'],
): string | undefined {
  if (increase?.fixedPercentage?.value) return `${increase.fixedPercentage.value}%`;
  const range = increase?.percentageRange;
  if (range?.minValue && range.maxValue) return `${range.minValue}%–${range.maxValue}%`;
  return undefined;
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

import {
  AccessDeniedException,
  type AgreementViewSummary,
  DescribeAgreementCommand,
  GetAgreementEntitlementsCommand,
  GetAgreementTermsCommand,
  InternalServerException,
  MarketplaceAgreementClient,
  ResourceNotFoundException,
  SearchAgreementsCommand,
  type SearchAgreementsCommandInput,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-marketplace-agreement';
import {
  GetEntitlementsCommand,
  MarketplaceEntitlementServiceClient,
} from '@aws-sdk/client-marketplace-entitlement-service';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Agreement,
  MarketplaceSimulator,
  type RunningSimulator,
} from '../../local/marketplace-simulator/index.js';

const PRODUCT_CODE = 'prod7credits01';
const PRODUCT_ID = 'prod-credits0example';
const SELLER = '123456512334';
const PARTNER = '555566667777';
const BUYER = '845735284135';
const OTHER_BUYER = '222233334444';
const credentials = { accessKeyId: 'x', secretAccessKey: 'y' };
const T0 = Date.parse('2026-03-10T09:30:00.000Z');
const DAY_MS = 86_400_000;

interface Harness {
  simulator: MarketplaceSimulator;
  running: RunningSimulator;
  clock: { ms: number };
  client: MarketplaceAgreementClient;
}

let h: Harness;

beforeEach(async () => {
  const clock = { ms: T0 };
  const simulator = new MarketplaceSimulator({ now: () => new Date(clock.ms), random: () => 0.99 });
  const running = await simulator.start();
  const client = new MarketplaceAgreementClient({
    endpoint: running.endpoint,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });
  h = { simulator, running, clock, client };
});

afterEach(async () => {
  h.client.destroy();
  await h.running.close();
});

/** A license and its agreement, as the console makes them. */
function buy(
  options: {
    account?: string;
    units?: number;
    months?: number;
    autoRenew?: boolean;
    freeTrial?: boolean;
    partner?: boolean;
  } = {},
): { licenseArn: string; agreement: Agreement } {
  const account = options.account ?? BUYER;
  const license = h.simulator.purchase({
    productCode: PRODUCT_CODE,
    customerAWSAccountId: account,
    quantities: { Credits: options.units ?? 100 },
    months: options.months ?? 12,
  });
  const agreement = h.simulator.createAgreement({
    acceptorAccountId: account,
    proposerAccountId: options.partner ? PARTNER : SELLER,
    productId: PRODUCT_ID,
    licenseArn: license.licenseArn,
    quantities: { Credits: options.units ?? 100 },
    months: options.months ?? 12,
    autoRenew: options.autoRenew ?? false,
    freeTrial: options.freeTrial ?? false,
    manufacturerOnly: options.partner ?? false,
  });
  return { licenseArn: license.licenseArn, agreement };
}

const REQUIRED = [
  { name: 'AgreementType', values: ['PurchaseAgreement'] },
  { name: 'PartyType', values: ['Proposer'] },
];

async function searchAll(
  filters: { name: string; values: string[] }[],
  extra: Partial<SearchAgreementsCommandInput> = {},
): Promise<{ summaries: AgreementViewSummary[]; pages: number }> {
  const summaries: AgreementViewSummary[] = [];
  let pages = 0;
  let nextToken: string | undefined;
  do {
    const out = await h.client.send(
      new SearchAgreementsCommand({
        catalog: 'AWSMarketplace',
        filters: [...REQUIRED, ...filters],
        ...extra,
        nextToken,
      }),
    );
    summaries.push(...(out.agreementViewSummaries ?? []));
    nextToken = out.nextToken;
    pages += 1;
  } while (nextToken !== undefined);
  return { summaries, pages };
}

const ids = (summaries: AgreementViewSummary[]) => summaries.map((s) => s.agreementId);

describe('MarketplaceSimulator DescribeAgreement', () => {
  it('returns the parties, times, value, proposal and end behaviour when the agreement exists', async () => {
    const { agreement } = buy({ units: 100, months: 12 });

    const out = await h.client.send(new DescribeAgreementCommand({ agreementId: agreement.agreementId }));

    expect(agreement.agreementId).toMatch(/^agmt-[a-z0-9]{26}$/);
    expect(out).toMatchObject({
      agreementId: agreement.agreementId,
      acceptor: { accountId: BUYER },
      proposer: { accountId: SELLER },
      startTime: new Date(T0),
      endTime: new Date('2027-03-10T09:30:00.000Z'),
      acceptanceTime: new Date(T0),
      agreementType: 'PurchaseAgreement',
      estimatedCharges: { currencyCode: 'USD', agreementValue: '1200.00' },
      proposalSummary: { offerId: agreement.offerId, resources: [{ id: PRODUCT_ID, type: 'SaaSProduct' }] },
      status: 'ACTIVE',
      initialAgreementId: agreement.agreementId,
      endTimeBehavior: {
        type: 'EXPIRE',
        reasonCode: 'ACCEPTOR_RENEW_OPTED_OUT',
        renewalSummary: { offerId: agreement.offerId },
      },
    });
  });

  it('reads EXPIRED when the clock passes the end time', async () => {
    const { agreement } = buy({ months: 1 });
    h.clock.ms = Date.parse('2026-04-10T09:30:00.000Z');

    const out = await h.client.send(new DescribeAgreementCommand({ agreementId: agreement.agreementId }));

    expect(out.status).toBe('EXPIRED');
  });

  it('keeps the chain and moves the old agreement to RENEWED or REPLACED when successors are created', async () => {
    const { licenseArn, agreement: first } = buy({ autoRenew: true });
    h.clock.ms += DAY_MS;
    const renewed = h.simulator.createAgreement({
      acceptorAccountId: BUYER,
      proposerAccountId: SELLER,
      productId: PRODUCT_ID,
      licenseArn,
      quantities: { Credits: 100 },
      months: 12,
      previousAgreementId: first.agreementId,
      intent: 'RENEW',
    });
    const replaced = h.simulator.createAgreement({
      acceptorAccountId: BUYER,
      proposerAccountId: SELLER,
      productId: PRODUCT_ID,
      licenseArn,
      quantities: { Credits: 200 },
      months: 24,
      previousAgreementId: renewed.agreementId,
      intent: 'REPLACE',
    });

    const describe = (agreementId: string) => h.client.send(new DescribeAgreementCommand({ agreementId }));

    expect((await describe(first.agreementId)).status).toBe('RENEWED');
    expect((await describe(renewed.agreementId)).status).toBe('REPLACED');
    expect(await describe(replaced.agreementId)).toMatchObject({
      status: 'ACTIVE',
      initialAgreementId: first.agreementId,
      estimatedCharges: { agreementValue: '4800.00' },
    });
    expect(renewed.offerId).toBe(first.offerId);
    expect(replaced.offerId).not.toBe(first.offerId);
    expect(replaced.previousAgreementId).toBe(renewed.agreementId);
  });

  it('raises the value prorated and moves lastUpdateTime when units are added mid-term', () => {
    const { agreement } = buy({ units: 100, months: 12 });
    h.clock.ms = Date.parse('2026-09-09T09:30:00.000Z'); // 183 of 365 days in

    const amended = h.simulator.amendAgreement(agreement.agreementId, { addQuantities: { Credits: 50 } });
    const again = h.simulator.amendAgreement(agreement.agreementId, { autoRenew: true });

    expect(amended.terms.configurableUpfrontPricingTerm.configuration.dimensions).toEqual([
      { dimensionKey: 'Credits', dimensionValue: 150 },
    ]);
    expect(amended.estimatedCharges.agreementValue).toBe('1499.18');
    expect(amended.lastUpdateTime.getTime()).toBeGreaterThan(agreement.lastUpdateTime.getTime());
    expect(again.lastUpdateTime.getTime()).toBe(amended.lastUpdateTime.getTime() + 1);
    expect(again.endTimeBehavior).toEqual({ type: 'RENEW', renewalSummary: { offerId: agreement.offerId } });
  });
});

describe('MarketplaceSimulator GetAgreementTerms', () => {
  it('returns the accepted terms one page at a time when maxResults is 1', async () => {
    const { agreement } = buy({ units: 100, months: 12, autoRenew: true });
    const terms: Record<string, unknown>[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const out = await h.client.send(
        new GetAgreementTermsCommand({ agreementId: agreement.agreementId, maxResults: 1, nextToken }),
      );
      terms.push(...((out.acceptedTerms ?? []) as unknown as Record<string, unknown>[]));
      nextToken = out.nextToken;
      pages += 1;
    } while (nextToken !== undefined);

    expect(pages).toBe(3);
    expect(terms.map((t) => Object.keys(t)[0])).toEqual([
      'legalTerm',
      'configurableUpfrontPricingTerm',
      'renewalTerm',
    ]);
    expect(terms[1]).toMatchObject({
      configurableUpfrontPricingTerm: {
        type: 'ConfigurableUpfrontPricingTerm',
        currencyCode: 'USD',
        configuration: {
          selectorValue: 'P12M',
          dimensions: [{ dimensionKey: 'Credits', dimensionValue: 100 }],
        },
        rateCards: [
          {
            selector: { type: 'Duration', value: 'P12M' },
            rateCard: [{ dimensionKey: 'Credits', price: '12.00' }],
          },
        ],
      },
    });
    expect(terms[2]).toMatchObject({
      renewalTerm: { type: 'RenewalTerm', configuration: { enableAutoRenew: true }, lockoutPeriod: 'P30D' },
    });
    expect(terms[0]).toMatchObject({ legalTerm: { documents: [{ type: 'StandardEula' }] } });
  });

  it('includes a freeTrialPricingTerm and no renewal term when the agreement is a free trial', async () => {
    const { agreement } = buy({ units: 20, freeTrial: true });

    const out = await h.client.send(new GetAgreementTermsCommand({ agreementId: agreement.agreementId }));

    expect(out.nextToken).toBeUndefined();
    expect(out.acceptedTerms?.map((t) => Object.keys(t)[0])).toEqual([
      'legalTerm',
      'configurableUpfrontPricingTerm',
      'freeTrialPricingTerm',
    ]);
    expect(out.acceptedTerms?.[2]).toEqual({
      freeTrialPricingTerm: expect.objectContaining({
        type: 'FreeTrialPricingTerm',
        duration: 'P30D',
        grants: [{ dimensionKey: 'Credits', maxQuantity: 20 }],
      }),
    });
    expect(agreement.endTime).toEqual(new Date(T0 + 30 * DAY_MS));
    expect(agreement.estimatedCharges.agreementValue).toBe('0.00');
    expect(agreement.endTimeBehavior).toEqual({ type: 'EXPIRE', reasonCode: 'NO_RENEWAL_TERM' });
  });
});

describe('MarketplaceSimulator SearchAgreements', () => {
  it('returns summaries with entitlements, chain and end behaviour when searching by acceptor', async () => {
    const { licenseArn, agreement } = buy({ autoRenew: true });
    buy({ account: OTHER_BUYER });

    const { summaries } = await searchAll([{ name: 'AcceptorAccountId', values: [BUYER] }]);

    expect(summaries).toEqual([
      {
        agreementId: agreement.agreementId,
        acceptanceTime: new Date(T0),
        startTime: new Date(T0),
        endTime: new Date('2027-03-10T09:30:00.000Z'),
        lastUpdateTime: agreement.lastUpdateTime,
        agreementType: 'PurchaseAgreement',
        acceptor: { accountId: BUYER },
        proposer: { accountId: SELLER },
        proposalSummary: { offerId: agreement.offerId, resources: [{ id: PRODUCT_ID, type: 'SaaSProduct' }] },
        status: 'ACTIVE',
        entitlements: [{ licenseArn }],
        initialAgreementId: agreement.agreementId,
        endTimeBehaviorType: 'RENEW',
      },
    ]);
  });

  it('applies each filter when it is given alone', async () => {
    const a = buy({ months: 1 });
    h.clock.ms += DAY_MS;
    const b = buy({ account: OTHER_BUYER, months: 24, autoRenew: true });
    h.clock.ms += DAY_MS;
    const c = h.simulator.createAgreement({
      acceptorAccountId: BUYER,
      proposerAccountId: SELLER,
      productId: PRODUCT_ID,
      licenseArn: a.licenseArn,
      quantities: { Credits: 5 },
      months: 6,
      previousAgreementId: a.agreement.agreementId,
      intent: 'REPLACE',
    });
    const other = h.simulator.createAgreement({
      acceptorAccountId: BUYER,
      proposerAccountId: SELLER,
      productId: 'prod-otherproduct',
      licenseArn: b.licenseArn,
      quantities: { Credits: 1 },
      months: 3,
    });
    const partner = buy({ partner: true });
    const cancelled = buy({ account: OTHER_BUYER });
    h.clock.ms += DAY_MS;
    h.simulator.endAgreement(cancelled.agreement.agreementId, 'CANCELLED');
    const at = (ms: number) => new Date(ms).toISOString();

    const cases: [string, string, (string | undefined)[]][] = [
      ['AcceptorAccountId', OTHER_BUYER, [cancelled.agreement.agreementId, b.agreement.agreementId]],
      ['ResourceIdentifier', 'prod-otherproduct', [other.agreementId]],
      [
        'ResourceType',
        'SaaSProduct',
        [
          a.agreement.agreementId,
          cancelled.agreement.agreementId,
          other.agreementId,
          c.agreementId,
          b.agreement.agreementId,
        ],
      ],
      ['ResourceType', 'AmiProduct', []],
      ['OfferId', b.agreement.offerId, [b.agreement.agreementId]],
      ['Status', 'REPLACED', [a.agreement.agreementId]],
      ['Status', 'CANCELLED', [cancelled.agreement.agreementId]],
      ['InitialAgreementId', a.agreement.agreementId, [a.agreement.agreementId, c.agreementId]],
      ['LicenseArn', b.licenseArn, [other.agreementId, b.agreement.agreementId]],
      ['EndTimeBehaviorType', 'RENEW', [b.agreement.agreementId]],
      [
        'EndTimeBehaviorReasonCode',
        'ACCEPTOR_RENEW_OPTED_OUT',
        [a.agreement.agreementId, cancelled.agreement.agreementId, other.agreementId, c.agreementId],
      ],
      ['AfterLastUpdateTime', at(T0 + 2.5 * DAY_MS), [cancelled.agreement.agreementId]],
      // a was replaced (updated) on day 2: nothing was last updated before day 1.
      ['BeforeLastUpdateTime', at(T0 + DAY_MS), []],
      ['AfterEndTime', at(Date.parse('2026-12-31T00:00:00Z')), [b.agreement.agreementId]],
      [
        'BeforeEndTime',
        at(Date.parse('2026-04-11T00:00:00Z')),
        [a.agreement.agreementId, cancelled.agreement.agreementId],
      ],
      [
        'AfterStartTime',
        at(T0 + DAY_MS + 1),
        [c.agreementId, other.agreementId, cancelled.agreement.agreementId],
      ],
      ['BeforeStartTime', at(T0 + 1), [a.agreement.agreementId]],
    ];

    for (const [name, value, expected] of cases) {
      const { summaries } = await searchAll([{ name, values: [value] }]);
      // Order is covered by the sort test; here only membership counts.
      expect({ name, value, found: ids(summaries).sort() }).toEqual({
        name,
        value,
        found: [...expected].sort(),
      });
    }
    expect(ids((await searchAll([])).summaries)).not.toContain(partner.agreement.agreementId);
  });

  it('sorts by LastUpdateTime and pages without repeats when maxResults is small', async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push(buy({ months: 12 - i }).agreement.agreementId);
    }
    const firstId = made[0] ?? '';
    h.simulator.amendAgreement(firstId, { autoRenew: true });

    const ascending = await searchAll([], {
      sort: { sortBy: 'LastUpdateTime', sortOrder: 'ASCENDING' },
      maxResults: 3,
    });
    const descending = await searchAll([], {
      sort: { sortBy: 'LastUpdateTime', sortOrder: 'DESCENDING' },
      maxResults: 2,
    });
    const byEnd = await searchAll([], { sort: { sortBy: 'EndTime' }, maxResults: 50 });

    expect(ascending.pages).toBe(3);
    expect(ids(ascending.summaries)).toEqual([...made.slice(1), firstId]);
    expect(descending.pages).toBe(4);
    expect(ids(descending.summaries)).toEqual([firstId, ...made.slice(1).reverse()]);
    expect(ids(byEnd.summaries)).toEqual([...made].reverse());
    expect(byEnd.pages).toBe(1);
  });

  it('uses AfterLastUpdateTime as a watermark that sees every later change', async () => {
    const { agreement } = buy();
    const seen = (await searchAll([])).summaries;
    const watermark = seen.at(-1)?.lastUpdateTime?.toISOString() ?? '';

    h.simulator.amendAgreement(agreement.agreementId, { autoRenew: true });
    const changed = await searchAll([{ name: 'AfterLastUpdateTime', values: [watermark] }]);

    expect(ids(changed.summaries)).toEqual([agreement.agreementId]);
  });
});

describe('MarketplaceSimulator GetAgreementEntitlements', () => {
  it('reports PROVISIONED with a registration token while active and DEPROVISIONED once cancelled', async () => {
    const { licenseArn, agreement } = buy();

    const active = await h.client.send(
      new GetAgreementEntitlementsCommand({ agreementId: agreement.agreementId }),
    );
    h.simulator.cancel(licenseArn);
    h.simulator.endAgreement(agreement.agreementId, 'CANCELLED');
    const ended = await h.client.send(
      new GetAgreementEntitlementsCommand({ agreementId: agreement.agreementId }),
    );

    expect(active.agreementEntitlements).toEqual([
      {
        resource: { id: PRODUCT_ID, type: 'SaaSProduct' },
        status: 'PROVISIONED',
        statusReasonCode: 'AGREEMENT_ACTIVE',
        licenseArn,
        registrationToken: expect.any(String),
      },
    ]);
    const token = active.agreementEntitlements?.[0]?.registrationToken ?? '';
    expect(h.simulator.resolveCustomer(token)).toMatchObject({ licenseArn, customerAWSAccountId: BUYER });
    expect(ended.agreementEntitlements).toEqual([
      {
        resource: { id: PRODUCT_ID, type: 'SaaSProduct' },
        status: 'DEPROVISIONED',
        statusReasonCode: 'AGREEMENT_INACTIVE',
        licenseArn,
      },
    ]);
  });
});

describe('MarketplaceSimulator Agreement API errors', () => {
  const expectError = async (
    promise: Promise<unknown>,
    type: new (...args: never[]) => Error,
    status: number,
  ) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(type);
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(status);
    return error as Error & Record<string, unknown>;
  };

  it('answers ValidationException with a reason when the input is bad', async () => {
    const { agreement } = buy();
    const id = agreement.agreementId;
    const bad: [string, () => Promise<unknown>, string][] = [
      [
        'no agreementId',
        () => h.client.send(new DescribeAgreementCommand({ agreementId: '' })),
        'MISSING_AGREEMENT_ID',
      ],
      [
        'maxResults 0',
        () => h.client.send(new GetAgreementTermsCommand({ agreementId: id, maxResults: 0 })),
        'INVALID_MAX_RESULTS',
      ],
      [
        'maxResults 51',
        () => h.client.send(new GetAgreementTermsCommand({ agreementId: id, maxResults: 51 })),
        'INVALID_MAX_RESULTS',
      ],
      [
        'a forged terms token',
        () => h.client.send(new GetAgreementTermsCommand({ agreementId: id, nextToken: 'eyJxIjoxfQ.abc' })),
        'INVALID_NEXT_TOKEN',
      ],
      [
        'search maxResults 51',
        () => h.client.send(new SearchAgreementsCommand({ filters: REQUIRED, maxResults: 51 })),
        'INVALID_MAX_RESULTS',
      ],
      [
        'an unknown filter',
        () =>
          h.client.send(
            new SearchAgreementsCommand({ filters: [...REQUIRED, { name: 'Colour', values: ['red'] }] }),
          ),
        'INVALID_FILTER_NAME',
      ],
      [
        'two filter values',
        () =>
          h.client.send(
            new SearchAgreementsCommand({
              filters: [...REQUIRED, { name: 'Status', values: ['ACTIVE', 'EXPIRED'] }],
            }),
          ),
        'INVALID_FILTER_VALUES',
      ],
      [
        'no AgreementType',
        () =>
          h.client.send(
            new SearchAgreementsCommand({ filters: [{ name: 'PartyType', values: ['Proposer'] }] }),
          ),
        'INVALID_AGREEMENT_TYPE',
      ],
      [
        'no PartyType',
        () =>
          h.client.send(
            new SearchAgreementsCommand({
              filters: [{ name: 'AgreementType', values: ['PurchaseAgreement'] }],
            }),
          ),
        'MISSING_PARTY_TYPE',
      ],
      [
        'a bad time',
        () =>
          h.client.send(
            new SearchAgreementsCommand({
              filters: [...REQUIRED, { name: 'AfterEndTime', values: ['yesterday'] }],
            }),
          ),
        'INVALID_FILTER_VALUES',
      ],
      [
        'eleven filters',
        () =>
          h.client.send(
            new SearchAgreementsCommand({
              filters: [
                ...REQUIRED,
                ...Array.from({ length: 9 }, () => ({ name: 'Status', values: ['ACTIVE'] })),
              ],
            }),
          ),
        'INVALID_FILTERS',
      ],
      [
        'a forged search token',
        () => h.client.send(new SearchAgreementsCommand({ filters: REQUIRED, nextToken: 'not-a-token' })),
        'INVALID_NEXT_TOKEN',
      ],
      [
        'a bad sort',
        () => h.client.send(new SearchAgreementsCommand({ filters: REQUIRED, sort: { sortBy: 'Price' } })),
        'INVALID_SORT_BY',
      ],
    ];
    for (const [what, send, reason] of bad) {
      const error = await expectError(send(), ValidationException, 400);
      expect({ what, reason: error.reason }).toEqual({ what, reason });
    }
  });

  it('refuses a search nextToken that belongs to another query', async () => {
    for (let i = 0; i < 3; i++) buy();
    const first = await h.client.send(new SearchAgreementsCommand({ filters: REQUIRED, maxResults: 1 }));

    await expectError(
      h.client.send(
        new SearchAgreementsCommand({
          filters: [...REQUIRED, { name: 'Status', values: ['ACTIVE'] }],
          maxResults: 1,
          nextToken: first.nextToken,
        }),
      ),
      ValidationException,
      400,
    );
  });

  it('answers ResourceNotFoundException when the agreement is unknown', async () => {
    for (const command of [
      new DescribeAgreementCommand({ agreementId: 'agmt-doesnotexist' }),
      new GetAgreementTermsCommand({ agreementId: 'agmt-doesnotexist' }),
      new GetAgreementEntitlementsCommand({ agreementId: 'agmt-doesnotexist' }),
    ]) {
      const error = await expectError(
        h.client.send(command as DescribeAgreementCommand),
        ResourceNotFoundException,
        404,
      );
      expect(error).toMatchObject({ resourceId: 'agmt-doesnotexist', resourceType: 'Agreement' });
    }
  });

  it('answers AccessDeniedException when the seller is only the manufacturer', async () => {
    const { agreement } = buy({ partner: true });
    const agreementId = agreement.agreementId;

    for (const command of [
      new DescribeAgreementCommand({ agreementId }),
      new GetAgreementTermsCommand({ agreementId }),
      new GetAgreementEntitlementsCommand({ agreementId }),
    ]) {
      await expectError(h.client.send(command as DescribeAgreementCommand), AccessDeniedException, 403);
    }
    expect((await searchAll([])).summaries).toEqual([]);
  });

  it('throttles past the burst and refills with the injected clock when a rate limit is set', async () => {
    const { agreement } = buy();
    const describe = () =>
      h.client.send(new DescribeAgreementCommand({ agreementId: agreement.agreementId }));
    h.simulator.setRateLimit({
      perSecond: 2,
      burst: 3,
      operations: ['DescribeAgreement', 'SearchAgreements'],
    });

    for (let i = 0; i < 3; i++) await describe();
    const error = await expectError(describe(), ThrottlingException, 400);
    await expectError(
      h.client.send(new SearchAgreementsCommand({ filters: REQUIRED })),
      ThrottlingException,
      400,
    );
    await h.client.send(new GetAgreementTermsCommand({ agreementId: agreement.agreementId }));
    h.clock.ms += 500;
    await describe();
    await expectError(describe(), ThrottlingException, 400);
    h.clock.ms += 10_000;
    for (let i = 0; i < 3; i++) await describe();
    h.simulator.setRateLimit(undefined);
    for (let i = 0; i < 5; i++) await describe();

    expect(error.message).toContain('Rate exceeded');
    expect(
      h.simulator.calls.filter((c) => c.outcome === 'ThrottlingException').map((c) => c.operation),
    ).toEqual(['DescribeAgreement', 'SearchAgreements', 'DescribeAgreement']);
  });

  it('throttles the awsJson1_1 operations too when the limit names no operations', async () => {
    const { licenseArn } = buy();
    const simulator = new MarketplaceSimulator({
      now: () => new Date(h.clock.ms),
      rateLimit: { perSecond: 1, burst: 1 },
    });
    simulator.putLicense(h.simulator.getLicense(licenseArn) ?? expect.fail('no license'));
    const running = await simulator.start();
    const entitlements = new MarketplaceEntitlementServiceClient({
      endpoint: running.endpoint,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    try {
      await entitlements.send(new GetEntitlementsCommand({ ProductCode: PRODUCT_CODE }));
      await expect(
        entitlements.send(new GetEntitlementsCommand({ ProductCode: PRODUCT_CODE })),
      ).rejects.toMatchObject({
        name: 'ThrottlingException',
      });
    } finally {
      entitlements.destroy();
      await running.close();
    }
  });

  it('answers injected faults on the agreement operations and logs them by name', async () => {
    const { agreement } = buy();
    h.simulator.failNext(1, 'throttle', 'SearchAgreements');
    h.simulator.failNext(1, 'server-error', 'GetAgreementEntitlements');

    await expectError(
      h.client.send(new SearchAgreementsCommand({ filters: REQUIRED })),
      ThrottlingException,
      400,
    );
    await expectError(
      h.client.send(new GetAgreementEntitlementsCommand({ agreementId: agreement.agreementId })),
      InternalServerException,
      500,
    );
    h.simulator.setFaults({ serverErrorRate: 1, operations: ['GetAgreementTerms'] });
    await expectError(
      h.client.send(new GetAgreementTermsCommand({ agreementId: agreement.agreementId })),
      InternalServerException,
      500,
    );
    await h.client.send(new DescribeAgreementCommand({ agreementId: agreement.agreementId }));

    expect(h.simulator.calls.map((c) => [c.operation, c.outcome])).toEqual([
      ['SearchAgreements', 'ThrottlingException'],
      ['GetAgreementEntitlements', 'InternalServerException'],
      ['GetAgreementTerms', 'InternalServerException'],
      ['DescribeAgreement', 'ok'],
    ]);
  });

  it('sends the namespaced __type and the awsJson1_0 content type on the wire', async () => {
    const response = await fetch(h.running.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSMPCommerceService_v20200301.DescribeAgreement',
      },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await response.json()).toMatchObject({
      __type: 'com.amazonaws.marketplaceagreement#ValidationException',
      reason: 'MISSING_AGREEMENT_ID',
    });
  });
});

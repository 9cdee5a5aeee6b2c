import {
  type Entitlement,
  ThrottlingException as EntitlementThrottlingException,
  GetEntitlementsCommand,
  type GetEntitlementsCommandInput,
  InvalidParameterException,
  MarketplaceEntitlementServiceClient,
} from '@aws-sdk/client-marketplace-entitlement-service';
import {
  ExpiredTokenException,
  InternalServiceErrorException,
  InvalidTokenException,
  MarketplaceMeteringClient,
  MarketplaceMeteringServiceException,
  ResolveCustomerCommand,
} from '@aws-sdk/client-marketplace-metering';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type License,
  MarketplaceSimulator,
  type RunningSimulator,
} from '../../local/marketplace-simulator/index.js';

const PRODUCT = 'prod7credits01';
const OTHER_PRODUCT = 'prodotherthing9';
const HOUR_MS = 60 * 60 * 1000;
const credentials = { accessKeyId: 'AKIDSIMULATOR', secretAccessKey: 'not-a-secret' };

/** Everything one test needs: a simulator on a free port, a movable clock and SDK clients. */
interface Harness {
  simulator: MarketplaceSimulator;
  running: RunningSimulator;
  clock: { ms: number };
  metering: (maxAttempts?: number) => MarketplaceMeteringClient;
  entitlements: (maxAttempts?: number) => MarketplaceEntitlementServiceClient;
}

let harness: Harness;
let randomValues: number[];

beforeEach(async () => {
  const clock = { ms: Date.parse('2026-03-10T09:30:00.250Z') };
  randomValues = [];
  const simulator = new MarketplaceSimulator({
    now: () => new Date(clock.ms),
    random: () => randomValues.shift() ?? 0.99,
  });
  const running = await simulator.start();
  harness = {
    simulator,
    running,
    clock,
    metering: (maxAttempts = 1) =>
      new MarketplaceMeteringClient({
        endpoint: running.endpoint,
        region: 'us-east-1',
        credentials,
        maxAttempts,
      }),
    entitlements: (maxAttempts = 1) =>
      new MarketplaceEntitlementServiceClient({
        endpoint: running.endpoint,
        region: 'us-east-1',
        credentials,
        maxAttempts,
      }),
  };
});

afterEach(async () => {
  await harness.running.close();
});

async function getAllPages(
  client: MarketplaceEntitlementServiceClient,
  input: GetEntitlementsCommandInput,
): Promise<{ entitlements: Entitlement[]; pages: number }> {
  const entitlements: Entitlement[] = [];
  let pages = 0;
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetEntitlementsCommand({ ...input, NextToken: nextToken }));
    pages += 1;
    entitlements.push(...(page.Entitlements ?? []));
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return { entitlements, pages };
}

const keyOf = (e: Entitlement): string => `${e.LicenseArn}|${e.Dimension}`;

describe('MarketplaceSimulator ResolveCustomer', () => {
  it('returns the same account, product and license on every call when the token is fresh', async () => {
    const { simulator, metering } = harness;
    const license = simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '111122223333',
      quantities: { Users: 10 },
      months: 12,
    });
    const token = simulator.mintToken(license.licenseArn);
    const client = metering();

    const first = await client.send(new ResolveCustomerCommand({ RegistrationToken: token }));
    const second = await client.send(new ResolveCustomerCommand({ RegistrationToken: token }));

    expect(token).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(first).toMatchObject({
      CustomerAWSAccountId: '111122223333',
      ProductCode: PRODUCT,
      LicenseArn: license.licenseArn,
    });
    expect(first.CustomerIdentifier).toBeUndefined();
    expect(license.licenseArn).toMatch(/^arn:aws:license-manager::111122223333:license:l-[0-9a-f]{32}$/);
    const { $metadata: _first, ...firstBody } = first;
    const { $metadata: _second, ...secondBody } = second;
    expect(secondBody).toEqual(firstBody);
  });

  it('fails with ExpiredTokenException when 4 hours have passed since minting', async () => {
    const { simulator, metering, clock } = harness;
    const license = simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 });
    const token = simulator.mintToken(license.licenseArn);
    const client = metering();

    clock.ms += 4 * HOUR_MS - 1;
    const justInTime = await client.send(new ResolveCustomerCommand({ RegistrationToken: token }));
    clock.ms += 1;
    const late = client.send(new ResolveCustomerCommand({ RegistrationToken: token }));

    expect(justInTime.LicenseArn).toBe(license.licenseArn);
    await expect(late).rejects.toBeInstanceOf(ExpiredTokenException);
    await expect(late).rejects.toMatchObject({
      name: 'ExpiredTokenException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('fails with InvalidTokenException when the token was never minted', async () => {
    const { simulator, metering } = harness;
    simulator.mintToken(
      simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 }).licenseArn,
    );

    const attempt = metering().send(
      new ResolveCustomerCommand({ RegistrationToken: 'bm90IGEgcmVhbCB0b2tlbg+/==' }),
    );

    await expect(attempt).rejects.toBeInstanceOf(InvalidTokenException);
    await expect(attempt).rejects.toMatchObject({
      name: 'InvalidTokenException',
      message: expect.any(String),
    });
  });

  it('returns a CustomerIdentifier when the license was bought as legacy and none otherwise', async () => {
    const { simulator, metering } = harness;
    const legacy = simulator.purchase({
      productCode: PRODUCT,
      quantities: { Users: 1 },
      months: 1,
      legacy: true,
    });
    const current = simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 });
    const client = metering();

    const legacyAnswer = await client.send(
      new ResolveCustomerCommand({ RegistrationToken: simulator.mintToken(legacy.licenseArn) }),
    );
    const currentAnswer = await client.send(
      new ResolveCustomerCommand({ RegistrationToken: simulator.mintToken(current.licenseArn) }),
    );

    expect(legacy.customerIdentifier).toMatch(/^[A-Z0-9]{13}$/);
    expect(legacyAnswer.CustomerIdentifier).toBe(legacy.customerIdentifier);
    expect(currentAnswer.CustomerIdentifier).toBeUndefined();
    expect(currentAnswer.CustomerAWSAccountId).toBe(current.customerAWSAccountId);
  });
});

describe('MarketplaceSimulator GetEntitlements', () => {
  it('returns each dimension with IntegerValue and a Date ExpirationDate when a license is active', async () => {
    const { simulator, entitlements } = harness;
    const license = simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '111122223333',
      quantities: { Users: 25, AdminUsers: 2 },
      months: 12,
      legacy: true,
    });

    const result = await entitlements().send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));

    expect(result.NextToken).toBeUndefined();
    expect(result.Entitlements).toEqual([
      {
        ProductCode: PRODUCT,
        Dimension: 'AdminUsers',
        CustomerIdentifier: license.customerIdentifier,
        CustomerAWSAccountId: '111122223333',
        LicenseArn: license.licenseArn,
        Value: { IntegerValue: 2 },
        ExpirationDate: new Date('2027-03-10T09:30:00.250Z'),
      },
      {
        ProductCode: PRODUCT,
        Dimension: 'Users',
        CustomerIdentifier: license.customerIdentifier,
        CustomerAWSAccountId: '111122223333',
        LicenseArn: license.licenseArn,
        Value: { IntegerValue: 25 },
        ExpirationDate: new Date('2027-03-10T09:30:00.250Z'),
      },
    ]);
    expect(result.Entitlements?.[0]?.ExpirationDate).toBeInstanceOf(Date);
  });

  it('returns every entitlement exactly once in a stable order when pages are collected with MaxResults', async () => {
    const { simulator, entitlements } = harness;
    const licenses: License[] = [];
    for (let i = 0; i < 12; i++) {
      licenses.push(
        simulator.purchase({
          productCode: PRODUCT,
          quantities: { Users: i + 1, Admins: 1, Storage: 3 },
          months: 1,
        }),
      );
    }
    simulator.purchase({ productCode: OTHER_PRODUCT, quantities: { Users: 99 }, months: 1 });
    const expected = licenses
      .flatMap((l) => l.entitlements.map((e) => `${l.licenseArn}|${e.dimension}`))
      .sort();
    const client = entitlements();

    const firstDefaultPage = await client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));
    const small = await getAllPages(client, { ProductCode: PRODUCT, MaxResults: 7 });
    const again = await getAllPages(client, { ProductCode: PRODUCT, MaxResults: 7 });

    expect(firstDefaultPage.Entitlements).toHaveLength(25);
    expect(firstDefaultPage.NextToken).toEqual(expect.any(String));
    expect(small.pages).toBe(Math.ceil(36 / 7));
    expect(small.entitlements.map(keyOf).sort()).toEqual(expected);
    expect(new Set(small.entitlements.map(keyOf)).size).toBe(36);
    expect(again.entitlements.map(keyOf)).toEqual(small.entitlements.map(keyOf));
  });

  it('filters by CUSTOMER_AWS_ACCOUNT_ID, LICENSE_ARN, DIMENSION and CUSTOMER_IDENTIFIER when each is given', async () => {
    const { simulator, entitlements } = harness;
    const a = simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '111111111111',
      quantities: { Users: 1, Admins: 1 },
      months: 1,
      legacy: true,
    });
    const b = simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '222222222222',
      quantities: { Users: 2 },
      months: 1,
    });
    const b2 = simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '222222222222',
      quantities: { Admins: 5 },
      months: 1,
    });
    const client = entitlements();
    const query = async (Filter: GetEntitlementsCommandInput['Filter']) =>
      (await getAllPages(client, { ProductCode: PRODUCT, Filter })).entitlements.map(keyOf).sort();

    const byAccount = await query({ CUSTOMER_AWS_ACCOUNT_ID: ['222222222222'] });
    const byLicense = await query({ LICENSE_ARN: [b2.licenseArn] });
    const byDimension = await query({ DIMENSION: ['Admins'] });
    const byIdentifier = await query({ CUSTOMER_IDENTIFIER: [a.customerIdentifier ?? 'missing'] });

    expect(byAccount).toEqual([`${b.licenseArn}|Users`, `${b2.licenseArn}|Admins`].sort());
    expect(byLicense).toEqual([`${b2.licenseArn}|Admins`]);
    expect(byDimension).toEqual([`${a.licenseArn}|Admins`, `${b2.licenseArn}|Admins`].sort());
    expect(byIdentifier).toEqual([`${a.licenseArn}|Admins`, `${a.licenseArn}|Users`].sort());
  });

  it('unions values of one key and intersects different keys when a filter combines them', async () => {
    const { simulator, entitlements } = harness;
    const a = simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '111111111111',
      quantities: { Users: 1, Admins: 1 },
      months: 1,
    });
    const b = simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '222222222222',
      quantities: { Users: 2, Admins: 2 },
      months: 1,
    });
    simulator.purchase({
      productCode: PRODUCT,
      customerAWSAccountId: '333333333333',
      quantities: { Users: 3 },
      months: 1,
    });
    const client = entitlements();
    const query = async (Filter: GetEntitlementsCommandInput['Filter']) =>
      (await getAllPages(client, { ProductCode: PRODUCT, Filter })).entitlements.map(keyOf).sort();

    const union = await query({ CUSTOMER_AWS_ACCOUNT_ID: ['111111111111', '222222222222'] });
    const intersection = await query({
      CUSTOMER_AWS_ACCOUNT_ID: ['111111111111', '222222222222'],
      DIMENSION: ['Users'],
    });
    const empty = await query({ LICENSE_ARN: [a.licenseArn], CUSTOMER_AWS_ACCOUNT_ID: ['222222222222'] });

    expect(union).toEqual(
      [
        `${a.licenseArn}|Users`,
        `${a.licenseArn}|Admins`,
        `${b.licenseArn}|Users`,
        `${b.licenseArn}|Admins`,
      ].sort(),
    );
    expect(intersection).toEqual([`${a.licenseArn}|Users`, `${b.licenseArn}|Users`].sort());
    expect(empty).toEqual([]);
  });

  it('fails with InvalidParameterException when CUSTOMER_IDENTIFIER and CUSTOMER_AWS_ACCOUNT_ID are combined', async () => {
    const { entitlements } = harness;

    const attempt = entitlements().send(
      new GetEntitlementsCommand({
        ProductCode: PRODUCT,
        Filter: { CUSTOMER_IDENTIFIER: ['X01EXAMPLEX'], CUSTOMER_AWS_ACCOUNT_ID: ['111122223333'] },
      }),
    );

    await expect(attempt).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(attempt).rejects.toMatchObject({ name: 'InvalidParameterException', $fault: 'client' });
  });

  it.each([0, 26])('fails with InvalidParameterException when MaxResults is %i', async (maxResults) => {
    const attempt = harness
      .entitlements()
      .send(new GetEntitlementsCommand({ ProductCode: PRODUCT, MaxResults: maxResults }));

    await expect(attempt).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('fails with InvalidParameterException when the NextToken is forged or belongs to another query', async () => {
    const { simulator, entitlements } = harness;
    simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1, Admins: 1, Storage: 1 }, months: 1 });
    const client = entitlements();
    const page = await client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT, MaxResults: 1 }));
    const token = page.NextToken ?? 'missing';

    const forged = client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT, NextToken: `${token}x` }));
    const foreign = client.send(
      new GetEntitlementsCommand({
        ProductCode: PRODUCT,
        NextToken: token,
        Filter: { DIMENSION: ['Users'] },
      }),
    );

    await expect(forged).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(foreign).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('returns no entitlements when their expiration date has been reached', async () => {
    const { simulator, entitlements, clock } = harness;
    const license = simulator.purchase({ productCode: PRODUCT, quantities: { Users: 5 }, months: 1 });
    const end = license.entitlements[0]?.expirationDate.getTime() ?? 0;
    const client = entitlements();

    clock.ms = end - 1;
    const before = await client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));
    clock.ms = end;
    const after = await client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));

    expect(before.Entitlements).toHaveLength(1);
    expect(after.Entitlements).toEqual([]);
    expect(after.NextToken).toBeUndefined();
  });
});

describe('MarketplaceSimulator buyer actions', () => {
  it('adds to the quantities and keeps the end date when a license is upgraded', async () => {
    const { simulator, entitlements } = harness;
    const license = simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 });

    simulator.upgrade(license.licenseArn, { Users: 3, Admins: 1 });
    const result = await entitlements().send(
      new GetEntitlementsCommand({ ProductCode: PRODUCT, Filter: { LICENSE_ARN: [license.licenseArn] } }),
    );

    const end = new Date('2026-04-10T09:30:00.250Z');
    expect(result.Entitlements?.map((e) => [e.Dimension, e.Value?.IntegerValue, e.ExpirationDate])).toEqual([
      ['Admins', 1, end],
      ['Users', 4, end],
    ]);
  });

  it('moves the end date by the renewal months and applies new quantities when a license is renewed', async () => {
    const { simulator, entitlements } = harness;
    harness.clock.ms = Date.parse('2026-01-31T12:00:00Z');
    const license = simulator.purchase({
      productCode: PRODUCT,
      quantities: { Users: 10, Admins: 1 },
      months: 1,
    });

    simulator.renew(license.licenseArn, { months: 12, quantities: { Users: 20 } });
    const result = await entitlements().send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));

    expect(license.entitlements[0]?.expirationDate).toEqual(new Date('2026-02-28T12:00:00Z'));
    expect(result.Entitlements?.map((e) => [e.Dimension, e.Value?.IntegerValue, e.ExpirationDate])).toEqual([
      ['Users', 20, new Date('2027-02-28T12:00:00Z')],
    ]);
  });

  it('returns no entitlements but still resolves the token when a license is cancelled', async () => {
    const { simulator, entitlements, metering } = harness;
    const license = simulator.purchase({ productCode: PRODUCT, quantities: { Users: 10 }, months: 12 });
    const token = simulator.mintToken(license.licenseArn);

    simulator.cancel(license.licenseArn);
    const result = await entitlements().send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));
    const resolved = await metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));

    expect(result.Entitlements).toEqual([]);
    expect(resolved.LicenseArn).toBe(license.licenseArn);
    expect(simulator.getLicense(license.licenseArn)?.entitlements).toEqual([]);
  });
});

describe('MarketplaceSimulator fault injection', () => {
  it('surfaces ThrottlingException on both services when throttles are scheduled', async () => {
    const { simulator, metering, entitlements } = harness;
    const token = simulator.mintToken(
      simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 }).licenseArn,
    );
    simulator.failNext(2, 'throttle');

    const resolve = metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));
    await expect(resolve).rejects.toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const list = entitlements().send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));
    await expect(list).rejects.toBeInstanceOf(EntitlementThrottlingException);
    const recovered = await metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));

    expect(recovered.LicenseArn).toEqual(expect.any(String));
  });

  it('surfaces InternalServiceErrorException with HTTP 500 when a server error is scheduled', async () => {
    const { simulator, metering } = harness;
    const token = simulator.mintToken(
      simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 }).licenseArn,
    );
    simulator.failNext(1, 'server-error', 'ResolveCustomer');

    const attempt = metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));

    await expect(attempt).rejects.toBeInstanceOf(InternalServiceErrorException);
    await expect(attempt).rejects.toMatchObject({
      name: 'InternalServiceErrorException',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });
  });

  it('applies fault rates per request from the injected random when rates are set for one operation', async () => {
    const { simulator, metering, entitlements } = harness;
    const token = simulator.mintToken(
      simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 }).licenseArn,
    );
    simulator.setFaults({ throttleRate: 0.5, serverErrorRate: 0.25, operations: ['GetEntitlements'] });
    randomValues.push(0.1, 0.6, 0.9);
    const client = entitlements();
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: Error) => e.name,
      );

    const outcomes = [
      await outcome(client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT }))),
      await outcome(client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT }))),
      await outcome(client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT }))),
      await outcome(metering().send(new ResolveCustomerCommand({ RegistrationToken: token }))),
    ];

    expect(outcomes).toEqual(['ThrottlingException', 'InternalServiceErrorException', 'ok', 'ok']);
    expect(randomValues).toEqual([]);
  });

  it('recovers through the default SDK retry when one throttle is injected', async () => {
    const { simulator } = harness;
    simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 });
    simulator.failNext(1, 'throttle', 'GetEntitlements');
    simulator.resetCalls();
    const client = new MarketplaceEntitlementServiceClient({
      endpoint: harness.running.endpoint,
      region: 'us-east-1',
      credentials,
    });

    const result = await client.send(new GetEntitlementsCommand({ ProductCode: PRODUCT }));

    expect(result.Entitlements).toHaveLength(1);
    expect(result.$metadata.attempts).toBe(2);
    expect(simulator.calls.map((c) => [c.operation, c.outcome])).toEqual([
      ['GetEntitlements', 'ThrottlingException'],
      ['GetEntitlements', 'ok'],
    ]);
  });
});

describe('MarketplaceSimulator HTTP framing', () => {
  it('answers 413 when the request body is larger than 64 KiB', async () => {
    const attempt = harness
      .metering()
      .send(new ResolveCustomerCommand({ RegistrationToken: 'A'.repeat(70 * 1024) }));

    await expect(attempt).rejects.toBeInstanceOf(MarketplaceMeteringServiceException);
    await expect(attempt).rejects.toMatchObject({
      name: 'RequestEntityTooLargeException',
      $metadata: { httpStatusCode: 413 },
    });
  });

  it('answers UnknownOperationException when the X-Amz-Target names an operation it does not simulate', async () => {
    const client = harness.metering();
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        request.headers['x-amz-target'] = 'AWSMPMeteringService.MeterUsage';
        return next(args);
      },
      { step: 'build', name: 'retargetToMeterUsage' },
    );

    const attempt = client.send(new ResolveCustomerCommand({ RegistrationToken: 'irrelevant' }));

    await expect(attempt).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('logs operation, input, time and outcome of each call when requests arrive', async () => {
    const { simulator, metering, entitlements, clock } = harness;
    const token = simulator.mintToken(
      simulator.purchase({ productCode: PRODUCT, quantities: { Users: 1 }, months: 1 }).licenseArn,
    );

    await metering().send(new ResolveCustomerCommand({ RegistrationToken: token }));
    await expect(
      entitlements().send(new GetEntitlementsCommand({ ProductCode: PRODUCT, MaxResults: 30 })),
    ).rejects.toThrow();

    expect(simulator.calls).toEqual([
      {
        operation: 'ResolveCustomer',
        input: { RegistrationToken: token },
        at: new Date(clock.ms),
        outcome: 'ok',
      },
      {
        operation: 'GetEntitlements',
        input: { ProductCode: PRODUCT, MaxResults: 30 },
        at: new Date(clock.ms),
        outcome: 'InvalidParameterException',
      },
    ]);
    simulator.resetCalls();
    expect(simulator.calls).toEqual([]);
  });
});

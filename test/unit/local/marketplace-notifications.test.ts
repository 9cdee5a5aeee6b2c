import { describe, expect, it } from 'vitest';
import { toSyncCommand } from '../../../functions/marketplace-events/schema.js';
import {
  type BuyerAction,
  buildNotifications,
  type NotificationMode,
  NotificationModeError,
  type NotificationSubject,
  printedLicenseArn,
} from '../../../local/marketplace-console/notifications.js';
import { FIXTURE, fixtureJson } from '../../support/events.js';

const NOW = new Date('2026-06-01T09:00:00.123Z');
const TERM = {
  startTime: new Date('2026-03-29T05:10:00Z'),
  endTime: new Date('2027-03-29T05:10:00Z'),
  autoRenew: true,
};
const PRINTED_LICENSE = `aws:license-manager:us-east-1:${FIXTURE.accountId}:${FIXTURE.licenseId}`;
const SUBJECT: NotificationSubject = {
  productCode: FIXTURE.productCode,
  productId: FIXTURE.productId,
  licenseArn: FIXTURE.licenseArn,
  customerAWSAccountId: FIXTURE.accountId,
  customerIdentifier: FIXTURE.customerIdentifier,
  agreementId: FIXTURE.agreementId,
  offerId: 'offer-8kkr91jo647j3qxlcjhlqce7y',
  sellerAccountId: '123456512334',
};
/** Actions on one license; `new-license` (two licenses) has its own tests below. */
type OneLicenseAction = Exclude<BuyerAction['type'], 'new-license'>;
const ACTIONS: Record<OneLicenseAction, BuyerAction> = {
  purchase: { type: 'purchase', ...TERM },
  upgrade: { type: 'upgrade', ...TERM },
  renew: { type: 'renew', previousAgreementId: 'agmt-previous0000000000000000', ...TERM },
  cancel: { type: 'cancel' },
  'auto-renew': { type: 'auto-renew', ...TERM, autoRenew: false },
};
const EVENTBRIDGE_TYPES: Record<OneLicenseAction, string[]> = {
  purchase: ['Purchase Agreement Created - Proposer', 'License Updated - Manufacturer'],
  upgrade: ['Purchase Agreement Amended - Proposer', 'License Updated - Manufacturer'],
  renew: ['Purchase Agreement Created - Proposer', 'License Updated - Manufacturer'],
  cancel: ['Purchase Agreement Ended - Proposer', 'License Deprovisioned - Manufacturer'],
  'auto-renew': ['Purchase Agreement Amended - Proposer'],
};
const RECORD = { messageId: 'sqs-message-1', sentAt: '2026-06-01T09:00:01.000Z' };

function build(mode: NotificationMode, type: OneLicenseAction, subject = SUBJECT): string[] {
  return buildNotifications(mode, subject, ACTIONS[type], { now: NOW });
}

const parse = (body: string) =>
  JSON.parse(body) as Record<string, unknown> & { detail: Record<string, unknown> };

describe('buildNotifications (sns)', () => {
  it.each(['purchase', 'upgrade', 'renew', 'cancel'] as const)(
    'sends one entitlement-updated naming the customer when the buyer does a %s',
    (type) => {
      const bodies = build('sns', type);

      expect(bodies).toHaveLength(1);
      const command = toSyncCommand(bodies[0] ?? '', RECORD);
      expect(command.product).toEqual({ code: FIXTURE.productCode });
      expect(command.scope).toEqual({ by: 'customer', customerIdentifier: FIXTURE.customerIdentifier });
      expect(command.trigger).toMatchObject({
        source: 'sns',
        type: 'entitlement-updated',
        at: NOW.toISOString(),
      });
    },
  );

  it('sends nothing when the buyer toggles auto-renew', () => {
    expect(build('sns', 'auto-renew')).toEqual([]);
  });

  it('builds the same envelope as the SNS fixture when it sends entitlement-updated', () => {
    const fixture = fixtureJson('sns/entitlement-updated');

    const body = parse(build('sns', 'purchase')[0] ?? '');

    expect(Object.keys(body).sort()).toEqual(Object.keys(fixture).sort());
    expect(body.TopicArn).toBe(fixture.TopicArn);
    expect(JSON.parse(String(body.Message))).toEqual(JSON.parse(String(fixture.Message)));
    expect(body.SignatureVersion).toBe('1');
    expect(String(body.UnsubscribeURL)).toContain(`SubscriptionArn=${String(fixture.TopicArn)}:`);
  });

  it('refuses when the license has no customer identifier', () => {
    const { customerIdentifier: _, ...newStyle } = SUBJECT;

    expect(() => build('sns', 'purchase', newStyle)).toThrow(NotificationModeError);
  });
});

describe('buildNotifications (eventbridge)', () => {
  it.each(Object.keys(ACTIONS) as OneLicenseAction[])(
    'sends the events the marketplace sends, each parseable, when the buyer does a %s',
    (type) => {
      const bodies = build('eventbridge', type);

      expect(bodies.map((b) => parse(b)['detail-type'])).toEqual(EVENTBRIDGE_TYPES[type]);
      for (const body of bodies) {
        const command = toSyncCommand(body, RECORD);
        expect(command.product).toEqual({ code: FIXTURE.productCode });
        expect(command.trigger).toMatchObject({ source: 'eventbridge', at: '2026-06-01T09:00:00.000Z' });
        if (String(parse(body)['detail-type']).startsWith('License')) {
          expect(command.scope).toEqual({
            by: 'license',
            licenseArn: PRINTED_LICENSE,
            customerAWSAccountId: FIXTURE.accountId,
          });
          expect(command.facts.agreementId?.value).toBe(FIXTURE.agreementId);
        } else {
          expect(command.scope).toEqual({ by: 'account', customerAWSAccountId: FIXTURE.accountId });
          expect(command.factsApplyTo).toEqual({ agreementId: FIXTURE.agreementId });
        }
      }
    },
  );

  it('shapes every event like the EventBridge fixtures when it builds them', () => {
    const fixture = fixtureJson('eventbridge/license-updated');

    for (const type of Object.keys(ACTIONS) as OneLicenseAction[]) {
      for (const body of build('eventbridge', type)) {
        const event = parse(body);
        expect(Object.keys(event).sort()).toEqual(Object.keys(fixture).sort());
        expect(event).toMatchObject({
          version: '0',
          source: 'aws.agreement-marketplace',
          account: SUBJECT.sellerAccountId,
          region: 'us-east-1',
          time: '2026-06-01T09:00:00Z',
          resources: [`arn:aws:aws-marketplace::aws:agreement:${FIXTURE.agreementId}`],
        });
        expect(event.detail).toMatchObject({
          catalog: 'AWSMarketplace',
          product: { code: FIXTURE.productCode, id: FIXTURE.productId },
          acceptor: { accountId: FIXTURE.accountId },
          proposer: { accountId: SUBJECT.sellerAccountId },
          offer: { id: SUBJECT.offerId },
        });
      }
    }
  });

  it('names the new agreement and the previous one when the buyer renews', () => {
    const [created] = build('eventbridge', 'renew');

    expect(parse(created ?? '').detail.agreement).toEqual({
      id: FIXTURE.agreementId,
      intent: 'RENEW',
      status: 'ACTIVE',
      acceptanceTime: '2026-06-01T09:00:00Z',
      startTime: '2026-03-29T05:10:00Z',
      endTime: '2027-03-29T05:10:00Z',
      autoRenewalEnabled: true,
      previousAgreementId: 'agmt-previous0000000000000000',
    });
  });

  it('marks a new agreement NEW with a null resale authorization when the buyer purchases', () => {
    const [created] = build('eventbridge', 'purchase');

    expect(parse(created ?? '').detail).toMatchObject({
      agreement: { intent: 'NEW', status: 'ACTIVE', autoRenewalEnabled: true },
      resaleAuthorization: { id: null },
    });
  });

  it('carries the new auto-renew flag as a fact when the buyer turns auto-renew off', () => {
    const [amended] = build('eventbridge', 'auto-renew');

    const command = toSyncCommand(amended ?? '', RECORD);

    expect(command.facts.autoRenew).toEqual({ value: false, asOf: '2026-06-01T09:00:00.000Z' });
    expect(parse(amended ?? '').detail).toMatchObject({
      agreement: { intent: 'AMEND', autoRenewalEnabled: false },
      renewalSummary: { disabledBy: 'ACCEPTOR' },
    });
  });

  it('ends the agreement as CANCELLED when the buyer cancels', () => {
    const [ended] = build('eventbridge', 'cancel');

    expect(parse(ended ?? '').detail.agreement).toEqual({ id: FIXTURE.agreementId, status: 'CANCELLED' });
  });

  it('leaves the catalog id out when the deployment names none', () => {
    const { productId: _, ...withoutId } = SUBJECT;

    const bodies = build('eventbridge', 'purchase', withoutId);

    for (const body of bodies) expect(parse(body).detail.product).toEqual({ code: FIXTURE.productCode });
  });
});

describe('buildNotifications (a new license takes over)', () => {
  const OLD: NotificationSubject = {
    ...SUBJECT,
    licenseArn: 'arn:aws:license-manager::845735284135:license:l-00000000000000000000000000000001',
    agreementId: 'agmt-old00000000000000000000000',
  };
  const action = (intent: 'RENEW' | 'REPLACE'): BuyerAction => ({
    type: 'new-license',
    intent,
    previous: OLD,
    ...TERM,
  });

  it.each([
    ['RENEW', 'RENEWED'],
    ['REPLACE', 'REPLACED'],
  ] as const)(
    'creates the new agreement, updates the new license and ends the old ones when the intent is %s',
    (intent, status) => {
      const bodies = buildNotifications('eventbridge', SUBJECT, action(intent), { now: NOW }).map(parse);

      expect(bodies.map((b) => b['detail-type'])).toEqual([
        'Purchase Agreement Created - Proposer',
        'License Updated - Manufacturer',
        'Purchase Agreement Ended - Proposer',
        'License Deprovisioned - Manufacturer',
      ]);
      expect(bodies[0]?.detail.agreement).toMatchObject({
        id: SUBJECT.agreementId,
        intent,
        status: 'ACTIVE',
        previousAgreementId: OLD.agreementId,
      });
      expect(bodies[1]?.detail.license).toEqual({ arn: PRINTED_LICENSE });
      expect(bodies[2]?.detail.agreement).toEqual({ id: OLD.agreementId, status });
      expect(bodies[3]?.detail).toMatchObject({
        agreement: { id: OLD.agreementId },
        license: { arn: printedLicenseArn(OLD.licenseArn) },
      });
      const deprovisioned = toSyncCommand(JSON.stringify(bodies[3]), RECORD);
      expect(deprovisioned.scope).toMatchObject({
        by: 'license',
        licenseArn: printedLicenseArn(OLD.licenseArn),
      });
    },
  );

  it('sends one entitlement-updated in SNS mode', () => {
    expect(buildNotifications('sns', SUBJECT, action('RENEW'), { now: NOW })).toHaveLength(1);
  });
});

describe('buildNotifications (channel partner)', () => {
  it('sends Manufacturer agreement events with the partner as proposer and a resale authorization', () => {
    const subject = {
      ...SUBJECT,
      channelPartner: { accountId: '210987654321', resaleAuthorizationId: 'resaleauthz-1' },
    };

    const [created, license] = buildNotifications('eventbridge', subject, ACTIONS.purchase, { now: NOW }).map(
      parse,
    );

    expect(created?.['detail-type']).toBe('Purchase Agreement Created - Manufacturer');
    expect(created?.detail).toMatchObject({
      proposer: { accountId: '210987654321' },
      resaleAuthorization: { id: 'resaleauthz-1' },
    });
    expect(license?.['detail-type']).toBe('License Updated - Manufacturer');
  });
});

describe('printedLicenseArn', () => {
  it('prints the license the way EventBridge examples do when given a simulator ARN', () => {
    expect(printedLicenseArn(FIXTURE.licenseArn)).toBe(PRINTED_LICENSE);
  });

  it('throws when given something else', () => {
    expect(() => printedLicenseArn('l-0123')).toThrow(/Not a simulator license ARN/);
  });
});

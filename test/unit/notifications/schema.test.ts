import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MAX_CLOCK_SKEW_MS,
  marketplaceTopics,
  NotificationParseError,
  type NotificationPolicy,
  toSyncCommand,
} from '../../../functions/marketplace-events/schema.js';
import { type EventFixture, FIXTURE, fixtureBody, fixtureJson } from '../../support/events.js';

const record = { messageId: 'sqs-message-1', sentAt: '2026-03-29T05:12:17.000Z' };
const OTHER_PRODUCT = 'b2c3d4e5f6credits0example';
// Later than every fixture: they are all dated in the past (events/README.md).
const NOW = new Date('2026-12-01T00:00:00.000Z');
const policy: NotificationPolicy = {
  topicArns: marketplaceTopics({
    products: [{ productCode: FIXTURE.productCode }, { productCode: OTHER_PRODUCT }],
  }),
  now: NOW,
};
const parse = (name: EventFixture) => toSyncCommand(fixtureBody(name), record, policy);
/** Fixtures added for issue 12 that test/support/events.ts does not name yet. */
const newFixture = (path: string) =>
  readFileSync(new URL(`../../../events/${path}.json`, import.meta.url), 'utf8');

describe('toSyncCommand', () => {
  it.each([
    'sns/entitlement-updated',
    'sns/subscribe-success',
    'sns/subscribe-fail',
    'sns/unsubscribe-pending',
    'sns/unsubscribe-success',
  ] as const)('syncs the legacy customer when an SNS envelope carries %s', (name) => {
    const command = parse(name);
    expect(command.product).toEqual({ code: FIXTURE.productCode });
    expect(command.scope).toEqual({ by: 'customer', customerIdentifier: FIXTURE.customerIdentifier });
    expect(command.trigger.source).toBe('sns');
    expect(command.trigger.id).toBe(fixtureJson(name).MessageId);
  });

  it('reads the free-trial flag and offer from subscribe-success, dated by the SNS timestamp', () => {
    const command = parse('sns/subscribe-success-free-trial');
    expect(command.facts).toEqual({
      freeTrial: { value: true, asOf: '2026-03-29T05:10:02.500Z' },
      offerId: { value: 'offer-freetrial0example', asOf: '2026-03-29T05:10:02.500Z' },
    });
  });

  it('accepts raw delivery with AWS-printed quirks (leading space, trailing comma) when SNS raw delivery is on', () => {
    const command = parse('sns-raw/entitlement-updated');
    expect(command.scope).toEqual({ by: 'customer', customerIdentifier: FIXTURE.customerIdentifier });
    expect(command.trigger).toMatchObject({ id: 'sqs-message-1', at: record.sentAt });
  });

  it('syncs the license, narrowed by the buyer account, when a License event arrives', () => {
    for (const name of ['eventbridge/license-updated', 'eventbridge/license-deprovisioned'] as const) {
      const command = parse(name);
      expect(command.product).toEqual({ code: FIXTURE.productCode });
      expect(command.scope).toEqual({
        by: 'license',
        licenseArn: `aws:license-manager:us-east-1:${FIXTURE.accountId}:${FIXTURE.licenseId}`,
        customerAWSAccountId: FIXTURE.accountId,
      });
      expect(command.facts.agreementId?.value).toBe(FIXTURE.agreementId);
      expect(command.factsApplyTo).toBe('scope');
    }
  });

  it('syncs the buyer account by catalog product id when an agreement event names no product code', () => {
    const command = parse('eventbridge/agreement-created-proposer');
    expect(command.product).toEqual({ id: FIXTURE.productId });
    expect(command.scope).toEqual({ by: 'account', customerAWSAccountId: FIXTURE.accountId });
    expect(command.factsApplyTo).toEqual({ agreementId: FIXTURE.agreementId });
  });

  it('syncs every configured product when an Ended event names no product at all', () => {
    expect(parse('eventbridge/agreement-ended-proposer').product).toEqual({ any: true });
  });

  it('keeps the auto-renew flag of an Amended event for the contract of that agreement', () => {
    const command = parse('eventbridge/agreement-amended-proposer');
    expect(command.facts).toEqual({ autoRenew: { value: true, asOf: '2026-06-01T09:00:05.000Z' } });
  });

  it('syncs on an Ending event and assumes nothing about auto-renewal from it (R10 does not wait for it)', () => {
    const command = parse('eventbridge/agreement-ending-proposer');
    expect(command.facts).toEqual({});
    expect(command.factsApplyTo).toEqual({ agreementId: 'agmt-4mwg1nevbokzw95eca5797ixs' });
    expect(command.scope).toEqual({ by: 'account', customerAWSAccountId: '111122223333' });
  });

  it.each([
    ['invalid/sns-unknown-action', /action/],
    ['invalid/sns-message-not-json', /SNS Message is not JSON/],
    ['invalid/eventbridge-unknown-detail-type', /Unknown EventBridge detail-type/],
    ['invalid/eventbridge-missing-acceptor', /acceptor/],
    ['invalid/eventbridge-wrong-source', /source/],
  ] as const)('rejects %s with a message saying what is wrong', (name, message) => {
    expect(() => parse(name)).toThrow(NotificationParseError);
    expect(() => parse(name)).toThrow(message);
  });

  it.each([
    ['an empty body', ''],
    ['plain text', 'hello'],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
    ['an SNS envelope without Message', JSON.stringify({ Type: 'Notification', MessageId: 'x' })],
  ])('rejects %s', (_, body) => {
    expect(() => toSyncCommand(body, record, policy)).toThrow(NotificationParseError);
  });

  it('rejects identifiers longer than the marketplace allows', () => {
    const envelope = fixtureJson('sns/entitlement-updated');
    envelope.Message = JSON.stringify({
      action: 'entitlement-updated',
      'customer-identifier': 'x'.repeat(256),
      'product-code': FIXTURE.productCode,
    });
    expect(() => toSyncCommand(JSON.stringify(envelope), record, policy)).toThrow(/customer-identifier/);
  });
});

describe('toSyncCommand with an SNS Message encoded twice', () => {
  it('syncs as if encoded once when the envelope Message is a JSON string of the message', () => {
    const command = toSyncCommand(newFixture('sns/entitlement-updated-double-encoded'), record, policy);
    const once = parse('sns/entitlement-updated');
    expect(command).toEqual({ ...once, trigger: { ...once.trigger, id: expect.any(String) } });
    expect(command.scope).toEqual({ by: 'customer', customerIdentifier: FIXTURE.customerIdentifier });
  });

  it('rejects a Message encoded three times, saying it is not a message', () => {
    const envelope = fixtureJson('sns/entitlement-updated');
    envelope.Message = JSON.stringify(JSON.stringify(envelope.Message));
    const body = JSON.stringify(envelope);
    expect(() => toSyncCommand(body, record, policy)).toThrow(NotificationParseError);
    expect(() => toSyncCommand(body, record, policy)).toThrow(/Invalid SNS message/);
  });

  it('rejects a twice-encoded Message whose inner text is not JSON', () => {
    const envelope = fixtureJson('sns/entitlement-updated');
    envelope.Message = JSON.stringify('{"action": nope');
    expect(() => toSyncCommand(JSON.stringify(envelope), record, policy)).toThrow(
      /encoded twice\) is not JSON/,
    );
  });
});

describe('toSyncCommand topic check', () => {
  it('accepts both topics of every configured product', () => {
    for (const productCode of [FIXTURE.productCode, OTHER_PRODUCT]) {
      for (const kind of ['entitlement', 'subscription']) {
        const envelope = fixtureJson('sns/entitlement-updated');
        envelope.TopicArn = `arn:aws:sns:us-east-1:287250355862:aws-mp-${kind}-notification-${productCode}`;
        expect(toSyncCommand(JSON.stringify(envelope), record, policy).trigger.source).toBe('sns');
      }
    }
  });

  it('rejects the same topic name in another account', () => {
    const body = newFixture('invalid/sns-foreign-topic');
    expect(() => toSyncCommand(body, record, policy)).toThrow(NotificationParseError);
    expect(() => toSyncCommand(body, record, policy)).toThrow(/444455556666.*not a marketplace topic/);
  });

  it.each([
    [
      'another product',
      'arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-zz9someoneelses0product00',
    ],
    [
      'a product code prefix',
      `arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-${FIXTURE.productCode.slice(0, -1)}`,
    ],
    [
      'a longer product code',
      `arn:aws:sns:us-east-1:287250355862:aws-mp-entitlement-notification-${FIXTURE.productCode}x`,
    ],
    [
      'another region',
      `arn:aws:sns:eu-west-1:287250355862:aws-mp-entitlement-notification-${FIXTURE.productCode}`,
    ],
    [
      'another partition',
      `arn:aws-cn:sns:us-east-1:287250355862:aws-mp-entitlement-notification-${FIXTURE.productCode}`,
    ],
    [
      'an unknown kind of topic',
      `arn:aws:sns:us-east-1:287250355862:aws-mp-metering-notification-${FIXTURE.productCode}`,
    ],
    ['an empty ARN', ''],
  ])('rejects the topic of %s', (_, topicArn) => {
    const envelope = fixtureJson('sns/entitlement-updated');
    envelope.TopicArn = topicArn;
    expect(() => toSyncCommand(JSON.stringify(envelope), record, policy)).toThrow(NotificationParseError);
  });
});

describe('toSyncCommand date bound', () => {
  const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

  it('accepts an SNS Timestamp up to the allowed skew ahead of now, and dates the facts by it', () => {
    const envelope = fixtureJson('sns/subscribe-success-free-trial');
    envelope.Timestamp = at(MAX_CLOCK_SKEW_MS);
    const command = toSyncCommand(JSON.stringify(envelope), record, policy);
    expect(command.facts.freeTrial).toEqual({ value: true, asOf: at(MAX_CLOCK_SKEW_MS) });
  });

  it('rejects an SNS Timestamp further ahead than the skew, naming it', () => {
    const envelope = fixtureJson('sns/subscribe-success-free-trial');
    envelope.Timestamp = at(MAX_CLOCK_SKEW_MS + 1);
    const body = JSON.stringify(envelope);
    expect(() => toSyncCommand(body, record, policy)).toThrow(NotificationParseError);
    expect(() => toSyncCommand(body, record, policy)).toThrow(
      /SNS Timestamp .* more than 5 minutes after now/,
    );
  });

  it('rejects a License event dated in 2099', () => {
    const body = newFixture('invalid/eventbridge-future-time');
    expect(() => toSyncCommand(body, record, policy)).toThrow(/EventBridge time 2099-01-01T00:00:00.000Z/);
  });

  it('rejects an agreement event dated further ahead than the skew, and accepts it once that time has come', () => {
    const event = fixtureJson('eventbridge/agreement-amended-proposer');
    event.time = at(MAX_CLOCK_SKEW_MS + 60_000);
    const body = JSON.stringify(event);
    expect(() => toSyncCommand(body, record, policy)).toThrow(NotificationParseError);
    const later = { ...policy, now: new Date(NOW.getTime() + 60_000) };
    expect(toSyncCommand(body, record, later).facts.autoRenew?.asOf).toBe(event.time);
  });

  it('compares instants, not text, when the date carries an offset', () => {
    const event = fixtureJson('eventbridge/license-updated');
    // 03:00+02:00 is 01:00Z: one hour ahead of now, beyond the skew though it reads "earlier".
    const now = new Date('2026-12-01T00:00:00.000Z');
    event.time = '2026-12-01T03:00:00+02:00';
    expect(() => toSyncCommand(JSON.stringify(event), record, { ...policy, now })).toThrow(
      /EventBridge time/,
    );
  });

  it('bounds by the system clock and accepts any product of the marketplace account when given no policy', () => {
    expect(() => toSyncCommand(newFixture('invalid/eventbridge-future-time'), record)).toThrow(
      /EventBridge time/,
    );
    expect(() => toSyncCommand(newFixture('invalid/sns-foreign-topic'), record)).toThrow(
      /not a marketplace topic/,
    );
    const other = fixtureJson('sns/entitlement-updated');
    other.TopicArn =
      'arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-zz9someoneelses0product00';
    expect(toSyncCommand(JSON.stringify(other), record).trigger.source).toBe('sns');
  });

  it('dates a raw-delivered message by SQS SentTimestamp, which the sender cannot set', () => {
    const command = parse('sns-raw/subscribe-success');
    expect(command.trigger.at).toBe(record.sentAt);
  });
});

import { describe, expect, it } from 'vitest';
import { NotificationParseError, toSyncCommand } from '../../../functions/marketplace-events/schema.js';
import { type EventFixture, FIXTURE, fixtureBody, fixtureJson } from '../../support/events.js';

const record = { messageId: 'sqs-message-1', sentAt: '2026-03-29T05:12:17.000Z' };
const parse = (name: EventFixture) => toSyncCommand(fixtureBody(name), record);

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
    expect(() => toSyncCommand(body, record)).toThrow(NotificationParseError);
  });

  it('rejects identifiers longer than the marketplace allows', () => {
    const envelope = fixtureJson('sns/entitlement-updated');
    envelope.Message = JSON.stringify({
      action: 'entitlement-updated',
      'customer-identifier': 'x'.repeat(256),
      'product-code': FIXTURE.productCode,
    });
    expect(() => toSyncCommand(JSON.stringify(envelope), record)).toThrow(/customer-identifier/);
  });
});

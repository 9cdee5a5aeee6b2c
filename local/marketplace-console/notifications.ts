import { randomUUID } from 'node:crypto';
import {
  type AGREEMENT_DETAIL_TYPES,
  type LICENSE_DETAIL_TYPES,
  marketplaceTopicArn,
} from '../../lib/adapters/marketplace/event-types.js';

/**
 * The SQS message bodies AWS Marketplace would deliver for a buyer's action, built as pure
 * functions of (license facts, action, time). Shapes: ../shared/MARKETPLACE.md §3.3 (SNS
 * envelope, raw delivery off) and §4.2 (EventBridge), and the fixtures under events/.
 */

/** How the seller receives notifications: the legacy SNS topics or EventBridge. */
export type NotificationMode = 'sns' | 'eventbridge';
export const NOTIFICATION_MODES: readonly NotificationMode[] = ['sns', 'eventbridge'];

/** AWS Marketplace's own account, which owns the per-product SNS topics. */
const REGION = 'us-east-1';
// A lockout before the end date is what real Amended events show; 30 days is an illustration.
const RENEWAL_LOCKOUT_DAYS = 30;

/** Everything a notification names about one license and its current agreement. */
export interface NotificationSubject {
  readonly productCode: string;
  /** Catalog id (`prod-…`); left out of events when the deployment's catalog does not name one. */
  readonly productId?: string | undefined;
  /** The simulator's form: `arn:aws:license-manager::<account>:license:l-<hex>`. */
  readonly licenseArn: string;
  readonly customerAWSAccountId: string;
  /** Only legacy licenses have one; SNS cannot name a customer without it. */
  readonly customerIdentifier?: string | undefined;
  readonly agreementId: string;
  readonly offerId: string;
  readonly sellerAccountId: string;
  /**
   * Set for a channel partner's private offer: the partner is the proposer and the seller only
   * the manufacturer, so agreement events arrive as `… - Manufacturer` (MARKETPLACE.md §4).
   */
  readonly channelPartner?:
    | { readonly accountId: string; readonly resaleAuthorizationId: string }
    | undefined;
}

/** The agreement's term after the action. */
export interface AgreementTerm {
  readonly startTime: Date;
  readonly endTime: Date;
  readonly autoRenew: boolean;
}

export type BuyerAction =
  | ({ readonly type: 'purchase' } & AgreementTerm)
  | ({ readonly type: 'upgrade' } & AgreementTerm)
  /** `subject.agreementId` is the new agreement's id. */
  | ({ readonly type: 'renew'; readonly previousAgreementId: string } & AgreementTerm)
  | { readonly type: 'cancel' }
  | ({ readonly type: 'auto-renew' } & AgreementTerm)
  /**
   * A renewal or a private-offer replacement under a new license: `subject` is the new license
   * and agreement, `previous` the old ones (old agreement RENEWED/REPLACED, old license revoked).
   */
  | ({
      readonly type: 'new-license';
      readonly intent: 'RENEW' | 'REPLACE';
      readonly previous: NotificationSubject;
    } & AgreementTerm);

export interface BuildContext {
  readonly now: Date;
  /** Event, message and request ids. Default: random UUIDs. */
  readonly newId?: () => string;
}

/** SNS was chosen for a license that has no customer identifier (bought as a new-style listing). */
export class NotificationModeError extends Error {
  override readonly name = 'NotificationModeError';
}

/**
 * The bodies, in the order the marketplace sends them, for one buyer action. SNS sends one
 * `entitlement-updated` per entitlement change and nothing for an auto-renew toggle, which
 * changes no entitlement.
 */
export function buildNotifications(
  mode: NotificationMode,
  subject: NotificationSubject,
  action: BuyerAction,
  context: BuildContext,
): string[] {
  const ctx = { now: context.now, newId: context.newId ?? randomUUID };
  if (mode === 'sns') return action.type === 'auto-renew' ? [] : [snsEntitlementUpdated(subject, ctx)];
  switch (action.type) {
    case 'purchase':
      return [
        agreementEvent('Created', subject, activeAgreement('NEW', action, ctx.now), ctx),
        licenseEvent('Updated', subject, ctx),
      ];
    case 'upgrade':
      return [amendedEvent(subject, action, ctx), licenseEvent('Updated', subject, ctx)];
    case 'renew': {
      const agreement = {
        ...activeAgreement('RENEW', action, ctx.now),
        previousAgreementId: action.previousAgreementId,
      };
      return [agreementEvent('Created', subject, agreement, ctx), licenseEvent('Updated', subject, ctx)];
    }
    case 'cancel':
      return [
        agreementEvent('Ended', subject, { status: 'CANCELLED' }, ctx),
        licenseEvent('Deprovisioned', subject, ctx),
      ];
    case 'auto-renew':
      return [amendedEvent(subject, action, ctx)];
    case 'new-license': {
      const agreement = {
        ...activeAgreement(action.intent, action, ctx.now),
        previousAgreementId: action.previous.agreementId,
      };
      return [
        agreementEvent('Created', subject, agreement, ctx),
        licenseEvent('Updated', subject, ctx),
        agreementEvent(
          'Ended',
          action.previous,
          { status: action.intent === 'RENEW' ? 'RENEWED' : 'REPLACED' },
          ctx,
        ),
        licenseEvent('Deprovisioned', action.previous, ctx),
      ];
    }
  }
}

/** `arn:aws:license-manager::<acct>:license:l-<hex>` printed the way AWS's EventBridge examples do. */
export function printedLicenseArn(licenseArn: string): string {
  const match = /^arn:aws:license-manager::(\d{12}):license:(l-[0-9a-f]+)$/.exec(licenseArn);
  if (match === null) throw new Error(`Not a simulator license ARN: ${licenseArn}`);
  return `aws:license-manager:${REGION}:${match[1]}:${match[2]}`;
}

export function entitlementTopicArn(productCode: string): string {
  return marketplaceTopicArn('entitlement', productCode);
}

type Ctx = { now: Date; newId: () => string };
type JsonObject = Record<string, unknown>;

function snsEntitlementUpdated(subject: NotificationSubject, ctx: Ctx): string {
  if (subject.customerIdentifier === undefined) {
    throw new NotificationModeError(
      `License ${subject.licenseArn} has no customer identifier, so SNS cannot name its buyer; buy it in SNS mode (a legacy listing) or use EventBridge`,
    );
  }
  const messageId = ctx.newId();
  const topicArn = entitlementTopicArn(subject.productCode);
  return JSON.stringify({
    Type: 'Notification',
    MessageId: messageId,
    TopicArn: topicArn,
    Message: JSON.stringify({
      action: 'entitlement-updated',
      'customer-identifier': subject.customerIdentifier,
      'product-code': subject.productCode,
    }),
    Timestamp: ctx.now.toISOString(),
    SignatureVersion: '1',
    // Nothing verifies it locally; it only has to look like a base64 signature.
    Signature: Buffer.from(`local-marketplace-console-unsigned:${messageId}`).toString('base64'),
    SigningCertURL: `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem`,
    UnsubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:${ctx.newId()}`,
  });
}

function activeAgreement(
  intent: 'NEW' | 'RENEW' | 'REPLACE' | 'AMEND',
  term: AgreementTerm,
  now: Date,
): JsonObject {
  return {
    intent,
    status: 'ACTIVE',
    acceptanceTime: awsTime(now),
    startTime: awsTime(term.startTime),
    endTime: awsTime(term.endTime),
    autoRenewalEnabled: term.autoRenew,
  };
}

function amendedEvent(subject: NotificationSubject, term: AgreementTerm, ctx: Ctx): string {
  const lockoutStart = new Date(term.endTime.getTime() - RENEWAL_LOCKOUT_DAYS * 86_400_000);
  return agreementEvent('Amended', subject, activeAgreement('AMEND', term, ctx.now), ctx, {
    renewalSummary: {
      lockoutStartTime: awsTime(lockoutStart),
      disabledBy: term.autoRenew ? null : 'ACCEPTOR',
    },
  });
}

function agreementEvent(
  kind: 'Created' | 'Amended' | 'Ended',
  subject: NotificationSubject,
  agreement: JsonObject,
  ctx: Ctx,
  extra: JsonObject = {},
): string {
  // Typed against the detail-types the consumer and the CDK rule accept, so they cannot drift.
  const role = subject.channelPartner === undefined ? 'Proposer' : 'Manufacturer';
  const detailType: (typeof AGREEMENT_DETAIL_TYPES)[number] = `Purchase Agreement ${kind} - ${role}`;
  return envelope(detailType, subject, ctx, {
    requestId: ctx.newId(),
    catalog: 'AWSMarketplace',
    agreement: { id: subject.agreementId, ...agreement },
    ...extra,
    product: product(subject),
    acceptor: { accountId: subject.customerAWSAccountId },
    proposer: { accountId: proposerOf(subject) },
    offer: { id: subject.offerId },
    // NEW agreements carry the resale authorization: null for direct offers (MARKETPLACE.md §4.2).
    ...(agreement.intent === 'NEW'
      ? { resaleAuthorization: { id: subject.channelPartner?.resaleAuthorizationId ?? null } }
      : {}),
  });
}

function licenseEvent(kind: 'Updated' | 'Deprovisioned', subject: NotificationSubject, ctx: Ctx): string {
  const detailType: (typeof LICENSE_DETAIL_TYPES)[number] = `License ${kind} - Manufacturer`;
  return envelope(detailType, subject, ctx, {
    requestId: ctx.newId(),
    catalog: 'AWSMarketplace',
    agreement: { id: subject.agreementId },
    product: product(subject),
    license: { arn: printedLicenseArn(subject.licenseArn) },
    acceptor: { accountId: subject.customerAWSAccountId },
    proposer: { accountId: proposerOf(subject) },
    offer: { id: subject.offerId },
  });
}

const proposerOf = (subject: NotificationSubject): string =>
  subject.channelPartner?.accountId ?? subject.sellerAccountId;

function product(subject: NotificationSubject): JsonObject {
  return subject.productId === undefined
    ? { code: subject.productCode }
    : { code: subject.productCode, id: subject.productId };
}

function envelope(detailType: string, subject: NotificationSubject, ctx: Ctx, detail: JsonObject): string {
  return JSON.stringify({
    version: '0',
    id: ctx.newId(),
    'detail-type': detailType,
    source: 'aws.agreement-marketplace',
    account: subject.sellerAccountId,
    time: awsTime(ctx.now),
    region: REGION,
    resources: [`arn:aws:aws-marketplace::aws:agreement:${subject.agreementId}`],
    detail,
  });
}

/** EventBridge prints whole seconds: `2026-03-29T05:12:16Z`. */
function awsTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

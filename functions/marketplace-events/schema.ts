import * as z from 'zod/mini';
import {
  AGREEMENT_DETAIL_TYPES,
  LICENSE_DETAIL_TYPES,
  MARKETPLACE_SNS_ACCOUNT,
  marketplaceTopicArn,
} from '../../lib/adapters/marketplace/event-types.js';
import { describeIssues } from '../../lib/adapters/validation/messages.js';
import type { ContractFacts } from '../../lib/domain/contract/model.js';
import type { SyncCommand } from '../../lib/domain/contract/sync-contracts.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';

/**
 * Marketplace notifications as they arrive in an SQS body, and their translation into the one
 * internal command, "sync this contract". Nothing here is trusted for quantities or dates: the
 * sync reads GetEntitlements. Shapes: ../shared/MARKETPLACE.md §3 (SNS) and §4 (EventBridge).
 */

/** The body cannot be turned into a command: reported as a batch item failure, so it is retried and then dead-lettered. */
export class NotificationParseError extends Error {
  override readonly name = 'NotificationParseError';
}

const MAX_ID = 255;
const id = z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_ID));
const isoTime = z.iso.datetime({ offset: true });

const SNS_ACTIONS = [
  'entitlement-updated',
  'subscribe-success',
  'subscribe-fail',
  'unsubscribe-pending',
  'unsubscribe-success',
] as const;

export const snsEnvelopeSchema = z.object({
  Type: z.literal('Notification'),
  MessageId: id,
  // Matched exactly against the configured products' topics in toSyncCommand.
  TopicArn: z.string().check(z.minLength(1), z.maxLength(1024)),
  Message: z.string().check(z.minLength(2)),
  Timestamp: isoTime,
});

export const snsMessageSchema = z.object({
  action: z.enum(SNS_ACTIONS),
  'customer-identifier': id,
  'product-code': id,
  'offer-identifier': z.optional(id),
  isFreeTrialTermPresent: z.optional(
    z.pipe(z.string().check(z.trim(), z.toLowerCase()), z.enum(['true', 'false'])),
  ),
});

const accountId = z.string().check(z.regex(/^\d{12}$/, 'a 12-digit AWS account id'));
const eventBase = {
  version: z.string(),
  id,
  source: z.literal('aws.agreement-marketplace'),
  time: isoTime,
};
const product = z.optional(z.object({ code: z.optional(id), id: z.optional(id) }));

export const licenseEventSchema = z.object({
  ...eventBase,
  'detail-type': z.enum(LICENSE_DETAIL_TYPES),
  detail: z.object({
    agreement: z.optional(z.object({ id })),
    product: z.object({ code: id, id: z.optional(id) }),
    license: z.optional(z.object({ arn: id })),
    acceptor: z.object({ accountId }),
    offer: z.optional(z.object({ id })),
  }),
});

export const agreementEventSchema = z.object({
  ...eventBase,
  'detail-type': z.enum(AGREEMENT_DETAIL_TYPES),
  detail: z.object({
    agreement: z.object({
      id,
      autoRenewalEnabled: z.optional(z.boolean()),
      // NEW, RENEW, REPLACE, AMEND …: only RENEW and REPLACE with a previous agreement start a chain.
      intent: z.optional(z.string().check(z.maxLength(40))),
      previousAgreementId: z.optional(id),
    }),
    product,
    acceptor: z.object({ accountId }),
  }),
});

/** What of the SQS record the translation needs besides the body. */
export interface RecordContext {
  readonly messageId: string;
  /** SQS SentTimestamp (ISO): the only clock a raw-delivered SNS message has. */
  readonly sentAt: string;
}

/** What a notification is checked against besides its own shape. */
export interface NotificationPolicy {
  /**
   * The SNS topics an envelope may come from: `marketplaceTopics(catalog)`, as the handler passes.
   * Absent: any product's entitlement or subscription topic in the marketplace's account.
   */
  readonly topicArns?: ReadonlySet<string>;
  /**
   * When the record is handled: no notification may be dated later than this plus
   * `MAX_CLOCK_SKEW_MS`. Absent: the system clock.
   */
  readonly now?: Date;
}

/**
 * How far in the future a notification's own date (SNS `Timestamp`, EventBridge `time`) may be.
 * Facts are dated and a later-dated fact wins, so a fact dated next year would pin its value until
 * then. Such a notification is refused (a parse error, so retried, then dead-lettered), not
 * clamped: AWS dates these with synchronised clocks, so a date beyond the skew is a forged or broken
 * message and guessing a date for it would still let it overrule genuine facts. A date only
 * slightly ahead converges by itself: SQS retries it a little later, when it is no longer ahead.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * The exact SNS topics of the configured products: entitlement and subscription, in the AWS-owned
 * marketplace account (MARKETPLACE.md §3.1). Another product's or another account's topic is refused.
 */
export function marketplaceTopics(catalog: ProductCatalog): ReadonlySet<string> {
  return new Set(
    catalog.products.flatMap(({ productCode }) => [
      marketplaceTopicArn('entitlement', productCode),
      marketplaceTopicArn('subscription', productCode),
    ]),
  );
}

/** Default topic check: a product code as productSchema allows it, in the marketplace's account and region. */
const ANY_MARKETPLACE_TOPIC = new RegExp(
  `^arn:aws:sns:us-east-1:${MARKETPLACE_SNS_ACCOUNT}:aws-mp-(?:entitlement|subscription)-notification-[-a-zA-Z0-9/=:_.@]{1,255}$`,
);

/** Turns one SQS body into a sync command, or throws NotificationParseError saying what is wrong. */
export function toSyncCommand(
  body: string,
  record: RecordContext,
  policy: NotificationPolicy = {},
): SyncCommand {
  const json = parseLenientJson(body, 'SQS body');
  if (isObject(json) && json.Type === 'Notification') {
    const envelope = check(snsEnvelopeSchema, json, 'SNS envelope');
    const known = policy.topicArns?.has(envelope.TopicArn) ?? ANY_MARKETPLACE_TOPIC.test(envelope.TopicArn);
    if (!known) {
      throw new NotificationParseError(
        `SNS TopicArn "${envelope.TopicArn.slice(0, 300)}" is not a marketplace topic of a configured product`,
      );
    }
    const message = check(snsMessageSchema, parseMessage(envelope.Message), 'SNS message');
    return fromSns(message, {
      id: envelope.MessageId,
      at: dated(envelope.Timestamp, 'SNS Timestamp', policy),
    });
  }
  // Raw delivery has no envelope, hence no TopicArn to check, and no date of its own: SQS's
  // SentTimestamp, set by SQS and not by the sender, dates it.
  if (isObject(json) && 'action' in json) {
    return fromSns(check(snsMessageSchema, json, 'SNS message'), { id: record.messageId, at: record.sentAt });
  }
  if (isObject(json) && 'detail-type' in json) {
    const detailType = String(json['detail-type']);
    if ((LICENSE_DETAIL_TYPES as readonly string[]).includes(detailType)) {
      const event = check(licenseEventSchema, json, 'EventBridge license event');
      return fromLicenseEvent(event, dated(event.time, 'EventBridge time', policy));
    }
    if ((AGREEMENT_DETAIL_TYPES as readonly string[]).includes(detailType)) {
      const event = check(agreementEventSchema, json, 'EventBridge agreement event');
      return fromAgreementEvent(event, dated(event.time, 'EventBridge time', policy));
    }
    throw new NotificationParseError(`Unknown EventBridge detail-type "${detailType.slice(0, 100)}"`);
  }
  throw new NotificationParseError(
    'Not an SNS notification, a raw marketplace message or an EventBridge event',
  );
}

function fromSns(message: z.infer<typeof snsMessageSchema>, meta: { id: string; at: string }): SyncCommand {
  const asOf = meta.at;
  const facts: ContractFacts = {
    ...(message.isFreeTrialTermPresent
      ? { freeTrial: { value: message.isFreeTrialTermPresent === 'true', asOf } }
      : {}),
    ...(message['offer-identifier'] ? { offerId: { value: message['offer-identifier'], asOf } } : {}),
  };
  return {
    product: { code: message['product-code'] },
    scope: { by: 'customer', customerIdentifier: message['customer-identifier'] },
    facts,
    factsApplyTo: 'scope',
    trigger: { source: 'sns', type: message.action, id: meta.id, at: asOf },
  };
}

function fromLicenseEvent(event: z.infer<typeof licenseEventSchema>, asOf: string): SyncCommand {
  const { detail } = event;
  const facts: ContractFacts = {
    ...(detail.agreement ? { agreementId: { value: detail.agreement.id, asOf } } : {}),
    ...(detail.offer ? { offerId: { value: detail.offer.id, asOf } } : {}),
  };
  return {
    product: { code: detail.product.code },
    scope: detail.license
      ? { by: 'license', licenseArn: detail.license.arn, customerAWSAccountId: detail.acceptor.accountId }
      : { by: 'account', customerAWSAccountId: detail.acceptor.accountId },
    facts,
    factsApplyTo: 'scope',
    trigger: { source: 'eventbridge', type: event['detail-type'], id: event.id, at: asOf },
  };
}

/**
 * Agreement events name the buyer's account and the agreement, not the license; some carry no
 * product at all (Ended). They sync every contract of that account for the product, or for
 * every configured product when none is named.
 */
function fromAgreementEvent(event: z.infer<typeof agreementEventSchema>, asOf: string): SyncCommand {
  const { detail } = event;
  // An Ending event (days before the end) tells whether it renews only if it carries the flag:
  // nothing is assumed from its arrival.
  const autoRenew = detail.agreement.autoRenewalEnabled;
  const { intent, previousAgreementId } = detail.agreement;
  const continues = previousAgreementId && (intent === 'RENEW' || intent === 'REPLACE') ? intent : undefined;
  const facts: ContractFacts = {
    ...(autoRenew === undefined ? {} : { autoRenew: { value: autoRenew, asOf } }),
    // A renewal or replacement names the agreement it continues (R13): the chain's link when the
    // new agreement comes under a new license and the Agreement API cannot say it.
    ...(continues && previousAgreementId
      ? {
          previousAgreementId: { value: previousAgreementId, asOf },
          continuationIntent: { value: continues, asOf },
        }
      : {}),
  };
  return {
    product: detail.product?.code
      ? { code: detail.product.code }
      : detail.product?.id
        ? { id: detail.product.id }
        : { any: true },
    scope: { by: 'account', customerAWSAccountId: detail.acceptor.accountId },
    facts,
    factsApplyTo: { agreementId: detail.agreement.id },
    trigger: { source: 'eventbridge', type: event['detail-type'], id: event.id, at: asOf },
  };
}

/** A notification's date as ISO, refused when it lies beyond `MAX_CLOCK_SKEW_MS` in the future. */
function dated(time: string, what: string, policy: NotificationPolicy): string {
  const at = new Date(time);
  const now = policy.now ?? new Date();
  if (at.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    throw new NotificationParseError(
      `${what} ${at.toISOString()} is more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes after now (${now.toISOString()})`,
    );
  }
  return at.toISOString();
}

/**
 * The envelope's `Message`, parsed. A forwarder that JSON-encodes an already encoded message
 * leaves a JSON string there (AWS's samples parse once more when the result is a string,
 * MARKETPLACE.md §3.3): exactly one such extra level is accepted. A string still left after that
 * fails the message schema, so the record is dead-lettered as before.
 */
function parseMessage(text: string): unknown {
  const parsed = parseLenientJson(text, 'SNS Message');
  return typeof parsed === 'string' ? parseLenientJson(parsed, 'SNS Message (encoded twice)') : parsed;
}

/**
 * JSON.parse, then once more without trailing commas: AWS's printed SNS examples carry them,
 * and the cost of being lenient there is nil.
 */
function parseLenientJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return JSON.parse(text.replace(/,\s*([}\]])/g, '$1'));
    } catch {
      throw new NotificationParseError(`${what} is not JSON`);
    }
  }
}

function check<T extends z.ZodMiniType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new NotificationParseError(`Invalid ${what}: ${describeIssues(result.error)}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

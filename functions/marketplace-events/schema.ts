import * as z from 'zod/mini';
import { AGREEMENT_DETAIL_TYPES, LICENSE_DETAIL_TYPES } from '../../lib/adapters/marketplace/event-types.js';
import { describeIssues } from '../../lib/adapters/validation/messages.js';
import type { ContractFacts } from '../../lib/domain/contract/model.js';
import type { SyncCommand } from '../../lib/domain/contract/sync-contracts.js';

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
  TopicArn: z.string().check(z.startsWith('arn:aws:sns:')),
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
    agreement: z.object({ id, autoRenewalEnabled: z.optional(z.boolean()) }),
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

/** Turns one SQS body into a sync command, or throws NotificationParseError saying what is wrong. */
export function toSyncCommand(body: string, record: RecordContext): SyncCommand {
  const json = parseLenientJson(body, 'SQS body');
  if (isObject(json) && json.Type === 'Notification') {
    const envelope = check(snsEnvelopeSchema, json, 'SNS envelope');
    const message = check(snsMessageSchema, parseLenientJson(envelope.Message, 'SNS Message'), 'SNS message');
    return fromSns(message, { id: envelope.MessageId, at: new Date(envelope.Timestamp).toISOString() });
  }
  if (isObject(json) && 'action' in json) {
    return fromSns(check(snsMessageSchema, json, 'SNS message'), { id: record.messageId, at: record.sentAt });
  }
  if (isObject(json) && 'detail-type' in json) {
    const detailType = String(json['detail-type']);
    if ((LICENSE_DETAIL_TYPES as readonly string[]).includes(detailType)) {
      return fromLicenseEvent(check(licenseEventSchema, json, 'EventBridge license event'));
    }
    if ((AGREEMENT_DETAIL_TYPES as readonly string[]).includes(detailType)) {
      return fromAgreementEvent(check(agreementEventSchema, json, 'EventBridge agreement event'));
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

function fromLicenseEvent(event: z.infer<typeof licenseEventSchema>): SyncCommand {
  const { detail } = event;
  const asOf = new Date(event.time).toISOString();
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
function fromAgreementEvent(event: z.infer<typeof agreementEventSchema>): SyncCommand {
  const { detail } = event;
  const asOf = new Date(event.time).toISOString();
  const autoRenew = detail.agreement.autoRenewalEnabled;
  return {
    product: detail.product?.code
      ? { code: detail.product.code }
      : detail.product?.id
        ? { id: detail.product.id }
        : { any: true },
    scope: { by: 'account', customerAWSAccountId: detail.acceptor.accountId },
    facts: autoRenew === undefined ? {} : { autoRenew: { value: autoRenew, asOf } },
    factsApplyTo: { agreementId: detail.agreement.id },
    trigger: { source: 'eventbridge', type: event['detail-type'], id: event.id, at: asOf },
  };
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

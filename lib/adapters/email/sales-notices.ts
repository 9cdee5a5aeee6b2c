import { createHash } from 'node:crypto';
import type { BusinessDirectory } from '../../domain/credits/ports.js';
import type { OutboundEvent } from '../../domain/events/catalogue.js';
import { activationNoticeMail, cancellationNoticeMail } from '../../domain/notices/sales.js';
import type { EmailMessage, Mailer } from '../../domain/setup/ports.js';
import { keys } from '../dynamodb/keys.js';
import { claimSend, markSent, type NoticeStoreOptions, releaseClaim } from '../dynamodb/notice-store.js';

export interface SalesNoticesOptions extends NoticeStoreOptions {
  readonly mailer: Mailer;
  /** The sales team's addresses (config `salesEmails`). */
  readonly to: readonly string[];
  readonly productName: string;
  readonly businesses: Pick<BusinessDirectory, 'get'>;
  readonly now?: () => Date;
}

interface ContractEventData {
  readonly contractId: string;
  readonly businessId: string | null;
  readonly change: { readonly type: string; readonly creditsWithdrawn?: number };
  readonly contract: { readonly credits: number; readonly expiresAt: string };
}

export const recipientKey = (address: string) =>
  createHash('sha256').update(address).digest('base64url').slice(0, 16);

/**
 * Mails sales about an activation or a cancellation (issue 14), once per event and address: a
 * claim (conditional Put) per address before its mail, marked sent after it. A redelivered
 * event finds its claims sent and mails nobody again; a failed mail releases its claim and
 * throws, so the queue retries just the addresses not yet mailed.
 */
export function createSalesNotices(options: SalesNoticesOptions) {
  const now = options.now ?? (() => new Date());
  return {
    async notify(event: OutboundEvent): Promise<void> {
      const data = event.data as unknown as ContractEventData;
      const business = data.businessId ? await options.businesses.get(data.businessId) : undefined;
      const common = {
        to: options.to,
        productName: options.productName,
        contractId: data.contractId,
        expiresAt: data.contract.expiresAt,
        ...(business ? { primaryEmail: business.primaryEmail } : {}),
      };
      let mails: EmailMessage[];
      if (event.type === 'contract.activated' && data.businessId) {
        mails = activationNoticeMail({
          ...common,
          credits: data.contract.credits,
          businessId: data.businessId,
          businessName: business?.name ?? data.businessId,
          activatedAt: event.timestamp,
        });
      } else if (event.type === 'contract.cancelled') {
        mails = cancellationNoticeMail({
          ...common,
          credits: data.change.creditsWithdrawn ?? 0,
          ...(data.businessId ? { businessId: data.businessId } : {}),
          ...(business ? { businessName: business.name } : {}),
          endedAt: event.timestamp,
          creditsWithdrawn: data.change.creditsWithdrawn ?? 0,
        });
      } else {
        return;
      }
      for (const mail of mails) {
        const key = keys.salesNotice(event.id, recipientKey(mail.to));
        if (!(await claimSend(options, key, { entity: 'sales-notice', eventId: event.id }, now(), 14)))
          continue;
        try {
          await options.mailer.send(mail);
        } catch (error) {
          await releaseClaim(options, key);
          throw error;
        }
        await markSent(options, key, now());
      }
    },
  };
}

import { overAllocationMail } from '../../domain/credits/notices.js';
import type { BusinessDirectory, CreditNotices } from '../../domain/credits/ports.js';
import type { Mailer } from '../../domain/setup/ports.js';

export interface CreditNoticesOptions {
  readonly mailer: Mailer;
  readonly productName: string;
  /** Where the primary user's address and the business's name are read at sending time (the ledger's copy may be missing). */
  readonly businesses: Pick<BusinessDirectory, 'get'>;
  readonly logger: { error(message: string, extra: Record<string, unknown>): void };
}

/**
 * The over-allocation mail (R9) through SES, after the write that set the mark has committed.
 * A mail that fails is logged with the business to follow up (never the address) and does not
 * fail the write that caused it: the business stays marked, and sales lists it.
 */
export function createCreditNotices({
  mailer,
  productName,
  businesses,
  logger,
}: CreditNoticesOptions): CreditNotices {
  return {
    async overAllocated(ledger) {
      try {
        const business = await businesses.get(ledger.businessId);
        const mail = overAllocationMail(ledger, productName, business);
        if (!mail) return;
        await mailer.send(mail);
      } catch (error) {
        logger.error('Over-allocation mail not sent: tell the business', {
          businessId: ledger.businessId,
          overBy: -ledger.balance,
          reason: error instanceof Error ? error.name : typeof error,
        });
      }
    },
  };
}

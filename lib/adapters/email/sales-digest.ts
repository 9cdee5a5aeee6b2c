import type { LedgerStore } from '../../domain/credits/ports.js';
import { salesDigestMail } from '../../domain/notices/sales.js';
import type { Mailer } from '../../domain/setup/ports.js';
import { keys } from '../dynamodb/keys.js';
import {
  claimSend,
  markSent,
  type NoticeStoreOptions,
  releaseClaim,
  stuckSetups,
} from '../dynamodb/notice-store.js';
import { recipientKey } from './sales-notices.js';

export interface SalesDigestOptions extends NoticeStoreOptions {
  readonly mailer: Mailer;
  readonly to: readonly string[];
  readonly productName: string;
  readonly productCodes: readonly string[];
  readonly ledgers: Pick<LedgerStore, 'overAllocated'>;
}

/** The buyer's window to finish setup (R4): a purchase older than this and not activated is stuck. */
const SETUP_WINDOW_MS = 4 * 60 * 60 * 1000;
/** Rows per list in one digest; more says "cut short". */
const DIGEST_LIMIT = 200;

/**
 * The daily digest to sales: purchases still not set up four hours on (R4) and over-allocated
 * businesses (R9). Sent once per day and address (a claim per address), nothing on a quiet day.
 */
export async function sendSalesDigest(
  options: SalesDigestOptions,
  now: Date,
): Promise<{ stuck: number; overAllocated: number; mailed: number }> {
  const [stuck, over] = await Promise.all([
    stuckSetups(options, new Date(now.getTime() - SETUP_WINDOW_MS), now, DIGEST_LIMIT),
    options.ledgers.overAllocated(now, DIGEST_LIMIT + 1),
  ]);
  const date = now.toISOString().slice(0, 10);
  const mails = salesDigestMail({
    to: options.to,
    productName: options.productName,
    date,
    stuckSetups: stuck.setups,
    overAllocated: over.slice(0, DIGEST_LIMIT).map((ledger) => ({
      businessId: ledger.businessId,
      ...(ledger.businessName ? { businessName: ledger.businessName } : {}),
      since: ledger.overAllocatedSince ?? now.toISOString(),
      overBy: Math.max(0, -ledger.balance),
    })),
    truncated: stuck.truncated || over.length > DIGEST_LIMIT,
  });
  let mailed = 0;
  for (const mail of mails ?? []) {
    const key = keys.salesDigest(date, recipientKey(mail.to));
    if (!(await claimSend(options, key, { entity: 'sales-digest', date }, now, 14))) continue;
    try {
      await options.mailer.send(mail);
    } catch (error) {
      await releaseClaim(options, key);
      throw error;
    }
    await markSent(options, key, now);
    mailed++;
  }
  return { stuck: stuck.setups.length, overAllocated: over.length, mailed };
}

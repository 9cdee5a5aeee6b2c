import type { Business } from '../setup/model.js';
import type { EmailMessage } from '../setup/ports.js';
import {
  calendarDaysLeft,
  dueThreshold,
  EXPIRY_THRESHOLDS,
  formatDate,
  formatTime,
  noticeWindowEnd,
  noticeZone,
} from './expiry.js';
import type { ExpiringLicense, ExpiryNotice, ExpiryNoticeDeps } from './ports.js';

/**
 * Mails in flight at once: enough that 10,000 licenses take minutes, not hours, and few enough
 * to stay far below an SES sending rate and the claims table's capacity.
 */
export const EXPIRY_NOTICE_CONCURRENCY = 8;

export interface ExpiryNoticeSummary {
  /** Licenses the window listed. */
  readonly examined: number;
  /** Of those, in a notice bracket now (the rest are not due, or skipped). */
  readonly due: number;
  readonly sent: number;
  /** Due, but sent before or being sent by an overlapping run. */
  readonly alreadySent: number;
  /** A read, claim or mail failed: a later run tries again. */
  readonly failed: number;
  /** No such business, or an unreadable expiry: nothing a rerun would change. */
  readonly skipped: number;
}

/**
 * The daily expiry-notice sweep (R10, R13).
 *
 * Steps:
 * 1. Read the licenses of registered businesses expiring between `now` and `noticeWindowEnd(now)`.
 * 2. For each, at most `concurrency` at a time: read its business (once per business and run);
 *    skip and log one that does not exist.
 * 3. Count the calendar days left in the business's time zone (R8) and take the bracket the
 *    license is in now (`dueThreshold`: 60, 30 or 7 days); none, nothing to do.
 * 4. Claim the notice (license + term's expiresAt + threshold): only the run whose claim wins
 *    sends, so reruns and overlapping runs send each notice once, and a renewal's new expiresAt
 *    starts the notices again (R13).
 * 5. Mail the business's primary user, then record the claim as sent. A failed mail releases the
 *    claim so that a later run retries; it is counted, logged and the sweep goes on.
 *
 * Never throws for one license; it throws only when the listing itself fails, after the
 * notices in flight have settled (a rerun then carries on where the claims left off).
 */
export async function sendExpiryNotices(
  deps: ExpiryNoticeDeps,
  now: Date,
  options: { readonly concurrency?: number } = {},
): Promise<ExpiryNoticeSummary> {
  const limit = Math.max(1, Math.floor(options.concurrency ?? EXPIRY_NOTICE_CONCURRENCY));
  const summary = { examined: 0, due: 0, sent: 0, alreadySent: 0, failed: 0, skipped: 0 };
  const warn = (message: string, data: Record<string, unknown>) => deps.log?.warn(message, data);

  // Businesses hold several licenses; one read each per run. A failed read is not kept.
  const businesses = new Map<string, Promise<Business | undefined>>();
  const business = (businessId: string): Promise<Business | undefined> => {
    let read = businesses.get(businessId);
    if (!read) {
      read = deps.businesses.get(businessId);
      businesses.set(businessId, read);
      read.catch(() => businesses.delete(businessId));
    }
    return read;
  };

  const notify = async (license: ExpiringLicense): Promise<void> => {
    const ids = { licenseKey: license.licenseKey, businessId: license.businessId };
    let owner: Business | undefined;
    try {
      owner = await business(license.businessId);
    } catch (error) {
      summary.failed += 1;
      warn('expiry notice: the business could not be read', { ...ids, error: describe(error) });
      return;
    }
    if (!owner) {
      summary.skipped += 1;
      warn('expiry notice skipped: the license names no registered business', ids);
      return;
    }
    const expiresAt = Date.parse(license.expiresAt);
    if (Number.isNaN(expiresAt)) {
      summary.skipped += 1;
      warn('expiry notice skipped: the expiry is not a date', { ...ids, expiresAt: license.expiresAt });
      return;
    }
    // Expired meanwhile (earlier today): there is nothing left to warn about.
    if (expiresAt <= now.getTime()) return;

    const daysLeft = calendarDaysLeft(license.expiresAt, now, noticeZone(owner.timeZone));
    const threshold = dueThreshold(daysLeft);
    if (threshold === undefined) return;
    summary.due += 1;
    const notice: ExpiryNotice = {
      licenseKey: license.licenseKey,
      kind: license.kind,
      businessId: license.businessId,
      productCode: license.productCode,
      expiresAt: license.expiresAt,
      threshold,
      daysLeft,
      credits: license.credits,
      autoRenew: license.autoRenew,
    };

    try {
      if (!(await deps.claims.claim(notice, now))) {
        summary.alreadySent += 1;
        return;
      }
    } catch (error) {
      summary.failed += 1;
      warn('expiry notice: the claim failed', { ...ids, threshold, error: describe(error) });
      return;
    }

    try {
      const productName = deps.productName(license.productCode);
      await deps.mailer.send(expiryNoticeMail(notice, owner, { productName, consoleUrl: deps.consoleUrl }));
    } catch (error) {
      summary.failed += 1;
      warn('expiry notice: the mail failed; released for a later run', {
        ...ids,
        threshold,
        error: describe(error),
      });
      try {
        await deps.claims.release(notice);
      } catch (releaseError) {
        warn('expiry notice: the claim could not be released', {
          ...ids,
          threshold,
          error: describe(releaseError),
        });
      }
      return;
    }
    summary.sent += 1;
    try {
      await deps.claims.sent(notice, now);
    } catch (error) {
      // The mail went out; the claim still stands, so no other run sends it meanwhile.
      warn('expiry notice: sent, but recording it failed', { ...ids, threshold, error: describe(error) });
    }
  };

  const inFlight = new Set<Promise<void>>();
  try {
    for await (const license of deps.licenses.list(now, noticeWindowEnd(now))) {
      summary.examined += 1;
      // Start a license only when a slot is free: the listing is read no faster than mail goes.
      while (inFlight.size >= limit) await Promise.race(inFlight);
      const task: Promise<void> = notify(license).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  } finally {
    await Promise.all(inFlight);
  }
  return summary;
}

/** The error's name only: an SES refusal's message can list the recipient's address. */
function describe(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

let numberFormat: Intl.NumberFormat | undefined;
const formatCredits = (n: number): string => {
  numberFormat ??= new Intl.NumberFormat('en-US');
  return numberFormat.format(n);
};

function inDays(daysLeft: number): string {
  if (daysLeft === 0) return 'today';
  if (daysLeft === 1) return 'tomorrow';
  return `in ${daysLeft} days`;
}

/**
 * The expiry notice to the business's primary user (R10): the license, its credits, the expiry
 * date and time in the business's time zone (R8), what happens at expiry (its credits stop
 * counting towards the total, R2), or, for an auto-renewing contract, the date it renews (R1).
 * It holds this business's own data only, and no token or link other than the console's.
 */
export function expiryNoticeMail(
  notice: ExpiryNotice,
  business: Business,
  context: { readonly productName: string; readonly consoleUrl: string },
): EmailMessage {
  if (notice.businessId !== business.businessId) {
    throw new Error(`Notice of ${notice.businessId} addressed to business ${business.businessId}`);
  }
  const { productName, consoleUrl } = context;
  const zone = noticeZone(business.timeZone);
  const when = `${formatDate(notice.expiresAt, zone)} at ${formatTime(notice.expiresAt, zone)} (${zone} time)`;
  const credits = formatCredits(notice.credits);
  const days = inDays(notice.daysLeft);
  const marketplace = notice.kind === 'contract';
  const license = marketplace
    ? `AWS Marketplace contract ${notice.licenseKey}`
    : `${notice.licenseKey} (not bought on AWS Marketplace)`;
  const later = EXPIRY_THRESHOLDS.filter((t) => t < notice.threshold);
  const reminder =
    later.length === 0
      ? 'This is the last reminder for this term.'
      : `We will remind you again ${later.join(' and ')} days before that date.`;

  const body = notice.autoRenew
    ? [
        `The ${productName} license of ${business.name} renews automatically on ${when}, ${days}.`,
        '',
        `License: ${license}`,
        `Credits: ${credits}`,
        '',
        `There is nothing you need to do: its ${credits} credits keep counting for the new term.`,
        marketplace
          ? 'If you do not want it to renew, change the renewal setting of the subscription on AWS Marketplace before that date.'
          : 'If you do not want it to renew, tell your sales representative before that date.',
        `A license that does not renew expires then, and its credits stop counting towards ${business.name}'s total.`,
      ]
    : [
        `The ${productName} license of ${business.name} expires ${days}, on ${when}.`,
        '',
        `License: ${license}`,
        `Credits: ${credits}`,
        '',
        `When it expires, its ${credits} credits stop counting towards ${business.name}'s total; the credits of other active licenses are not affected.`,
        'Nothing is disabled then, but if your services hold more credits than remain, they can only be resized down or disabled until you add credits.',
        marketplace
          ? 'To keep the credits, renew the subscription on AWS Marketplace before that date.'
          : 'To keep the credits, ask your sales representative to renew it before that date.',
      ];

  return {
    to: business.primaryEmail,
    subject: notice.autoRenew
      ? `Your ${productName} license renews automatically ${days}`
      : `Your ${productName} license expires ${days}`,
    text: [
      ...body,
      '',
      reminder,
      '',
      `Your licenses: ${consoleUrl}`,
      '',
      `You receive this as the primary user of ${business.name}.`,
    ].join('\n'),
  };
}

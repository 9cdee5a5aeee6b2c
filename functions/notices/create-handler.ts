import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import type { ExpiryNoticeDeps } from '../../lib/domain/notices/ports.js';
import { type ExpiryNoticeSummary, sendExpiryNotices } from '../../lib/domain/notices/sweep.js';

export interface NoticesOptions {
  readonly expiry: ExpiryNoticeDeps;
  /** Writes down the lapses of ledgers nobody read or wrote since a source lapsed (R2); answers how many. */
  readonly refreshLapsed: (now: Date) => Promise<{ refreshed: number; failed: number }>;
  /** The daily digest to sales; absent when no sales address is configured. */
  readonly digest?: (now: Date) => Promise<{ stuck: number; overAllocated: number; mailed: number }>;
  readonly clock: { now(): Date };
  readonly logger: Logger;
}

export interface NoticesReport {
  readonly at: string;
  readonly lapsed?: { refreshed: number; failed: number };
  readonly expiry?: ExpiryNoticeSummary;
  readonly digest?: { stuck: number; overAllocated: number; mailed: number };
  readonly failed: readonly string[];
}

export const noticesMiddlewares = (options: NoticesOptions) => [logContext(options.logger)];

/**
 * The daily run (a schedule in the compute stack; the local stack runs it at start and on a
 * button): lapsed ledgers written down first (so their events go out and the digest is
 * right), then the expiry notices (R10, R13), then the sales digest. Each part is safe to
 * run twice or at the same time as itself (conditional claims); one that fails does not stop
 * the others, and the run then fails so that the schedule's retry and the alarm see it.
 */
export function noticesHandler(options: NoticesOptions) {
  const { logger } = options;
  return async (_event: ScheduledEvent | Record<string, never>): Promise<NoticesReport> => {
    const now = options.clock.now();
    const failed: string[] = [];
    const run = async <T>(name: string, job: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await job();
      } catch (error) {
        failed.push(name);
        // The name only: an SES refusal's message can list a recipient's address.
        logger.error(`Daily ${name} failed: the next run (or the schedule's retry) carries on`, {
          error: error instanceof Error ? error.name : typeof error,
        });
        return undefined;
      }
    };
    const lapsed = await run('lapsed-ledgers', () => options.refreshLapsed(now));
    const expiry = await run('expiry-notices', () => sendExpiryNotices(options.expiry, now));
    const sendDigest = options.digest;
    const digest = sendDigest ? await run('sales-digest', () => sendDigest(now)) : undefined;
    const report: NoticesReport = {
      at: now.toISOString(),
      ...(lapsed ? { lapsed } : {}),
      ...(expiry ? { expiry } : {}),
      ...(digest ? { digest } : {}),
      failed,
    };
    // Notices or ledgers that failed one by one fail the run too, so the retry and the alarm see them.
    if ((expiry?.failed ?? 0) > 0) failed.push('expiry-notices (some)');
    if ((lapsed?.failed ?? 0) > 0) failed.push('lapsed-ledgers (some)');
    logger.info('Daily notices run', { ...report, failed });
    if (failed.length > 0) throw new Error(`Daily notices: ${failed.join(', ')} failed`);
    return report;
  };
}

export const createNoticesHandler = (options: NoticesOptions) =>
  middy<ScheduledEvent | Record<string, never>, NoticesReport, Error, Context>()
    .use(noticesMiddlewares(options))
    .handler(noticesHandler(options));

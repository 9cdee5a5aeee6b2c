import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import type { AgreementReader } from '../../lib/domain/contract/agreement.js';
import { syncWithAgreements } from '../../lib/domain/contract/agreement-sync.js';
import type { Clock, ContractRepository, EntitlementReader } from '../../lib/domain/contract/ports.js';
import type { ProductCatalog } from '../../lib/domain/product/catalog.js';
import { marketplaceTopics, NotificationParseError, toSyncCommand } from './schema.js';

export interface MarketplaceEventsOptions {
  readonly catalog: ProductCatalog;
  readonly contracts: ContractRepository;
  /** Built per invocation so marketplace retries can stop before the invocation's time runs out. */
  readonly entitlementsFor: (remainingMs: () => number) => EntitlementReader;
  /**
   * The Agreement API, built the same way: terms, and renewal chains under a new license. Absent
   * (AGREEMENT_API=off), contracts are kept from GetEntitlements alone.
   */
  readonly agreementsFor?: (remainingMs: () => number) => AgreementReader;
  /** The domain's clock: what is expired, what is current. Tests move it through a contract's term. */
  readonly clock: Clock;
  /**
   * The real time a record is handled, which no notification may be dated far beyond (see
   * `MAX_CLOCK_SKEW_MS`). Apart from `clock` because the fixtures' dates are real dates while tests
   * move `clock` freely. Default: the system clock.
   */
  readonly receivedClock?: Clock;
  readonly logger: Logger;
}

/**
 * The SQS consumer: each record is parsed into a sync command and synced on its own. A record
 * that fails (unparseable, marketplace down, lost races) is reported in `batchItemFailures`,
 * so SQS retries only it and finally moves it to the DLQ; the others are acknowledged. The
 * middy chain is `logContext` (Powertools' context on every line), then the batch handler; an
 * error that escapes it (none should) fails the invocation, so SQS retries the whole batch.
 */
export function marketplaceEventsMiddlewares(options: MarketplaceEventsOptions) {
  return [logContext(options.logger)];
}

/** The chain handler.ts builds, over other dependencies (tests, bench). */
export const createMarketplaceEventsHandler = (options: MarketplaceEventsOptions) =>
  middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(marketplaceEventsMiddlewares(options))
    .handler(batchHandler(options));

/** The handler at the end of the chain; Powertools' batch utility has no middleware. */
export function batchHandler(options: MarketplaceEventsOptions) {
  const { logger } = options;
  const processor = new BatchProcessor(EventType.SQS);
  const topicArns = marketplaceTopics(options.catalog);
  const received = options.receivedClock ?? { now: () => new Date() };

  async function processRecord(record: SQSRecord, context: Context): Promise<void> {
    const log = { messageId: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount };
    try {
      const sentAt = new Date(Number(record.attributes.SentTimestamp) || Date.now()).toISOString();
      const command = toSyncCommand(
        record.body,
        { messageId: record.messageId, sentAt },
        { topicArns, now: received.now() },
      );
      const remainingMs = () => context.getRemainingTimeInMillis();
      const entitlements = options.entitlementsFor(remainingMs);
      const agreements = options.agreementsFor?.(remainingMs);
      const { outcome, report } = await syncWithAgreements(command, {
        ...options,
        entitlements,
        ...(agreements ? { agreements } : {}),
      });
      if (outcome.status === 'ignored') {
        logger.warn('Notification for a product this deployment does not sell: acknowledged', {
          ...log,
          product: outcome.product,
        });
        return;
      }
      logger.info('Notification synced', {
        ...log,
        trigger: command.trigger,
        contracts: outcome.contracts,
        ...(report.enriched.length > 0 ? { enriched: report.enriched } : {}),
        ...(report.continued.length > 0 ? { continued: report.continued } : {}),
        ...(report.awaitingSuccessor.length > 0 ? { awaitingSuccessor: report.awaitingSuccessor } : {}),
      });
      if (report.failed.length > 0) {
        logger.warn(
          'Agreement API steps failed: the entitlements are synced; the sweep reads the terms later',
          {
            ...log,
            failed: report.failed,
          },
        );
      }
      if (report.notContinued.length > 0) {
        logger.warn('A renewal chain was not handed over: sales should look at it', {
          ...log,
          notContinued: report.notContinued,
        });
      }
    } catch (error) {
      const level = error instanceof NotificationParseError ? 'warn' : 'error';
      logger[level]('Notification failed: SQS will retry it, then dead-letter it', {
        ...log,
        error: error as Error,
      });
      throw error;
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, (record: SQSRecord) => processRecord(record, context), processor, {
      context,
      throwOnFullBatchFailure: false,
    });
}

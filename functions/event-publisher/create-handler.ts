import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { eventsOfRecord } from '../../lib/adapters/events/stream-records.js';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import type { EventTarget } from '../../lib/domain/events/ports.js';
import { publishRecords, type RecordEvents } from '../../lib/domain/events/publish.js';

export interface EventPublisherOptions {
  /** The configured targets (bus, delivery queue); none configured: events are only logged as counted. */
  readonly targets: readonly EventTarget[];
  readonly logger: Logger;
}

export const eventPublisherMiddlewares = (options: EventPublisherOptions) => [logContext(options.logger)];

/**
 * The stream consumer: each record (an audit entry, a notice claim, a ledger write that
 * committed) becomes its events, which go to every target. From the first record that did not
 * fully go out, `batchItemFailures` makes the stream deliver again in order; after the mapping's
 * retries (halving the batch) the range goes to the stream DLQ. A record that cannot be read
 * is such a failure too: logged, retried, dead-lettered, never skipped.
 */
export function eventPublisherHandler({ targets, logger }: EventPublisherOptions) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const records: RecordEvents[] = [];
    let unreadable: string | undefined;
    for (const record of event.Records) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
      try {
        records.push({ sequenceNumber, events: eventsOfRecord(record) });
      } catch (error) {
        logger.error('Stream record not readable as an event: retried, then dead-lettered', {
          sequenceNumber,
          sk: record.dynamodb?.Keys?.sk?.S,
          error: error as Error,
        });
        unreadable = sequenceNumber;
        break;
      }
    }
    const outcome = await publishRecords(records, targets);
    const failedFrom = outcome.failedFrom ?? unreadable;
    if (outcome.failedFrom !== undefined) {
      logger.warn('Events not published: the stream delivers them again from this record', {
        failedFrom: outcome.failedFrom,
        failures: outcome.failures,
      });
    }
    // From the batch's first record: an error, so that the mapping halves the batch (bisect) and a
    // record that can never go out ends alone in the DLQ, not with the good records behind it.
    // (A record without a sequence number cannot be named either: the whole batch then fails.)
    if (
      failedFrom !== undefined &&
      (failedFrom === '' || failedFrom === (event.Records[0]?.dynamodb?.SequenceNumber ?? ''))
    ) {
      throw new Error(
        `Events of the batch's first record (${failedFrom || 'no sequence number'}) not published`,
      );
    }
    logger.info('Events published', {
      records: event.Records.length,
      events: outcome.published,
      types: records.flatMap((r) => r.events.map((e) => e.type)),
    });
    return { batchItemFailures: failedFrom !== undefined ? [{ itemIdentifier: failedFrom }] : [] };
  };
}

/** The chain handler.ts builds, over other dependencies (tests, bench, local stack). */
export const createEventPublisherHandler = (options: EventPublisherOptions) =>
  middy<DynamoDBStreamEvent, DynamoDBBatchResponse, Error, Context>()
    .use(eventPublisherMiddlewares(options))
    .handler(eventPublisherHandler(options));

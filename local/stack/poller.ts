import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NOTIFICATION_QUEUE } from '../../infra/functions.js';
import { abortableSleep } from './abortable-sleep.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** A context per invocation (remaining time from the function's timeout). */
  readonly context: () => Context;
  readonly batchSize?: number;
  /**
   * Pause after an empty receive. The poller short-polls: local-aws-sqs holds a long poll for
   * its whole wait time and can hand out one message several times within it.
   */
  readonly idleDelayMs?: number;
  /** Told about every batch; the local stack prints one line per batch. */
  readonly onBatch?: (report: BatchReport) => void;
  /** Told when a receive or delete fails; the poller waits a moment and goes on. */
  readonly onError?: (error: unknown) => void;
}

export interface BatchReport {
  readonly size: number;
  readonly succeeded: number;
  /** Message ids left on the queue: they come back after the visibility timeout, then go to the DLQ. */
  readonly failed: readonly string[];
  /** The invocation itself threw (or answered nonsense): the whole batch stays on the queue. */
  readonly invocationError?: unknown;
  readonly receiveCounts: readonly number[];
}

export interface RunningPoller {
  readonly stats: { readonly batches: number; readonly succeeded: number; readonly failed: number };
  /** Stops receiving, lets the batch in hand finish, resolves when the loop has ended. */
  stop(): Promise<void>;
}

/**
 * What Lambda's SQS event source mapping does, on a laptop: receive up to `batchSize`
 * messages, invoke the handler with an `SQSEvent`, delete the messages it did not report in
 * `batchItemFailures` and leave the others, which SQS shows again after the visibility
 * timeout and moves to the DLQ after `maxReceiveCount` receives. An invocation that throws,
 * or reports an id that is not in the batch, leaves the whole batch (AWS: "Lambda treats the
 * whole batch as a failure").
 */
export function startPoller(options: PollerOptions): RunningPoller {
  const batchSize = options.batchSize ?? NOTIFICATION_QUEUE.batchSize;
  const idleDelayMs = options.idleDelayMs ?? 200;
  const stats = { batches: 0, succeeded: 0, failed: 0 };
  const abort = new AbortController();
  let stopping = false;

  /** Returns how many messages it handled. */
  async function pollOnce(): Promise<number> {
    const received = await options.client.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: 0,
        // This emulator returns system attributes only for 'All' (TOOLCHAIN.md).
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return 0;
    const records = messages.map((m) => toRecord(m, options.queueArn));
    const report = await invoke(records);
    stats.batches += 1;
    stats.succeeded += report.succeeded;
    stats.failed += report.failed.length;
    const failed = new Set(report.failed);
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    if (done.length > 0) {
      await options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
    options.onBatch?.(report);
    return messages.length;
  }

  async function invoke(records: SQSRecord[]): Promise<BatchReport> {
    const ids = records.map((r) => r.messageId);
    const receiveCounts = records.map((r) => Number(r.attributes.ApproximateReceiveCount));
    const base = { size: records.length, receiveCounts };
    let response: SQSBatchResponse | undefined;
    try {
      response = await options.handler({ Records: records }, options.context());
    } catch (error) {
      return { ...base, succeeded: 0, failed: ids, invocationError: error };
    }
    const reported = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
    if (reported.some((id) => !ids.includes(id))) {
      const error = new Error(`batchItemFailures names a message not in the batch: ${reported.join(', ')}`);
      return { ...base, succeeded: 0, failed: ids, invocationError: error };
    }
    return { ...base, succeeded: ids.length - new Set(reported).size, failed: [...new Set(reported)] };
  }

  const loop = (async () => {
    while (!stopping) {
      try {
        if ((await pollOnce()) === 0) await abortableSleep(idleDelayMs, abort.signal);
      } catch (error) {
        if (stopping) break;
        options.onError?.(error);
        await abortableSleep(1000, abort.signal);
      }
    }
  })();

  return {
    stats,
    async stop() {
      stopping = true;
      abort.abort();
      await loop;
    },
  };
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

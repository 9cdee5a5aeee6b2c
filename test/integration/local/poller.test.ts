import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTIFICATION_QUEUE } from '../../../infra/functions.js';
import { type RunningSqsLocal, startSqsLocal } from '../../../local/sqs-local.js';
import { invocationContext } from '../../../local/stack/invocation.js';
import { type BatchReport, startPoller } from '../../../local/stack/poller.js';

let sqs: RunningSqsLocal;

beforeAll(async () => {
  // Visibility 1 s so a failed message comes back within the test.
  sqs = await startSqsLocal({ visibilityTimeoutSeconds: 1 });
});
afterAll(async () => {
  await sqs?.close();
});

async function send(...bodies: string[]) {
  for (const body of bodies) {
    await sqs.client.send(new SendMessageCommand({ QueueUrl: sqs.queueUrl, MessageBody: body }));
  }
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('local SQS poller', () => {
  it('deletes what the handler did not report and redrives a failing message to the DLQ after maxReceiveCount receives', async () => {
    const seen = new Map<string, number[]>();
    const reports: BatchReport[] = [];
    const records: SQSRecord[] = [];
    const poller = startPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      queueArn: sqs.queueArn,
      context: () => invocationContext('marketplace-events'),
      handler: async (event: SQSEvent): Promise<SQSBatchResponse> => {
        for (const r of event.Records) {
          const counts = seen.get(r.body) ?? [];
          counts.push(Number(r.attributes.ApproximateReceiveCount));
          seen.set(r.body, counts);
          records.push(r);
        }
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      },
      onBatch: (report) => reports.push(report),
    });
    try {
      await send('good-1', 'poison', 'good-2');
      await until(async () => (await sqs.depth()).deadLetters === 1);
      expect(seen.get('good-1')).toEqual([1]);
      expect(seen.get('good-2')).toEqual([1]);
      // Received maxReceiveCount times, each a later receive, then moved to the DLQ.
      const poison = seen.get('poison') ?? [];
      expect(poison).toHaveLength(NOTIFICATION_QUEUE.maxReceiveCount);
      expect(poison).toEqual([...poison].sort((a, b) => a - b));
      expect((await sqs.depth()).queue).toBe(0);
      expect(poller.stats.failed).toBe(NOTIFICATION_QUEUE.maxReceiveCount);
      // Records shaped as Lambda's event source mapping delivers them (asserted here, not in the
      // handler, where a failed expect would only look like a failed message).
      for (const r of records) {
        expect(r).toMatchObject({
          eventSource: 'aws:sqs',
          eventSourceARN: sqs.queueArn,
          awsRegion: 'us-east-1',
        });
        expect(Number(r.attributes.SentTimestamp)).toBeGreaterThan(0);
      }
      expect(reports.map((r) => r.size).reduce((a, b) => a + b, 0)).toBe(records.length);
    } finally {
      await poller.stop();
    }
  }, 30_000);

  it('leaves the whole batch when the invocation throws, and when it reports an id that is not in the batch', async () => {
    let calls = 0;
    const receiveCounts: string[][] = [];
    const poller = startPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      queueArn: sqs.queueArn,
      context: () => invocationContext('marketplace-events'),
      handler: async (event: SQSEvent) => {
        calls += 1;
        receiveCounts.push(event.Records.map((r) => `${r.body}:${r.attributes.ApproximateReceiveCount}`));
        if (calls === 1) throw new Error('init failed');
        if (calls === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] };
        return { batchItemFailures: [] };
      },
    });
    try {
      await send('once');
      await until(() => calls >= 3);
      await until(async () => (await sqs.depth()).queue === 0);
      // The same message came back after each failed invocation (the emulator's exact counts
      // vary by one when a receive races its visibility timer, so only their order is checked).
      expect(receiveCounts).toHaveLength(3);
      const counts = receiveCounts.map(([record]) => Number(record?.split(':')[1]));
      expect(receiveCounts.every(([record]) => record?.startsWith('once:'))).toBe(true);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(new Set(counts).size).toBe(3);
      expect(poller.stats.succeeded).toBe(1);
    } finally {
      await poller.stop();
    }
  }, 30_000);

  it('stops promptly while idle on an empty queue', async () => {
    const poller = startPoller({
      client: sqs.client,
      queueUrl: sqs.queueUrl,
      queueArn: sqs.queueArn,
      context: () => invocationContext('marketplace-events'),
      handler: async () => ({ batchItemFailures: [] }),
      idleDelayMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 100));
    const before = Date.now();
    await poller.stop();
    expect(Date.now() - before).toBeLessThan(2_000);
  });
});

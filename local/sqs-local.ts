import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { DELIVERY_QUEUE, NOTIFICATION_QUEUE } from '../infra/functions.js';
import { DELIVERY_RETRY } from '../lib/domain/events/delivery.js';

export interface SqsLocalOptions {
  host?: string;
  /** 0 or absent: a free port. */
  port?: number;
  /**
   * Seconds a received message stays hidden. The deployed queue uses six times the consumer's
   * timeout (6 min); locally a failed message should come back while someone is watching.
   */
  visibilityTimeoutSeconds?: number;
}

/** A queue and its DLQ, as one of the stack's. */
export interface LocalQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
}

export interface RunningSqsLocal {
  readonly endpoint: string;
  /** The notifications queue, with the same redrive policy as the CDK app's. */
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly client: SQSClient;
  /** The delivery queue (webhooks, sales mails) and its DLQ, redriven as deployed (DELIVERY_RETRY). */
  readonly delivery: LocalQueue;
  /** Where the stream publisher's failed ranges go (the event source's on-failure destination). */
  readonly streamDeadLetterQueueUrl: string;
  /** Messages waiting (visible or in flight) in the queue and in the DLQ. */
  depth(): Promise<{ queue: number; deadLetters: number }>;
  close(): Promise<void>;
}

export const LOCAL_ACCOUNT_ID = '000000000000';
export const QUEUE_NAME = 'marketplace-notifications';
export const DEAD_LETTER_QUEUE_NAME = 'marketplace-notifications-dlq';

/**
 * Starts local-aws-sqs (an SQS JSON-protocol emulator, TOOLCHAIN.md) with the notifications
 * queue and its DLQ. The emulator moves a message to the DLQ itself once it has been received
 * `maxReceiveCount` times, as SQS does, so the poller never has to.
 */
export async function startSqsLocal(options: SqsLocalOptions = {}): Promise<RunningSqsLocal> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = await createSqsServer({
    port: options.port ?? 0,
    hostname: host,
    region: 'us-east-1',
    accountId: LOCAL_ACCOUNT_ID,
    emulateQueueCreationLifecycle: false,
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  const client = new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const close = () =>
    new Promise<void>((resolve) => {
      client.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  try {
    const dlq = await client.send(
      new CreateQueueCommand({
        QueueName: DEAD_LETTER_QUEUE_NAME,
        Attributes: { MessageRetentionPeriod: String(NOTIFICATION_QUEUE.retentionDays * 86_400) },
      }),
    );
    const dlqUrl = required(dlq.QueueUrl, 'DLQ url');
    const dlqArn = await queueArn(client, dlqUrl);
    const queue = await client.send(
      new CreateQueueCommand({
        QueueName: QUEUE_NAME,
        Attributes: {
          MessageRetentionPeriod: String(NOTIFICATION_QUEUE.retentionDays * 86_400),
          VisibilityTimeout: String(
            options.visibilityTimeoutSeconds ?? NOTIFICATION_QUEUE.visibilityTimeoutSeconds,
          ),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: NOTIFICATION_QUEUE.maxReceiveCount,
          }),
        },
      }),
    );
    const queueUrl = required(queue.QueueUrl, 'queue url');
    const deliveryDlq = required(
      (await client.send(new CreateQueueCommand({ QueueName: 'event-delivery-dlq' }))).QueueUrl,
      'delivery DLQ url',
    );
    const deliveryUrl = required(
      (
        await client.send(
          new CreateQueueCommand({
            QueueName: 'event-delivery',
            Attributes: {
              VisibilityTimeout: String(DELIVERY_QUEUE.visibilityTimeoutSeconds),
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: await queueArn(client, deliveryDlq),
                maxReceiveCount: DELIVERY_RETRY.maxReceiveCount,
              }),
            },
          }),
        )
      ).QueueUrl,
      'delivery queue url',
    );
    const streamDlq = required(
      (await client.send(new CreateQueueCommand({ QueueName: 'event-stream-dlq' }))).QueueUrl,
      'stream DLQ url',
    );
    return {
      endpoint,
      queueUrl,
      queueArn: await queueArn(client, queueUrl),
      deadLetterQueueUrl: dlqUrl,
      client,
      delivery: {
        queueUrl: deliveryUrl,
        queueArn: await queueArn(client, deliveryUrl),
        deadLetterQueueUrl: deliveryDlq,
      },
      streamDeadLetterQueueUrl: streamDlq,
      async depth() {
        const [q, d] = await Promise.all([count(client, queueUrl), count(client, dlqUrl)]);
        return { queue: q, deadLetters: d };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function queueArn(client: SQSClient, queueUrl: string): Promise<string> {
  const out = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return required(out.Attributes?.QueueArn, 'queue ARN');
}

/** ApproximateNumberOfMessages: in this emulator it counts in-flight messages too (TOOLCHAIN.md). */
async function count(client: SQSClient, queueUrl: string): Promise<number> {
  const out = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`local SQS returned no ${what}`);
  return value;
}

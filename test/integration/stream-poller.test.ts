import { CreateTableCommand, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  type DescribeStreamInput,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  type GetRecordsInput,
  type GetShardIteratorInput,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { keys, type TableKey } from '../../lib/adapters/dynamodb/keys.js';
import { contractTableDefinition } from '../../lib/adapters/dynamodb/table.js';
import {
  type RunningStreamPoller,
  type StreamBatchReport,
  type StreamFailure,
  type StreamPollerOptions,
  startStreamPoller,
} from '../../local/stack/stream-poller.js';
import { contractTableStreamArn, ensureContractTable } from '../../local/stack/table.js';
import { lambdaContext } from '../support/lambda-context.js';
import { createTestTable, type TestTable } from '../support/table.js';

const CONTRACT = 'c-stream-0001';
const BUSINESS = 'b-stream-0001';
const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

let streams: DynamoDBStreamsClient;
let table: TestTable;
let streamArn: string;
const running: RunningStreamPoller[] = [];
/** onError calls of every poller: none of these cases should make any. */
const errors: unknown[] = [];

beforeAll(() => {
  streams = new DynamoDBStreamsClient({ endpoint: inject('dynamoEndpoint'), ...LOCAL });
});
afterAll(() => {
  streams.destroy();
});
beforeEach(async () => {
  table = await createTestTable(inject('dynamoEndpoint'), { stream: true });
  streamArn = await contractTableStreamArn(inject('dynamoEndpoint'), table.tableName);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  await table.drop();
  expect(errors.splice(0)).toEqual([]);
});

/** What the poller did, kept for assertions after it is drained (a failed expect in a handler would only look like a failed record). */
interface Observed {
  readonly batches: string[][];
  readonly records: DynamoDBRecord[];
  readonly reports: StreamBatchReport[];
  readonly failures: StreamFailure[];
  readonly checkpoints: [string, string][];
}

type Handler = (event: DynamoDBStreamEvent, call: number) => Promise<DynamoDBBatchResponse | undefined>;

function poll(handler: Handler, options: Partial<StreamPollerOptions> = {}) {
  const seen: Observed = { batches: [], records: [], reports: [], failures: [], checkpoints: [] };
  let calls = 0;
  const poller = startStreamPoller({
    client: streams,
    streamArn,
    context: () => lambdaContext(),
    retryAttempts: 3,
    idleDelayMs: 20,
    handler: async (event) => {
      calls += 1;
      seen.batches.push(event.Records.map(skOf));
      seen.records.push(...event.Records);
      return handler(event, calls);
    },
    onBatch: (report) => seen.reports.push(report),
    onFailure: (info) => {
      seen.failures.push(info);
    },
    onCheckpoint: (shardId, sequenceNumber) => seen.checkpoints.push([shardId, sequenceNumber]),
    onError: (error) => errors.push(error),
    ...options,
  });
  running.push(poller);
  return { poller, seen };
}

const skOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.sk?.S ?? '';
const sequenceOf = (record: DynamoDBRecord | undefined) => record?.dynamodb?.SequenceNumber ?? '';
const succeed = async () => ({ batchItemFailures: [] });
const auditKey = (n: number) => keys.audit(CONTRACT, n);

async function put(key: TableKey, attributes: Record<string, unknown> = {}) {
  await table.client.send(new PutCommand({ TableName: table.tableName, Item: { ...key, ...attributes } }));
}

async function writeAudits(...numbers: number[]) {
  for (const n of numbers) await put(auditKey(n), { contractId: CONTRACT, version: n });
}

describe('local DynamoDB stream poller', () => {
  it('delivers only the records the filters pass, in order and shaped as Lambda delivers them', async () => {
    await writeAudits(1);
    await put(keys.ledger(BUSINESS), { credits: 100, digest: new Uint8Array([1, 2, 3]) });
    await table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: keys.ledger(BUSINESS),
        UpdateExpression: 'SET credits = :credits',
        ExpressionAttributeValues: { ':credits': 80 },
      }),
    );
    await put(keys.contract(CONTRACT), { status: 'active' });
    await put(keys.ledgerLapse(BUSINESS), { earliestExpiry: '2027-03-29T05:10:00.000Z' });
    await table.client.send(new DeleteCommand({ TableName: table.tableName, Key: keys.ledger(BUSINESS) }));

    const { poller, seen } = poll(succeed);
    await poller.idle();

    expect(seen.records.map((r) => `${r.eventName} ${skOf(r)}`)).toEqual([
      `INSERT ${auditKey(1).sk}`,
      'INSERT LEDGER',
      'MODIFY LEDGER',
    ]);
    expect(poller.stats).toMatchObject({ succeeded: 3, filtered: 3, failed: 0 });
    const [audit, inserted, modified] = seen.records;
    expect(audit).toMatchObject({
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: streamArn,
      dynamodb: {
        Keys: { pk: { S: auditKey(1).pk }, sk: { S: auditKey(1).sk } },
        NewImage: { pk: { S: auditKey(1).pk }, contractId: { S: CONTRACT }, version: { N: '1' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(audit?.dynamodb?.OldImage).toBeUndefined();
    expect(typeof audit?.dynamodb?.ApproximateCreationDateTime).toBe('number');
    expect(audit?.dynamodb?.ApproximateCreationDateTime).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(audit?.dynamodb?.SizeBytes).toBeGreaterThan(0);
    // Binary attributes arrive base64-encoded, as in Lambda's JSON event.
    expect(inserted?.dynamodb?.NewImage?.digest).toEqual({ B: 'AQID' });
    expect(modified?.dynamodb?.OldImage?.credits).toEqual({ N: '100' });
    expect(modified?.dynamodb?.NewImage?.credits).toEqual({ N: '80' });
    // Plain JSON: nothing a serialized Lambda event could not carry.
    expect(JSON.parse(JSON.stringify(seen.records))).toEqual(seen.records);
    // The filtered-out records after the last delivered one are checkpointed too.
    const sequences = seen.records.map(sequenceOf);
    expect(sequences).toEqual([...sequences].sort());
    expect(BigInt(seen.checkpoints.at(-1)?.[1] ?? '0')).toBeGreaterThan(BigInt(sequences.at(-1) ?? '0'));
  });

  it('retries from the lowest reported failure and does not deliver the records before it again', async () => {
    await writeAudits(1, 2, 3, 4);
    const { poller, seen } = poll(async (event, call) =>
      call === 1
        ? {
            batchItemFailures: [
              { itemIdentifier: sequenceOf(event.Records[3]) },
              { itemIdentifier: sequenceOf(event.Records[2]) },
            ],
          }
        : { batchItemFailures: [] },
    );
    await poller.idle();

    const [a1, a2, a3, a4] = [1, 2, 3, 4].map((n) => auditKey(n).sk);
    expect(seen.batches).toEqual([
      [a1, a2, a3, a4],
      [a3, a4],
    ]);
    expect(seen.reports[0]).toMatchObject({ size: 4, succeeded: 2, retry: 0 });
    expect(seen.reports[0]?.retryFrom).toBe(sequenceOf(seen.records[2]));
    expect(seen.reports[1]).toMatchObject({ size: 2, succeeded: 2, retry: 1 });
    expect(seen.checkpoints.map(([, s]) => s)).toEqual([
      sequenceOf(seen.records[1]),
      sequenceOf(seen.records[5]),
    ]);
    expect(poller.stats).toMatchObject({ batches: 2, retries: 1, succeeded: 4, failed: 0 });
  });

  it('gives a record that always fails to onFailure after retryAttempts, and later records still arrive', async () => {
    await writeAudits(1, 2, 3, 4, 5);
    const poison = auditKey(3).sk;
    const { poller, seen } = poll(async (event) => ({
      batchItemFailures: event.Records.filter((r) => skOf(r) === poison).map((r) => ({
        itemIdentifier: sequenceOf(r),
      })),
    }));
    await poller.idle();

    const [a1, a2, a3, a4, a5] = [1, 2, 3, 4, 5].map((n) => auditKey(n).sk);
    // Bisected at the failure, then halved until the poison record is alone: 1 try + 3 retries.
    expect(seen.batches).toEqual([[a1, a2, a3, a4, a5], [a3, a4, a5], [a3, a4], [a3], [a4, a5]]);
    const poisonRecord = seen.records.find((r) => skOf(r) === poison);
    expect(seen.failures).toEqual([
      expect.objectContaining({
        streamArn,
        shardId: seen.reports[0]?.shardId,
        startSequenceNumber: sequenceOf(poisonRecord),
        endSequenceNumber: sequenceOf(poisonRecord),
        batchSize: 1,
        reason: 'RetryAttemptsExhausted',
        attempts: 4,
      }),
    ]);
    expect(Date.parse(seen.failures[0]?.approximateArrivalOfFirstRecord ?? '')).toBeGreaterThan(0);
    expect(poller.stats).toMatchObject({ succeeded: 4, failed: 1 });
    expect(seen.checkpoints.at(-1)?.[1]).toBe(sequenceOf(seen.records.at(-1)));
  });

  it('halves a batch whose invocation throws, until a record that keeps throwing is alone', async () => {
    await writeAudits(1, 2, 3, 4);
    const crash = new Error('publisher crashed');
    const { poller, seen } = poll(async (event) => {
      if (event.Records.some((r) => skOf(r) === auditKey(3).sk)) throw crash;
      return undefined;
    });
    await poller.idle();

    const [a1, a2, a3, a4] = [1, 2, 3, 4].map((n) => auditKey(n).sk);
    expect(seen.batches).toEqual([[a1, a2, a3, a4], [a1, a2], [a3, a4], [a3], [a3], [a3], [a4]]);
    expect(seen.reports[0]).toMatchObject({ size: 4, succeeded: 0, invocationError: crash });
    expect(seen.failures).toEqual([
      expect.objectContaining({ batchSize: 1, reason: 'RetryAttemptsExhausted', lastError: crash }),
    ]);
    expect(poller.stats).toMatchObject({ succeeded: 3, failed: 1 });
  });

  it('fails the whole batch when an itemIdentifier is empty or not in the batch', async () => {
    await writeAudits(1, 2);
    const { poller, seen } = poll(async (_event, call) => {
      if (call === 1) return { batchItemFailures: [{ itemIdentifier: '' }] };
      if (call === 2) return { batchItemFailures: [{ itemIdentifier: '000000000000000000999' }] };
      return undefined;
    });
    await poller.idle();

    const [a1, a2] = [1, 2].map((n) => auditKey(n).sk);
    expect(seen.batches).toEqual([[a1, a2], [a1], [a1], [a2]]);
    expect(seen.reports[0]?.invocationError).toBeInstanceOf(Error);
    expect(String(seen.reports[1]?.invocationError)).toMatch(/not a sequence number of this batch/);
    expect(poller.stats).toMatchObject({ succeeded: 2, failed: 0 });
  });

  it('gives up on records older than maxRecordAgeSeconds instead of retrying them', async () => {
    await writeAudits(1, 2);
    let offsetMs = 0;
    const { poller, seen } = poll(
      async () => {
        offsetMs = 2 * 3600_000;
        throw new Error('down');
      },
      { retryAttempts: 100, maxRecordAgeSeconds: 3600, now: () => Date.now() + offsetMs },
    );
    await poller.idle();

    expect(seen.batches).toHaveLength(1);
    // Both at once, although the failed invocation halved the batch.
    expect(seen.failures).toEqual([
      expect.objectContaining({
        batchSize: 2,
        reason: 'RecordAgeExceeded',
        startSequenceNumber: sequenceOf(seen.records[0]),
        endSequenceNumber: sequenceOf(seen.records[1]),
      }),
    ]);
    expect(poller.stats).toMatchObject({ failed: 2, succeeded: 0 });
  });

  it('gets no records for a transaction that was cancelled, and all of one that committed', async () => {
    await put(keys.ledger(BUSINESS), { credits: 100 });
    const transaction = (condition: string) =>
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table.tableName, Item: { ...auditKey(1), contractId: CONTRACT } } },
          {
            Update: {
              TableName: table.tableName,
              Key: keys.ledger(BUSINESS),
              UpdateExpression: 'SET credits = :credits',
              ConditionExpression: condition,
              ExpressionAttributeValues: { ':credits': 50 },
            },
          },
        ],
      });
    await expect(table.client.send(transaction('attribute_not_exists(pk)'))).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
    await table.client.send(transaction('attribute_exists(pk)'));

    const { poller, seen } = poll(succeed);
    await poller.idle();

    expect(seen.records.map((r) => `${r.eventName} ${skOf(r)}`)).toEqual([
      'INSERT LEDGER',
      `INSERT ${auditKey(1).sk}`,
      'MODIFY LEDGER',
    ]);
  });

  it('resumes after the checkpointed sequence number, and reads only new records from LATEST', async () => {
    await writeAudits(1, 2, 3);
    const first = poll(succeed);
    await first.poller.idle();
    await first.poller.stop();
    const [shardId, last] = first.seen.checkpoints.at(-1) ?? ['', ''];

    const afterFirst = poll(succeed, {
      startAt: { checkpoints: { [shardId]: sequenceOf(first.seen.records[0]) } },
    });
    await afterFirst.poller.idle();
    expect(afterFirst.seen.records.map(skOf)).toEqual([auditKey(2).sk, auditKey(3).sk]);

    await writeAudits(4);
    const resumed = poll(succeed, { startAt: { checkpoints: { [shardId]: last } } });
    const latest = poll(succeed, { startAt: 'LATEST' });
    await latest.poller.idle();
    await writeAudits(5);
    await Promise.all([resumed.poller.idle(), latest.poller.idle()]);
    expect(resumed.seen.records.map(skOf)).toEqual([auditKey(4).sk, auditKey(5).sk]);
    expect(latest.seen.records.map(skOf)).toEqual([auditKey(5).sk]);
  });

  it('stops promptly when idle, and lets the invocation in hand finish first', async () => {
    const quiet = poll(succeed, { idleDelayMs: 60_000 });
    await quiet.poller.idle();
    const before = Date.now();
    await quiet.poller.stop();
    expect(Date.now() - before).toBeLessThan(1_000);
    await quiet.poller.idle();

    let release = () => {};
    let entered = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const busy = poll(
      () =>
        new Promise((resolve) => {
          entered();
          release = () => resolve(undefined);
        }),
    );
    await writeAudits(1);
    await inHandler;
    let stopped = false;
    const stopping = busy.poller.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(busy.poller.stats.succeeded).toBe(1);
    expect(busy.seen.checkpoints).toHaveLength(1);
  });

  it('turns the stream on for a kept table created without one', async () => {
    const name = `nostream-${Date.now()}`;
    const admin = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), ...LOCAL });
    try {
      await admin.send(
        new CreateTableCommand({ ...contractTableDefinition(name), StreamSpecification: undefined }),
      );
      await expect(contractTableStreamArn(inject('dynamoEndpoint'), name)).rejects.toThrow(/no stream/);
      expect(await ensureContractTable(inject('dynamoEndpoint'), name)).toBe(false);
      const arn = await contractTableStreamArn(inject('dynamoEndpoint'), name);
      expect(arn).toMatch(new RegExp(`table/${name}/stream/`));
      // Idempotent: the next start finds the stream on.
      expect(await ensureContractTable(inject('dynamoEndpoint'), name)).toBe(false);
      expect(await contractTableStreamArn(inject('dynamoEndpoint'), name)).toBe(arn);
    } finally {
      admin.destroy();
    }
  });
});

/**
 * A stream whose shard rolls while it is read (DynamoDB closes a shard and opens a child every
 * few hours, DynamoDB Local too): a real client whose requests a middleware answers, so that
 * DescribeStream pagination, a parent's end and an expired iterator happen on cue.
 */
function rollingStream() {
  const arn = 'arn:aws:dynamodb:ddblocal:000000000000:table/rolling/stream/2026-06-01T09:00:00.000';
  const shards: { shard: Shard; records: _Record[]; closed: boolean }[] = [];
  const calls: string[] = [];
  let sequence = 0;
  let expireNext = false;
  const record = (n: number): _Record => {
    sequence += 1;
    const key = { pk: { S: keys.audit(CONTRACT, n).pk }, sk: { S: keys.audit(CONTRACT, n).sk } };
    return {
      eventID: `event-${sequence}`,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'ddblocal',
      dynamodb: {
        ApproximateCreationDateTime: new Date(),
        Keys: key,
        NewImage: key,
        SequenceNumber: String(sequence).padStart(21, '0'),
        SizeBytes: 40,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
  };
  const open = (id: string, parent?: string) => {
    const entry = {
      shard: { ShardId: id, ParentShardId: parent, SequenceNumberRange: {} },
      records: [],
      closed: false,
    };
    shards.push(entry);
    return entry;
  };
  const find = (id: string | undefined) => {
    const entry = shards.find((s) => s.shard.ShardId === id);
    if (!entry) throw new Error(`no shard ${id}`);
    return entry;
  };
  const client = new DynamoDBStreamsClient(LOCAL);
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const answer = (output: object) => ({ output: { ...output, $metadata: {} }, response: {} });
      if (context.commandName === 'DescribeStreamCommand') {
        // One shard a page, the child listed before its parent.
        const { ExclusiveStartShardId } = args.input as DescribeStreamInput;
        const listed = [...shards].reverse();
        const from = listed.findIndex((s) => s.shard.ShardId === ExclusiveStartShardId) + 1;
        const page = listed.slice(from, from + 1);
        calls.push('DescribeStream');
        return answer({
          StreamDescription: {
            StreamArn: arn,
            Shards: page.map((s) => s.shard),
            LastEvaluatedShardId: from + 1 < listed.length ? page[0]?.shard.ShardId : undefined,
          },
        });
      }
      if (context.commandName === 'GetShardIteratorCommand') {
        const { ShardId, ShardIteratorType, SequenceNumber } = args.input as GetShardIteratorInput;
        calls.push(`GetShardIterator ${ShardId} ${ShardIteratorType}`);
        const { records } = find(ShardId);
        const after = records.findIndex((r) => r.dynamodb?.SequenceNumber === SequenceNumber) + 1;
        const at = { TRIM_HORIZON: 0, LATEST: records.length, AFTER_SEQUENCE_NUMBER: after }[
          String(ShardIteratorType)
        ];
        return answer({ ShardIterator: `${ShardId}|${at}` });
      }
      const [id, at] = String((args.input as GetRecordsInput).ShardIterator).split('|');
      const entry = find(id);
      if (expireNext) {
        expireNext = false;
        throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
      }
      const from = Number(at);
      const records = entry.records.slice(from, from + 1000);
      const next = from + records.length;
      calls.push(`GetRecords ${id} ${records.length}`);
      return answer({
        Records: records,
        NextShardIterator: entry.closed && next >= entry.records.length ? undefined : `${id}|${next}`,
      });
    },
    { step: 'initialize', name: 'simulatedStream' },
  );
  return {
    arn,
    client,
    calls,
    open,
    write: (shardId: string, ...numbers: number[]) => find(shardId).records.push(...numbers.map(record)),
    close: (shardId: string) => {
      find(shardId).closed = true;
    },
    expireNextIterator: () => {
      expireNext = true;
    },
  };
}

describe('stream poller on a shard that rolls', () => {
  it('reads a parent to its end before its child, through paginated DescribeStream and an expired iterator', async () => {
    const stream = rollingStream();
    try {
      stream.open('shardId-parent');
      stream.write('shardId-parent', 1);
      const { poller, seen } = poll(succeed, { client: stream.client, streamArn: stream.arn });
      await poller.idle();

      // The shard rolls: its last record, then it closes and a child takes the next writes.
      stream.write('shardId-parent', 2);
      stream.open('shardId-child', 'shardId-parent');
      stream.write('shardId-child', 3, 4);
      stream.close('shardId-parent');
      stream.expireNextIterator();
      await poller.idle();

      expect(seen.records.map(skOf)).toEqual([1, 2, 3, 4].map((n) => auditKey(n).sk));
      expect(seen.records.every((r) => r.eventSourceARN === stream.arn && r.awsRegion === 'us-east-1')).toBe(
        true,
      );
      const childOpened = stream.calls.indexOf('GetShardIterator shardId-child TRIM_HORIZON');
      const parentRead = stream.calls.lastIndexOf('GetRecords shardId-parent 1');
      expect(childOpened).toBeGreaterThan(parentRead);
      // The expired iterator was replaced by a fresh one where reading had got to.
      expect(stream.calls.filter((c) => c.startsWith('GetShardIterator shardId-parent'))).toHaveLength(2);
      expect(new Set(seen.checkpoints.map(([shardId]) => shardId))).toEqual(
        new Set(['shardId-parent', 'shardId-child']),
      );
    } finally {
      stream.client.destroy();
    }
  });
});

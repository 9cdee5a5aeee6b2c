import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  type AttributeValue as SdkAttributeValue,
  type _Record as SdkRecord,
  type Shard as SdkShard,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type {
  AttributeValue,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { EVENT_STREAM } from '../../infra/functions.js';
import { abortableSleep } from './abortable-sleep.js';
import { matchesFilters } from './event-filter.js';

export type StreamHandler = (
  event: DynamoDBStreamEvent,
  context: Context,
  // biome-ignore lint/suspicious/noConfusingVoidType: aws-lambda's DynamoDBStreamHandler returns `DynamoDBBatchResponse | void`; handlers typed so must fit.
) => Promise<DynamoDBBatchResponse | undefined | void>;

/** Where reading starts: the oldest record, new records only, or after the sequence numbers a previous run reached. */
export type StreamStart =
  | 'TRIM_HORIZON'
  | 'LATEST'
  | { readonly checkpoints: Readonly<Record<string, string>> };

export interface StreamPollerOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly handler: StreamHandler;
  /** A context per invocation (remaining time from the function's timeout). */
  readonly context: () => Context;
  /**
   * Lambda filter patterns, matched against the Lambda-shaped record; records no pattern matches
   * are dropped without an invocation. Default `EVENT_STREAM.filters`; `[]`: deliver every record
   * (a mapping without filter criteria).
   */
  readonly filters?: readonly object[];
  /** Default `EVENT_STREAM.batchSize`. */
  readonly batchSize?: number;
  /** Retries of a failing record range before it goes to `onFailure`; -1: no limit (then only the age ends them). Default `EVENT_STREAM.retryAttempts`. */
  readonly retryAttempts?: number;
  /** Records older than this go to `onFailure` instead of the handler; -1: no limit. Default `EVENT_STREAM.maxRecordAgeSeconds`. */
  readonly maxRecordAgeSeconds?: number;
  /** Pause once every shard has been read to its end. Default 200 ms. */
  readonly idleDelayMs?: number;
  /** Default `TRIM_HORIZON`. Shards that appear later are always read from their start. */
  readonly startAt?: StreamStart;
  /** The clock record ages are measured with (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Told each time a shard's records up to `sequenceNumber` are done (delivered, filtered out or given up). */
  readonly onCheckpoint?: (shardId: string, sequenceNumber: string) => void;
  /** Told about every invocation; the local stack prints one line per batch. */
  readonly onBatch?: (report: StreamBatchReport) => void;
  /**
   * The on-failure destination: gets a discarded range's metadata, never its records, as Lambda
   * sends to SQS. If it rejects, the range stays and the call is tried again a second later.
   * Without it, the range is reported to `onError` as a `StreamRecordsDiscardedError`.
   */
  readonly onFailure?: (info: StreamFailure) => void | Promise<void>;
  /** Told when a stream call or a callback fails; the poller waits a moment and goes on. */
  readonly onError?: (error: unknown) => void;
}

export interface StreamBatchReport {
  readonly shardId: string;
  readonly size: number;
  readonly firstSequenceNumber: string;
  readonly lastSequenceNumber: string;
  /** 0 on the first try of the batch's first record, n on its nth retry. */
  readonly retry: number;
  /** Records done (checkpointed) by this invocation. */
  readonly succeeded: number;
  /** The record the next invocation starts from, when not all succeeded. */
  readonly retryFrom?: string;
  /** The invocation threw, or answered with an identifier not in the batch: the whole batch failed. */
  readonly invocationError?: unknown;
}

/** What Lambda's on-failure destination receives for a stream (`DDBStreamBatchInfo`, plus why). */
export interface StreamFailure {
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  /** ISO-8601, from the records' ApproximateCreationDateTime. */
  readonly approximateArrivalOfFirstRecord: string;
  readonly approximateArrivalOfLastRecord: string;
  readonly reason: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
  /** Invocations of the range's first record, failed ones included. */
  readonly attempts: number;
  /** What the last invocation threw or reported, when retries ran out. */
  readonly lastError?: unknown;
}

export class StreamRecordsDiscardedError extends Error {
  override name = 'StreamRecordsDiscardedError';
  constructor(readonly info: StreamFailure) {
    super(
      `${info.batchSize} stream record(s) ${info.startSequenceNumber}…${info.endSequenceNumber} of ` +
        `${info.shardId} discarded: ${info.reason}`,
    );
  }
}

export interface StreamPollerStats {
  /** Invocations. */
  readonly batches: number;
  /** Invocations that were retries. */
  readonly retries: number;
  /** Records done after an invocation. */
  readonly succeeded: number;
  /** Records given up on (sent to `onFailure`). */
  readonly failed: number;
  /** Records no filter matched. */
  readonly filtered: number;
}

export interface RunningStreamPoller {
  readonly stats: StreamPollerStats;
  /** Stops reading, lets the invocation in hand finish, resolves when the loop has ended. */
  stop(): Promise<void>;
  /**
   * Resolves once every shard has been read up to its current end (as of this call) and no record
   * is in hand or waiting for a retry: "the stream is drained". Resolves at once after `stop()`.
   */
  idle(): Promise<void>;
}

interface Pending {
  readonly record: DynamoDBRecord;
  readonly sequenceNumber: string;
  /** Checkpoint once this record is done: it, or the last filtered-out record read after it. */
  through: string;
  readonly arrivalMs: number;
}

interface Position {
  readonly type: ShardIteratorType;
  readonly sequenceNumber?: string;
}

interface ShardState {
  readonly id: string;
  readonly parentId: string | undefined;
  /** Where it was first opened, to reopen there when nothing was read yet. */
  readonly origin: Position;
  /** Set until the shard has an iterator. */
  opening: Position | undefined;
  /** Undefined once opened: the shard is closed and read to its end. */
  iterator: string | undefined;
  finished: boolean;
  /** Matching records read and not yet done, in order. */
  buffer: Pending[];
  lastRead: string | undefined;
  /** Failed invocations of the buffer's first record. */
  attempts: number;
  /** Batch size after bisecting. */
  limit: number;
  retryAt: number;
  giveUp: { info: StreamFailure; count: number } | undefined;
}

const GET_RECORDS_LIMIT = 1000;
const DESCRIBE_INTERVAL_MS = 5_000;
const ERROR_PAUSE_MS = 1_000;
const MAX_BACKOFF_MS = 1_000;

/**
 * What Lambda's DynamoDB-stream event source mapping does, on a laptop, against DynamoDB Local
 * (AWS Lambda Developer Guide, "Using event filtering with a DynamoDB event source" and
 * "Configuring partial batch response with DynamoDB and Lambda"):
 *
 * 1. Every shard of the stream (DescribeStream, children once their parent is read to its end)
 *    is read in order; one shard's records are never handled in parallel or out of order.
 * 2. Records no filter pattern matches are dropped, never invoked.
 * 3. Up to `batchSize` matching records per invocation, shaped as Lambda delivers them.
 * 4. `batchItemFailures` (ReportBatchItemFailures): the records before the lowest failed sequence
 *    number are done; the rest of that batch is tried again. An identifier that is empty or not
 *    in the batch, or an invocation that throws, fails the whole batch, which is halved before
 *    the retry (BisectBatchOnFunctionError); so is a failure at the batch's first record.
 * 5. After `retryAttempts` retries of a range's first record, or when its oldest record is older
 *    than `maxRecordAgeSeconds`, the range's metadata goes to `onFailure` and reading goes on
 *    past it. Retries wait 100 ms × attempt (at most 1 s).
 */
export function startStreamPoller(options: StreamPollerOptions): RunningStreamPoller {
  const batchSize = options.batchSize ?? EVENT_STREAM.batchSize;
  const retryAttempts = options.retryAttempts ?? EVENT_STREAM.retryAttempts;
  const maxRecordAgeSeconds = options.maxRecordAgeSeconds ?? EVENT_STREAM.maxRecordAgeSeconds;
  const idleDelayMs = options.idleDelayMs ?? 200;
  const filters = options.filters ?? EVENT_STREAM.filters;
  const startAt = options.startAt ?? 'TRIM_HORIZON';
  const clock = options.now ?? Date.now;
  const { client, streamArn } = options;
  const stats = { batches: 0, retries: 0, succeeded: 0, failed: 0, filtered: 0 };
  const shards = new Map<string, ShardState>();
  const waiters: (() => void)[] = [];
  const abort = new AbortController();
  const signal = abort.signal;
  let stopping = false;
  let region = 'us-east-1';
  let described = false;

  async function describe(): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const out = await client.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
        { abortSignal: signal },
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, newShard(shard));
      }
      exclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    described = true;
  }

  function newShard(shard: SdkShard): ShardState {
    const id = shard.ShardId ?? '';
    const checkpoint = typeof startAt === 'object' ? startAt.checkpoints[id] : undefined;
    let origin: Position = { type: 'TRIM_HORIZON' };
    if (checkpoint !== undefined) origin = { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint };
    // LATEST applies to the shards there at the start; a shard born later holds only new records.
    else if (startAt === 'LATEST' && !described) origin = { type: 'LATEST' };
    const closedAtStart = origin.type === 'LATEST' && shard.SequenceNumberRange?.EndingSequenceNumber;
    return {
      id,
      parentId: shard.ParentShardId,
      origin,
      opening: origin,
      iterator: undefined,
      finished: Boolean(closedAtStart),
      buffer: [],
      lastRead: undefined,
      attempts: 0,
      limit: batchSize,
      retryAt: 0,
      giveUp: undefined,
    };
  }

  function eligible(shard: ShardState): boolean {
    if (shard.finished) return false;
    const parent = shard.parentId === undefined ? undefined : shards.get(shard.parentId);
    // A parent no longer listed has been trimmed away.
    return parent === undefined || parent.finished;
  }

  async function open(shard: ShardState, position: Position): Promise<void> {
    try {
      const out = await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard.id,
          ShardIteratorType: position.type,
          SequenceNumber: position.sequenceNumber,
        }),
        { abortSignal: signal },
      );
      shard.iterator = out.ShardIterator;
      shard.opening = undefined;
    } catch (error) {
      if (error instanceof TrimmedDataAccessException && position.type !== 'TRIM_HORIZON') {
        // Records after the checkpoint are gone (older than the stream keeps): say so, read what is left.
        report(error);
        shard.opening = { type: 'TRIM_HORIZON' };
        return open(shard, shard.opening);
      }
      if (error instanceof ResourceNotFoundException) {
        // The shard has been trimmed away since DescribeStream listed it.
        shard.finished = true;
        shard.opening = undefined;
        return;
      }
      throw error;
    }
  }

  /** Reads one page into the buffer; returns how many records the stream gave (filtered ones included). */
  async function read(shard: ShardState): Promise<number> {
    let out: Awaited<ReturnType<typeof getRecords>>;
    try {
      out = await getRecords(shard.iterator);
    } catch (error) {
      if (error instanceof ExpiredIteratorException) {
        await open(shard, resumePosition(shard));
      } else if (error instanceof TrimmedDataAccessException) {
        // The records the iterator points at are older than the stream keeps: say so, go on from the oldest kept.
        report(error);
        await open(shard, { type: 'TRIM_HORIZON' });
      } else {
        throw error;
      }
      out = await getRecords(shard.iterator);
    }
    // The whole page is converted and filtered before anything is kept, so a throw loses no record:
    // the same iterator reads the page again.
    const records = out.Records ?? [];
    const page = records.map((raw) => {
      const record = toLambdaRecord(raw, streamArn, region);
      const matched = filters.length === 0 || matchesFilters(record, filters);
      const arrivalMs = raw.dynamodb?.ApproximateCreationDateTime?.getTime() ?? clock();
      return { record, sequenceNumber: record.dynamodb?.SequenceNumber ?? '', matched, arrivalMs };
    });
    shard.iterator = out.NextShardIterator;
    for (const { record, sequenceNumber, matched, arrivalMs } of page) {
      shard.lastRead = sequenceNumber;
      if (matched) {
        shard.buffer.push({ record, sequenceNumber, through: sequenceNumber, arrivalMs });
        continue;
      }
      stats.filtered += 1;
      const last = shard.buffer.at(-1);
      if (last) last.through = sequenceNumber;
    }
    if (records.length > 0 && shard.buffer.length === 0 && shard.lastRead) {
      options.onCheckpoint?.(shard.id, shard.lastRead);
    }
    return records.length;
  }

  function getRecords(iterator: string | undefined) {
    return client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }), {
      abortSignal: signal,
    });
  }

  function resumePosition(shard: ShardState): Position {
    return shard.lastRead === undefined
      ? shard.origin
      : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: shard.lastRead };
  }

  const batchLimit = (shard: ShardState) => Math.min(batchSize, shard.limit);

  /** One step on one shard; returns whether it got anywhere (read, invoked, finished). */
  async function step(shard: ShardState): Promise<boolean> {
    if (shard.opening) await open(shard, shard.opening);
    if (shard.finished) return true;
    if (shard.giveUp) {
      await handOver(shard);
      return true;
    }
    let progressed = false;
    while (!stopping && shard.iterator !== undefined && shard.buffer.length < batchLimit(shard)) {
      if ((await read(shard)) === 0) break;
      progressed = true;
    }
    if (stopping) return progressed;
    if (shard.buffer.length > 0) {
      await deliver(shard);
      return true;
    }
    if (shard.iterator === undefined) {
      shard.finished = true;
      return true;
    }
    return progressed;
  }

  async function deliver(shard: ShardState): Promise<void> {
    if (maxRecordAgeSeconds >= 0) {
      // Expired records go as one range of up to a batch, whatever a bisection left the limit at.
      const candidates = shard.buffer.slice(0, batchSize);
      const oldest = clock() - maxRecordAgeSeconds * 1000;
      const fresh = candidates.findIndex((p) => p.arrivalMs >= oldest);
      const expired = fresh === -1 ? candidates.length : fresh;
      if (expired > 0) {
        await giveUp(shard, expired, 'RecordAgeExceeded', undefined);
        return;
      }
    }
    const batch = shard.buffer.slice(0, batchLimit(shard));
    const retry = shard.attempts;
    stats.batches += 1;
    if (retry > 0) stats.retries += 1;
    const { failedAt, error } = await invoke(batch);
    const first = batch[0]?.sequenceNumber ?? '';
    const last = batch.at(-1)?.sequenceNumber ?? '';
    const base = {
      shardId: shard.id,
      size: batch.length,
      firstSequenceNumber: first,
      lastSequenceNumber: last,
      retry,
    };
    if (failedAt === undefined) {
      done(shard, batch.length);
      shard.attempts = 0;
      shard.limit = batchSize;
      options.onBatch?.({ ...base, succeeded: batch.length });
      return;
    }
    let failing = batch.length;
    if (failedAt > 0) {
      // Bisected at the reported record: only the rest of this batch is tried again.
      done(shard, failedAt);
      shard.attempts = 1;
      failing = batch.length - failedAt;
      shard.limit = failing;
    } else {
      // Nothing went through: halve, so a poison record ends up alone before it is given up.
      shard.attempts += 1;
      shard.limit = Math.ceil(batch.length / 2);
    }
    const retryFrom = batch[failedAt]?.sequenceNumber ?? '';
    options.onBatch?.({
      ...base,
      succeeded: failedAt,
      retryFrom,
      ...(error === undefined ? {} : { invocationError: error }),
    });
    const lastError = error ?? new Error(`batchItemFailures reported ${retryFrom}`);
    if (retryAttempts >= 0 && shard.attempts > retryAttempts) {
      await giveUp(shard, failing, 'RetryAttemptsExhausted', lastError);
      return;
    }
    shard.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, 100 * shard.attempts);
  }

  /** Index of the first record to try again, undefined when all succeeded. */
  async function invoke(batch: readonly Pending[]): Promise<{ failedAt?: number; error?: unknown }> {
    let response: DynamoDBBatchResponse | undefined | null;
    try {
      // A copy per invocation: a handler that edits its event cannot change what a retry gets.
      const event: DynamoDBStreamEvent = { Records: batch.map((p) => structuredClone(p.record)) };
      response = (await options.handler(event, options.context())) ?? undefined;
    } catch (error) {
      return { failedAt: 0, error };
    }
    const failures: unknown = response?.batchItemFailures;
    if (failures === undefined || failures === null) return {};
    if (!Array.isArray(failures)) {
      return { failedAt: 0, error: new Error('batchItemFailures is not a list: the whole batch failed') };
    }
    let lowest: number | undefined;
    for (const failure of failures as unknown[]) {
      const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      const index =
        typeof id === 'string' && id !== '' ? batch.findIndex((p) => p.sequenceNumber === id) : -1;
      if (index === -1) {
        const error = new Error(
          `batchItemFailures names ${JSON.stringify(id) ?? 'nothing'}, not a sequence number of this batch: ` +
            'the whole batch failed',
        );
        return { failedAt: 0, error };
      }
      lowest = lowest === undefined ? index : Math.min(lowest, index);
    }
    return lowest === undefined ? {} : { failedAt: lowest };
  }

  function done(shard: ShardState, count: number): void {
    const records = shard.buffer.splice(0, count);
    stats.succeeded += count;
    const last = records.at(-1);
    if (last) options.onCheckpoint?.(shard.id, last.through);
  }

  async function giveUp(
    shard: ShardState,
    count: number,
    reason: StreamFailure['reason'],
    lastError: unknown,
  ): Promise<void> {
    const records = shard.buffer.slice(0, count);
    const first = records[0];
    const last = records.at(-1);
    if (!first || !last) return;
    shard.giveUp = {
      count,
      info: {
        streamArn,
        shardId: shard.id,
        startSequenceNumber: first.sequenceNumber,
        endSequenceNumber: last.sequenceNumber,
        batchSize: count,
        approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
        reason,
        attempts: shard.attempts,
        ...(lastError === undefined ? {} : { lastError }),
      },
    };
    await handOver(shard);
  }

  /** Sends a given-up range to the on-failure destination, then moves past it. */
  async function handOver(shard: ShardState): Promise<void> {
    const pending = shard.giveUp;
    if (!pending) return;
    try {
      if (options.onFailure) await options.onFailure(pending.info);
      else report(new StreamRecordsDiscardedError(pending.info));
    } catch (error) {
      report(error);
      shard.retryAt = Date.now() + ERROR_PAUSE_MS;
      return;
    }
    shard.giveUp = undefined;
    const records = shard.buffer.splice(0, pending.count);
    stats.failed += pending.count;
    shard.attempts = 0;
    shard.limit = batchSize;
    const last = records.at(-1);
    if (last) options.onCheckpoint?.(shard.id, last.through);
  }

  function report(error: unknown): void {
    // Never silently: without an onError, a discarded range still shows on the terminal.
    if (options.onError) options.onError(error);
    else console.error(error);
  }

  const loop = (async () => {
    region = await Promise.resolve(client.config.region()).catch(() => region);
    let lastDescribe = Number.NEGATIVE_INFINITY;
    let needDescribe = true;
    while (!stopping) {
      // Waiters registered before this pass; it must describe the stream afresh to count for them.
      const waiting = waiters.length;
      const anyOpen = [...shards.values()].some((s) => !s.finished);
      if (needDescribe || waiting > 0 || !anyOpen || Date.now() - lastDescribe > DESCRIBE_INTERVAL_MS) {
        try {
          await describe();
          lastDescribe = Date.now();
          needDescribe = false;
        } catch (error) {
          if (stopping) break;
          report(error);
          await abortableSleep(ERROR_PAUSE_MS, signal);
          continue;
        }
      }
      let progressed = false;
      let busy = false;
      let wake = idleDelayMs;
      for (const shard of [...shards.values()]) {
        if (stopping) break;
        if (!eligible(shard)) continue;
        const wait = shard.retryAt - Date.now();
        if (wait > 0) {
          busy = true;
          wake = Math.min(wake, wait);
          continue;
        }
        try {
          if (await step(shard)) progressed = true;
        } catch (error) {
          if (stopping) break;
          report(error);
          shard.retryAt = Date.now() + ERROR_PAUSE_MS;
          busy = true;
          wake = Math.min(wake, ERROR_PAUSE_MS);
        }
        if (shard.finished) needDescribe = true;
      }
      if (stopping) break;
      if (!progressed) {
        if (!busy) for (const resolve of waiters.splice(0, waiting)) resolve();
        await abortableSleep(wake, signal);
      }
    }
    for (const resolve of waiters.splice(0)) resolve();
  })();

  return {
    stats,
    async stop() {
      stopping = true;
      abort.abort();
      await loop;
    },
    idle() {
      if (stopping) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

/** A GetRecords record as Lambda delivers it: binary as base64, the creation time in epoch seconds. */
export function toLambdaRecord(record: SdkRecord, streamArn: string, region: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  const identity = record.userIdentity;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(created === undefined ? {} : { ApproximateCreationDateTime: created.getTime() / 1000 }),
      ...(stream.Keys === undefined ? {} : { Keys: toLambdaImage(stream.Keys) }),
      ...(stream.NewImage === undefined ? {} : { NewImage: toLambdaImage(stream.NewImage) }),
      ...(stream.OldImage === undefined ? {} : { OldImage: toLambdaImage(stream.OldImage) }),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
    // TTL deletes carry the service principal, which Lambda passes on in lower camel case.
    ...(identity === undefined
      ? {}
      : { userIdentity: { type: identity.Type, principalId: identity.PrincipalId } }),
  };
}

function toLambdaImage(image: Record<string, SdkAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaValue(value)]));
}

function toLambdaValue(value: SdkAttributeValue): AttributeValue {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  // DynamoDB Local's GetRecords sends an empty map as `{}` instead of `{"M":{}}` (the real
  // service sends the latter): a contract's `facts` before any notification, a new ledger's
  // `allocations`. A value with no member at all can only be that.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new TypeError(`Stream attribute value of an unknown type: ${Object.keys(value).join(', ')}`);
}

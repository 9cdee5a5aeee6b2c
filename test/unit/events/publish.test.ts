import { Logger } from '@aws-lambda-powertools/logger';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { eventPublisherHandler } from '../../../functions/event-publisher/create-handler.js';
import { keys } from '../../../lib/adapters/dynamodb/keys.js';
import type { OutboundEvent } from '../../../lib/domain/events/catalogue.js';
import type { EventTarget } from '../../../lib/domain/events/ports.js';
import { publishRecords } from '../../../lib/domain/events/publish.js';
import { auditEntries, CONTRACT } from './fixtures.js';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

/** A target that records what it took and refuses the ids it is told to. */
function recordingTarget(name: string, refuse: (event: OutboundEvent) => boolean = () => false) {
  const taken: OutboundEvent[] = [];
  const target: EventTarget = {
    name,
    async publish(events) {
      const refused = new Set(events.filter(refuse).map((e) => e.id));
      taken.push(...events.filter((e) => !refused.has(e.id)));
      return refused;
    },
  };
  return { target, taken };
}

/** A stream record as Lambda delivers it, of an audit row's insert. */
function auditRecord(type: string, sequenceNumber: string): DynamoDBRecord {
  const entry = auditEntries()[type];
  if (!entry) throw new Error(type);
  const row = { ...keys.audit(entry.contractId, entry.version), entity: 'audit', ...entry };
  return {
    eventID: `id-${sequenceNumber}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall(keys.audit(entry.contractId, entry.version)) as never,
      NewImage: marshall(row, { removeUndefinedValues: true }) as never,
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const streamEvent = (...records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records });

describe('publishRecords', () => {
  it('reports the first record with a refused event, whatever other targets took', async () => {
    const bus = recordingTarget('bus');
    const queue = recordingTarget('queue', (e) => e.type === 'contract.upgraded');
    const records = [
      { sequenceNumber: '100', events: [{ id: 'evt_a', type: 'contract.created' } as OutboundEvent] },
      { sequenceNumber: '200', events: [{ id: 'evt_b', type: 'contract.upgraded' } as OutboundEvent] },
      { sequenceNumber: '300', events: [{ id: 'evt_c', type: 'contract.renewed' } as OutboundEvent] },
    ];
    const outcome = await publishRecords(records, [bus.target, queue.target]);
    expect(outcome.failedFrom).toBe('200');
    expect(outcome.failures).toEqual({ queue: ['evt_b'] });
  });

  it('counts a target that throws as refusing every event', async () => {
    const broken: EventTarget = {
      name: 'broken',
      publish: async () => {
        throw new Error('down');
      },
    };
    const outcome = await publishRecords(
      [{ sequenceNumber: '1', events: [{ id: 'evt_a', type: 'contract.created' } as OutboundEvent] }],
      [broken],
    );
    expect(outcome.failedFrom).toBe('1');
  });
});

describe('event publisher handler', () => {
  it('publishes the events of every audit record, in order, and reports no failure', async () => {
    const bus = recordingTarget('bus');
    const handler = eventPublisherHandler({ targets: [bus.target], logger });
    const out = await handler(
      streamEvent(auditRecord('contract.created', '1'), auditRecord('contract.activated', '2')),
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(bus.taken.map((e) => e.type)).toEqual(['contract.created', 'contract.activated']);
    expect(bus.taken[1]?.data).toMatchObject({ contractId: CONTRACT });
  });

  it('asks the stream for the batch again from the first record a target refused', async () => {
    const bus = recordingTarget('bus', (e) => e.type === 'contract.activated');
    const handler = eventPublisherHandler({ targets: [bus.target], logger });
    const out = await handler(
      streamEvent(
        auditRecord('contract.created', '1'),
        auditRecord('contract.activated', '2'),
        auditRecord('contract.upgraded', '3'),
      ),
    );
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
  });

  it('treats a record it cannot read as a failure (retried, then the stream DLQ), never a skip', async () => {
    const bus = recordingTarget('bus');
    const broken = auditRecord('contract.created', '2');
    (broken.dynamodb as { NewImage: unknown }).NewImage = { changes: { S: 'not a list' } };
    const handler = eventPublisherHandler({ targets: [bus.target], logger });
    const out = await handler(
      streamEvent(auditRecord('contract.created', '1'), broken, auditRecord('contract.upgraded', '3')),
    );
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
    expect(bus.taken.map((e) => e.type)).toEqual(['contract.created']);
  });

  it('fails the invocation when the first record cannot go out, so the mapping halves the batch and only that record is dead-lettered', async () => {
    const bus = recordingTarget('bus', (e) => e.type === 'contract.created');
    const handler = eventPublisherHandler({ targets: [bus.target], logger });
    await expect(
      handler(streamEvent(auditRecord('contract.created', '1'), auditRecord('contract.activated', '2'))),
    ).rejects.toThrow(/first record \(1\)/);
  });

  it('never acknowledges a refused record, even one without a sequence number', async () => {
    const bus = recordingTarget('bus', () => true);
    const record = auditRecord('contract.created', '1');
    delete (record.dynamodb as { SequenceNumber?: string }).SequenceNumber;
    const handler = eventPublisherHandler({ targets: [bus.target], logger });
    await expect(handler(streamEvent(record))).rejects.toThrow(/no sequence number/);
  });

  it('fails the whole batch when a later refused record has no sequence number to name', async () => {
    const bus = recordingTarget('bus', (e) => e.type === 'contract.activated');
    const second = auditRecord('contract.activated', '2');
    delete (second.dynamodb as { SequenceNumber?: string }).SequenceNumber;
    const handler = eventPublisherHandler({ targets: [bus.target], logger });
    await expect(handler(streamEvent(auditRecord('contract.created', '1'), second))).rejects.toThrow();
  });

  it('publishes the same ids when the stream delivers a record again', async () => {
    const bus = recordingTarget('bus');
    const handler = eventPublisherHandler({ targets: [bus.target], logger });
    await handler(streamEvent(auditRecord('contract.activated', '7')));
    await handler(streamEvent(auditRecord('contract.activated', '7')));
    expect(bus.taken).toHaveLength(2);
    expect(bus.taken[0]?.id).toBe(bus.taken[1]?.id);
  });
});

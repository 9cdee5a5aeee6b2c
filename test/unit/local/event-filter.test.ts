import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EVENT_STREAM } from '../../../infra/functions.js';
import { keys, type TableKey } from '../../../lib/adapters/dynamodb/keys.js';
import { matchesFilters } from '../../../local/stack/event-filter.js';

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456512334:table/contracts/stream/2026-06-01T09:00:00.000';

/** A stream record as Lambda delivers it (NEW_AND_OLD_IMAGES) for one write of one row. */
function streamRecord(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', key: TableKey): DynamoDBRecord {
  const image = { pk: { S: key.pk }, sk: { S: key.sk }, version: { N: '1' } };
  return {
    eventID: 'c4ca4238a0b923820dcc509a6f75849b',
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: 1780304400,
      Keys: { pk: { S: key.pk }, sk: { S: key.sk } },
      ...(eventName === 'REMOVE' ? {} : { NewImage: image }),
      ...(eventName === 'INSERT' ? {} : { OldImage: image }),
      SequenceNumber: '4421584500000000017450439091',
      SizeBytes: 59,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: STREAM_ARN,
  };
}

const CONTRACT = 'c-0001';
const BUSINESS = 'b-0001';
const audit = keys.audit(CONTRACT, 3);
const notice = keys.expiryNotice(keys.contract(CONTRACT).pk, '2027-03-29T05:10:00.000Z', 60);
const ledger = keys.ledger(BUSINESS);

describe('matchesFilters with the deployed EVENT_STREAM.filters', () => {
  const matches = (record: DynamoDBRecord) => matchesFilters(record, EVENT_STREAM.filters);

  it('passes an audit entry when it is inserted', () => {
    expect(matches(streamRecord('INSERT', audit))).toBe(true);
  });

  it('drops an audit entry when it is modified or removed', () => {
    expect(matches(streamRecord('MODIFY', audit))).toBe(false);
    expect(matches(streamRecord('REMOVE', audit))).toBe(false);
  });

  it('passes a notice claim when it is inserted', () => {
    expect(matches(streamRecord('INSERT', notice))).toBe(true);
  });

  it('passes the ledger when it is inserted or modified', () => {
    expect(matches(streamRecord('INSERT', ledger))).toBe(true);
    expect(matches(streamRecord('MODIFY', ledger))).toBe(true);
  });

  it('drops the ledger when it is removed', () => {
    expect(matches(streamRecord('REMOVE', ledger))).toBe(false);
  });

  it('drops rows that are no outbox: a contract, its items, the ledger lapse', () => {
    for (const eventName of ['INSERT', 'MODIFY'] as const) {
      expect(matches(streamRecord(eventName, keys.contract(CONTRACT)))).toBe(false);
      expect(matches(streamRecord(eventName, keys.item(CONTRACT, 1)))).toBe(false);
      // LEDGER-LAPSE starts with LEDGER but the ledger's value is exact, not a prefix.
      expect(matches(streamRecord(eventName, keys.ledgerLapse(BUSINESS)))).toBe(false);
    }
  });
});

describe('matchesFilters', () => {
  const record = {
    eventName: 'INSERT',
    dynamodb: {
      Keys: { sk: { S: 'AUDIT#000001' } },
      NewImage: {
        credits: { N: '100' },
        active: { BOOL: true },
        note: { NULL: true },
        tags: { SS: ['a', 'b'] },
      },
    },
    count: 3,
    empty: null,
  };

  it('matches exact strings, numbers, booleans and null', () => {
    expect(matchesFilters(record, [{ eventName: ['MODIFY', 'INSERT'] }])).toBe(true);
    expect(matchesFilters(record, [{ count: [3] }])).toBe(true);
    expect(matchesFilters(record, [{ count: ['3'] }])).toBe(false);
    expect(matchesFilters(record, [{ dynamodb: { NewImage: { active: { BOOL: [true] } } } }])).toBe(true);
    expect(matchesFilters(record, [{ dynamodb: { NewImage: { active: { BOOL: [false] } } } }])).toBe(false);
    expect(matchesFilters(record, [{ empty: [null] }])).toBe(true);
    expect(matchesFilters(record, [{ count: [null] }])).toBe(false);
  });

  it('matches a prefix of strings only', () => {
    expect(matchesFilters(record, [{ dynamodb: { Keys: { sk: { S: [{ prefix: 'AUDIT#' }] } } } }])).toBe(
      true,
    );
    expect(matchesFilters(record, [{ dynamodb: { Keys: { sk: { S: [{ prefix: 'NOTICE#' }] } } } }])).toBe(
      false,
    );
    expect(matchesFilters(record, [{ count: [{ prefix: '3' }] }])).toBe(false);
  });

  it('fails on a key the record lacks unless the pattern says exists: false', () => {
    expect(matchesFilters(record, [{ dynamodb: { OldImage: { credits: { N: ['100'] } } } }])).toBe(false);
    expect(matchesFilters(record, [{ dynamodb: { OldImage: [{ exists: false }] } }])).toBe(true);
    expect(matchesFilters(record, [{ dynamodb: { OldImage: { credits: [{ exists: false }] } } }])).toBe(true);
    expect(matchesFilters(record, [{ dynamodb: { NewImage: { credits: [{ exists: true }] } } }])).toBe(true);
    expect(matchesFilters(record, [{ dynamodb: { NewImage: { credits: [{ exists: false }] } } }])).toBe(
      false,
    );
    expect(matchesFilters(record, [{ missing: [{ exists: true }] }])).toBe(false);
  });

  it('matches anything but the listed values, and only a key that is there', () => {
    expect(matchesFilters(record, [{ eventName: [{ 'anything-but': ['REMOVE'] }] }])).toBe(true);
    expect(matchesFilters(record, [{ eventName: [{ 'anything-but': ['INSERT', 'MODIFY'] }] }])).toBe(false);
    expect(matchesFilters(record, [{ eventName: [{ 'anything-but': 'INSERT' }] }])).toBe(false);
    expect(matchesFilters(record, [{ missing: [{ 'anything-but': ['x'] }] }])).toBe(false);
  });

  it('matches a list in the record when any element matches', () => {
    expect(matchesFilters(record, [{ dynamodb: { NewImage: { tags: { SS: ['b'] } } } }])).toBe(true);
    expect(matchesFilters(record, [{ dynamodb: { NewImage: { tags: { SS: ['c'] } } } }])).toBe(false);
  });

  it('needs every key of one pattern, and any one of the patterns', () => {
    const insertOfLedger = { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: ['LEDGER'] } } } };
    const anyInsert = { eventName: ['INSERT'] };
    expect(matchesFilters(record, [insertOfLedger])).toBe(false);
    expect(matchesFilters(record, [insertOfLedger, anyInsert])).toBe(true);
    expect(matchesFilters(record, [])).toBe(false);
    expect(matchesFilters(record, [{}])).toBe(true);
  });

  it('does not match a nested pattern against a scalar', () => {
    expect(matchesFilters(record, [{ eventName: { S: ['INSERT'] } }])).toBe(false);
  });

  it('rejects a pattern outside the supported grammar instead of guessing', () => {
    expect(() => matchesFilters(record, [{ eventName: 'INSERT' }])).toThrow(TypeError);
    expect(() => matchesFilters(record, [{ count: [{ numeric: ['>', 1] }] }])).toThrow(
      /numeric.*not supported/,
    );
    expect(() => matchesFilters(record, [{ count: [{ prefix: 'a', exists: true }] }])).toThrow(
      /one operator/,
    );
    expect(() => matchesFilters(record, [{ count: [{ prefix: 1 }] }])).toThrow(/prefix/);
  });
});

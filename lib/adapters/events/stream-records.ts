import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { AuditEntry } from '../../domain/contract/ports.js';
import type { Ledger } from '../../domain/credits/model.js';
import {
  contractEvents,
  type ExpiryNoticeClaim,
  expiringEvent,
  historyEvents,
  ledgerEvents,
  type OutboundEvent,
} from '../../domain/events/catalogue.js';
import type { HistoryEntry } from '../../domain/events/history.js';
import { keys } from '../dynamodb/keys.js';
import { domainFields } from '../dynamodb/rows.js';

/** `evt_` and 24 URL-safe characters of the natural key's SHA-256: stable, and it tells nothing. */
export function eventIdOf(naturalKey: string): string {
  return `evt_${createHash('sha256').update(naturalKey).digest('base64url').slice(0, 24)}`;
}

type Image = Record<string, AttributeValue>;

const imageOf = (image: unknown) =>
  image ? domainFields<Record<string, unknown>>(unmarshall(image as Image)) : undefined;

/**
 * The events a stream record stands for: an audit entry written (a contract version), a notice
 * claimed, a ledger written, a history entry written (orders, transfers, codes). Anything else the filters let through (none should) has none.
 */
export function eventsOfRecord(record: DynamoDBRecord): OutboundEvent[] {
  const sk = record.dynamodb?.Keys?.sk?.S ?? '';
  const next = imageOf(record.dynamodb?.NewImage);
  if (!next) return [];
  if (record.eventName === 'INSERT' && sk.startsWith(keys.auditPrefix))
    return contractEvents(next as unknown as AuditEntry, eventIdOf);
  if (record.eventName === 'INSERT' && sk.startsWith(keys.noticePrefix))
    return [expiringEvent(next as unknown as ExpiryNoticeClaim, eventIdOf)];
  if (record.eventName === 'INSERT' && sk.startsWith(keys.historyPrefix))
    return historyEvents(
      next as unknown as HistoryEntry,
      { pk: record.dynamodb?.Keys?.pk?.S ?? '', sk },
      eventIdOf,
    );
  if (sk === keys.ledger('').sk && (record.eventName === 'INSERT' || record.eventName === 'MODIFY'))
    return ledgerEvents(
      imageOf(record.dynamodb?.OldImage) as unknown as Ledger | undefined,
      next as unknown as Ledger,
      eventIdOf,
    );
  return [];
}

import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { INDEXES } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

export type Row = Record<string, NativeAttributeValue>;

/** Attributes that exist only for storage: keys, index keys, the entity tag and TTL. */
const STORAGE_ONLY = new Set([
  'pk',
  'sk',
  'entity',
  TTL_ATTRIBUTE,
  ...Object.values(INDEXES).flatMap((index) => [index.pk, index.sk]),
]);

/** A stored row back as the domain record it was written from. */
export function domainFields<T>(row: Row): T {
  return Object.fromEntries(Object.entries(row).filter(([name]) => !STORAGE_ONLY.has(name))) as T;
}

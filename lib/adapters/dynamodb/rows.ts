import {
  type DynamoDBDocumentClient,
  type NativeAttributeValue,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Contract, contractStatus, type LicenseItem } from '../../domain/contract/model.js';
import type { AuditEntry } from '../../domain/contract/ports.js';
import { INDEXES, keys } from './keys.js';
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

/** Every page of a Query (a page ends at 1 MB or Limit; LastEvaluatedKey says there is more). */
export async function queryAllPages(
  client: DynamoDBDocumentClient,
  tableName: string,
  input: Omit<QueryCommandInput, 'TableName'>,
): Promise<Row[]> {
  const rows: Row[] = [];
  let ExclusiveStartKey: Row | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, TableName: tableName, ExclusiveStartKey }));
    rows.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return rows;
}

/** The contract's row: its fields and the keys of every index it belongs to. */
export function contractRow(contract: Contract): Row {
  return {
    ...keys.contract(contract.contractId),
    entity: 'contract',
    ...contract,
    ...keys.byStatus(contract.productCode, contractStatus(contract), contract.expiresAt, contract.contractId),
    ...keys.byExpiry(contract.productCode, contract.expiresAt, contract.contractId),
    ...(contract.customerAWSAccountId
      ? keys.byAccount(contract.customerAWSAccountId, contract.productCode, contract.contractId)
      : {}),
    ...(contract.customerIdentifier
      ? keys.byCustomer(contract.productCode, contract.customerIdentifier, contract.contractId)
      : {}),
    ...(contract.activatedBy ? keys.byBusiness(contract.activatedBy, contract.contractId) : {}),
  };
}

/** An item's row; an activated contract's items are also in its business's partition of `byBusiness`. */
export function itemRow(item: LicenseItem, activatedBy?: string): Row {
  return {
    ...keys.item(item.contractId, item.itemNo),
    entity: 'license-item',
    ...item,
    ...(activatedBy ? keys.itemByBusiness(activatedBy, item.contractId, item.itemNo) : {}),
  };
}

export function auditRow(entry: AuditEntry): Row {
  return { ...keys.audit(entry.contractId, entry.version), entity: 'audit', ...entry };
}

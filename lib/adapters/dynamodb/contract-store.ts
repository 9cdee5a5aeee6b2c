import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../../domain/contract/errors.js';
import type { Contract, LicenseItem } from '../../domain/contract/model.js';
import type { ContractRepository } from '../../domain/contract/ports.js';
import { emptyLedger, type LedgerTransition, withSources } from '../../domain/credits/ledger.js';
import type { Ledger } from '../../domain/credits/model.js';
import { contractSource } from '../../domain/credits/sources.js';
import { CONTRACT_SK, INDEXES, keys } from './keys.js';
import { jitter, ledgerPuts, readLedger } from './ledger-store.js';
import { auditRow, contractRow, domainFields, itemRow, queryAllPages } from './rows.js';
import { MAX_SUMMARY_UPDATES, summaryUpdates } from './summary-counters.js';

export interface ContractStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Told after a commit that made (or stopped making) the contract's business over-allocated (R9). */
  readonly onLedgerTransition?: (ledger: Ledger, transition: LedgerTransition) => Promise<void>;
  /** Transactions tried when only the business's ledger moved (an allocation at the same moment); default 20. */
  readonly ledgerAttempts?: number;
}

/**
 * DynamoDB allows 100 actions per transaction: the contract, the audit entry, the business's
 * ledger and its lapse companion, up to five counter items and 91 items.
 */
const MAX_ITEMS_PER_CHANGE = 100 - 4 - MAX_SUMMARY_UPDATES;

/** The contract repository on the single table (see keys.ts for the layout). */
export function createContractStore({
  client,
  tableName,
  onLedgerTransition,
  ledgerAttempts = 20,
}: ContractStoreOptions): ContractRepository {
  const queryAll = (input: Omit<QueryCommandInput, 'TableName'>) => queryAllPages(client, tableName, input);

  return {
    async load(contractId) {
      const range = keys.contractAndItemsRange(contractId);
      const rows = await queryAll({
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': range.pk, ':from': range.from, ':to': range.to },
        ConsistentRead: true,
      });
      const contractRow = rows.find((row) => row.sk === CONTRACT_SK);
      if (!contractRow) return undefined;
      return {
        contract: domainFields<Contract>(contractRow),
        items: rows.filter((row) => row !== contractRow).map((row) => domainFields<LicenseItem>(row)),
      };
    },

    async findContractIds(productCode, by) {
      const rows =
        'customerAWSAccountId' in by
          ? await queryAll({
              IndexName: INDEXES.byAccount.name,
              KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
              ExpressionAttributeNames: { '#pk': INDEXES.byAccount.pk, '#sk': INDEXES.byAccount.sk },
              ExpressionAttributeValues: {
                ':pk': keys.byAccount(by.customerAWSAccountId, productCode).gsi2pk,
                ':prefix': keys.byAccount(by.customerAWSAccountId, productCode).gsi2sk,
              },
              ProjectionExpression: 'contractId',
            })
          : await queryAll({
              IndexName: INDEXES.byCustomer.name,
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': INDEXES.byCustomer.pk },
              ExpressionAttributeValues: {
                ':pk': keys.byCustomer(productCode, by.customerIdentifier).gsi4pk,
              },
              ProjectionExpression: 'contractId',
            });
      return rows.map((row) => String(row.contractId));
    },

    async save(change) {
      if (change.touchedItems.length > MAX_ITEMS_PER_CHANGE) {
        throw new Error(
          `Contract ${change.next.contract.contractId} change touches ${change.touchedItems.length} items; a transaction holds ${MAX_ITEMS_PER_CHANGE}`,
        );
      }
      const { contract } = change.next;
      const counters = summaryUpdates(
        tableName,
        contract.contractId,
        change.audit.before,
        change.audit.after,
      );
      const contractItems = [
        {
          Put: {
            TableName: tableName,
            Item: contractRow(contract),
            ...(change.expectedVersion === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': change.expectedVersion },
                }),
          },
        },
        // The contract's version condition guards the whole transaction, items included.
        ...change.touchedItems.map((item) => ({
          Put: { TableName: tableName, Item: itemRow(item, contract.activatedBy) },
        })),
        {
          Put: {
            TableName: tableName,
            Item: auditRow(change.audit),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...counters,
      ];
      const businessId = contract.activatedBy;
      const now = new Date(change.audit.at);
      // An activated contract's credits count in its business's total (R2): its ledger source
      // is set in the same transaction, on the ledger's revision. When only the ledger moved
      // (an allocation at that moment), the contract's read still holds: read the ledger again
      // and retry the transaction, without starting the sync over.
      for (let attempt = 1; ; attempt++) {
        const ledger = businessId ? await readLedger(client, tableName, businessId) : undefined;
        const write = businessId
          ? withSources(
              ledger ?? emptyLedger(businessId, now, { businessName: contract.businessName ?? '' }),
              { [contract.contractId]: contractSource(contract) },
              now,
            )
          : undefined;
        try {
          await client.send(
            new TransactWriteCommand({
              TransactItems: [
                ...contractItems,
                ...(write ? ledgerPuts(tableName, write.next, ledger?.revision) : []),
              ],
            }),
          );
          if (write?.transition && onLedgerTransition) await onLedgerTransition(write.next, write.transition);
          return;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
          const reasons = error.CancellationReasons ?? [];
          const contractMoved = reasons
            .slice(0, contractItems.length)
            .some((reason) => reason.Code === 'ConditionalCheckFailed');
          const retry =
            !contractMoved &&
            attempt < ledgerAttempts &&
            reasons.some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
          if (retry) {
            await jitter(attempt);
            continue;
          }
          if (isLostRace(error)) throw new ConcurrentUpdateError(contract.contractId);
          throw error;
        }
      }
    },
  };
}

/** A failed version condition, or another transaction on the same item at the same moment. */
function isLostRace(error: unknown): boolean {
  if (!(error instanceof TransactionCanceledException)) return false;
  return (error.CancellationReasons ?? []).some(
    (reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict',
  );
}

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { drawCode } from '../../domain/codes/codes.js';
import { ConcurrentUpdateError } from '../../domain/contract/errors.js';
import type { Contract, LicenseItem } from '../../domain/contract/model.js';
import type { ContractChangeSet, ContractRepository } from '../../domain/contract/ports.js';
import { emptyLedger, type LedgerTransition, withSources } from '../../domain/credits/ledger.js';
import type { CreditSource, Ledger } from '../../domain/credits/model.js';
import { contractSource } from '../../domain/credits/sources.js';
import { cryptoRandomBytes } from '../crypto/code-random.js';
import { CONTRACT_SK, INDEXES, keys } from './keys.js';
import { jitter, ledgerPuts, readLedger } from './ledger-store.js';
import { auditRow, contractRow, domainFields, itemRow, queryAllPages } from './rows.js';
import { MAX_SUMMARY_UPDATES, summaryUpdatesOfAll } from './summary-counters.js';

export interface ContractStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Told after a commit that made (or stopped making) the contract's business over-allocated (R9). */
  readonly onLedgerTransition?: (ledger: Ledger, transition: LedgerTransition) => Promise<void>;
  /** Transactions tried when only the business's ledger moved (an allocation at the same moment); default 20. */
  readonly ledgerAttempts?: number;
  /** Draws an item's Activation Code (R11); a CSPRNG-drawn `PC-…` code unless a test fixes it. */
  readonly drawActivationCode?: () => string;
}

/** A code drawn again after a collision (each draw has 140 random bits: a collision is a test's doing). */
const CODE_DRAWS = 5;

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
  drawActivationCode = () => drawCode('activation-code', cryptoRandomBytes),
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
      await saveAll([change]);
    },

    async saveAll(changes) {
      await saveAll(changes);
    },
  };

  /**
   * Writes contract changes as one transaction: each contract on its version, its touched items,
   * its audit entry, the summary counters (merged) and the ledgers of the businesses that hold
   * them. One change is a sync's or the setup's; two are a renewal chain's hand-over, where the
   * old contract's credits leave its business's total in the same write that adds the new one's,
   * so the total never shows a gap or a double count.
   */
  async function saveAll(changes: readonly ContractChangeSet[]): Promise<void> {
    // R11: an item gets its Activation Code when it is first written; its own CODE# item is
    // created only if absent, in the same transaction, so codes are unique.
    const drawn = new Map<string, { contractId: string; itemNo: number; at: string }>();
    const withCodes = changes.map((change) => ({
      ...change,
      touchedItems: change.touchedItems.map((item) => {
        if (item.activationCode) return item;
        const code = drawActivationCode();
        drawn.set(code, { contractId: item.contractId, itemNo: item.itemNo, at: change.audit.at });
        return { ...item, activationCode: code };
      }),
    }));
    const touched = changes.reduce((n, change) => n + change.touchedItems.length, 0) + drawn.size;
    const limit = MAX_ITEMS_PER_CHANGE - 2 * (changes.length - 1);
    if (touched > limit) {
      throw new Error(
        `Contract ${changes.map((c) => c.next.contract.contractId).join(', ')} change touches ${touched} items; a transaction holds ${limit}`,
      );
    }
    const contractItems = withCodes.flatMap((change) => {
      const { contract } = change.next;
      return [
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
      ];
    });
    const counters = summaryUpdatesOfAll(
      tableName,
      changes.map((change) => ({
        contractId: change.next.contract.contractId,
        before: change.audit.before,
        after: change.audit.after,
      })),
    );
    // An activated contract's credits count in its business's total (R2): its ledger source is
    // set in the same transaction, on the ledger's revision. A contract that a hand-over ends
    // leaves its business too (its source is removed). When only a ledger moved (an allocation
    // at that moment), the contracts' reads still hold: read the ledger again and retry the
    // transaction, without starting the sync over.
    const patches = new Map<string, { name: string; patch: Record<string, CreditSource | undefined> }>();
    for (const change of changes) {
      const { contract } = change.next;
      const businessId = contract.activatedBy;
      if (!businessId) continue;
      const entry = patches.get(businessId) ?? { name: contract.businessName ?? '', patch: {} };
      entry.patch[contract.contractId] = contractSource(contract);
      patches.set(businessId, entry);
    }
    const now = new Date(changes[0]?.audit.at ?? Date.now());
    const firstId = changes[0]?.next.contract.contractId ?? '?';
    for (let attempt = 1, codeDraws = 1; ; attempt++) {
      const codeItems = [...drawn].map(([code, target]) => codePut(tableName, code, target));
      const ledgers = await Promise.all(
        [...patches].map(async ([businessId, { name, patch }]) => {
          const ledger = await readLedger(client, tableName, businessId);
          const write = withSources(
            ledger ?? emptyLedger(businessId, now, { businessName: name }),
            patch,
            now,
          );
          return { ledger, write };
        }),
      );
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              ...contractItems,
              ...counters,
              ...ledgers.flatMap(({ ledger, write }) =>
                write ? ledgerPuts(tableName, write.next, ledger?.revision) : [],
              ),
              ...codeItems,
            ],
          }),
        );
        if (onLedgerTransition) {
          for (const { write } of ledgers) {
            if (write?.transition) await onLedgerTransition(write.next, write.transition);
          }
        }
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const collided = [...drawn.keys()].filter(
          (_, i) => reasons[reasons.length - codeItems.length + i]?.Code === 'ConditionalCheckFailed',
        );
        if (collided.length > 0 && codeDraws < CODE_DRAWS) {
          codeDraws++;
          redraw(collided);
          continue;
        }
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
        if (isLostRace(error)) throw new ConcurrentUpdateError(firstId);
        throw error;
      }
    }

    /** Draws new codes for those that exist already, in the items and the code puts alike. */
    function redraw(collided: readonly string[]): void {
      for (const old of collided) {
        const target = drawn.get(old);
        if (!target) continue;
        const code = drawActivationCode();
        drawn.delete(old);
        drawn.set(code, target);
        for (const item of contractItems) {
          const row = item.Put.Item as { activationCode?: string };
          if (row.activationCode === old) row.activationCode = code;
        }
      }
    }
  }
}

/** An Activation Code's own item (R11): created only if no such code exists. */
function codePut(
  tableName: string,
  code: string,
  target: { contractId: string; itemNo: number; at: string },
) {
  return {
    Put: {
      TableName: tableName,
      Item: {
        ...keys.code(code),
        entity: 'code',
        code,
        target: { kind: 'activation-code', licenseId: target.contractId, itemNo: target.itemNo },
        state: 'valid',
        createdAt: target.at,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
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

import {
  findProductByCode,
  findProductById,
  type ProductCatalog,
  type ProductConfig,
} from '../product/catalog.js';
import { auditEntryOf } from './audit.js';
import type { Entitlement } from './entitlement.js';
import { ConcurrentUpdateError, SyncConflictError } from './errors.js';
import { contractIdOf, licenseIdFromArn } from './identity.js';
import type { ContractFacts, ContractKey, StoredContract } from './model.js';
import type { Clock, ContractRepository, EntitlementFilter, EntitlementReader, Trigger } from './ports.js';
import { type ContractChange, type ReconcileResult, reconcile } from './reconcile.js';

/** Whose contracts a notification concerns. */
export type SyncScope =
  | { readonly by: 'license'; readonly licenseArn: string; readonly customerAWSAccountId?: string }
  | { readonly by: 'customer'; readonly customerIdentifier: string }
  | { readonly by: 'account'; readonly customerAWSAccountId: string };

/** Which product: by code (SNS, License events), by catalog id (agreement events), or every configured one. */
export type ProductRef = { readonly code: string } | { readonly id: string } | { readonly any: true };

/** The one internal command every marketplace notification becomes: "sync this contract". */
export interface SyncCommand {
  readonly product: ProductRef;
  readonly scope: SyncScope;
  readonly facts: ContractFacts;
  /**
   * Facts from license and SNS notifications concern the scope's contracts. Agreement
   * events name an agreement, not a license, so their facts go only to the contract already
   * known to belong to that agreement.
   */
  readonly factsApplyTo: 'scope' | { readonly agreementId: string };
  readonly trigger: Trigger;
}

export interface ContractSyncResult {
  readonly contractId: string;
  readonly changes: readonly ContractChange[];
}

export type SyncOutcome =
  | { readonly status: 'ignored'; readonly reason: 'unknown-product'; readonly product: ProductRef }
  | {
      readonly status: 'synced';
      /** The contracts that changed, and how. */
      readonly contracts: readonly ContractSyncResult[];
      /** Every contract the sync read, as stored once it was done (changed or not). */
      readonly current: readonly StoredContract[];
      /** Activated contracts whose end was held back because a newer agreement continues them (`holdEnd`). */
      readonly held: readonly StoredContract[];
    };

/**
 * Work a caller does in the same round trip as the sync's writes, given the contracts as they
 * will be once written (the setup POST creates its session so). It runs once per attempt (per
 * product, for a sync of every product); its
 * error is thrown once the writes have settled, unless a lost race makes the sync start again.
 */
export type Alongside = (current: readonly StoredContract[]) => Promise<unknown> | undefined;

interface ProductSync {
  readonly results: ContractSyncResult[];
  readonly current: StoredContract[];
  readonly held: StoredContract[];
}

export interface SyncDeps {
  readonly catalog: ProductCatalog;
  readonly entitlements: EntitlementReader;
  readonly contracts: ContractRepository;
  readonly clock: Clock;
  /** How often a contract is re-read and re-synced after losing a race; default 5. */
  readonly maxAttempts?: number;
  /**
   * Asked before an activated contract is ended: true holds the end back (nothing is written
   * for it), because a newer agreement continues it and the hand-over will end it as renewed or
   * replaced in the same write that moves its credits to the successor (continuation.ts).
   */
  readonly holdEnd?: (stored: StoredContract) => Promise<boolean>;
}

/**
 * Keeps the contracts a notification concerns in step with GetEntitlements.
 *
 * Steps:
 * 1. Resolve the product; a product this deployment does not sell is ignored (logged by the caller).
 * 2. Read every page of GetEntitlements for the buyer; the notification's payload is never
 *    trusted for quantities or dates.
 * 3. Group the rows by contract (license, or customer for legacy listings) and add the stored
 *    contracts of the same buyer, so a contract with no rows left is ended too.
 * 4. Reconcile each contract (R1, R2, R6, R13; see `reconcile`) and write each change as one
 *    conditional transaction. A duplicate notification finds nothing changed and writes nothing.
 *    Reads that do not depend on each other run concurrently (GetEntitlements, the stored
 *    contracts), and the writes run concurrently with the caller's `alongside`.
 * 5. If another writer got there first, start again from step 2 with fresh reads, so the last
 *    write always rests on entitlements read after the previous one.
 */
export async function syncContracts(
  command: SyncCommand,
  deps: SyncDeps,
  options: { readonly alongside?: Alongside } = {},
): Promise<SyncOutcome> {
  const products = resolveProducts(command.product, deps.catalog);
  if (products.length === 0)
    return { status: 'ignored', reason: 'unknown-product', product: command.product };
  const results: ContractSyncResult[] = [];
  const current: StoredContract[] = [];
  const held: StoredContract[] = [];
  for (const product of products) {
    const synced = await syncProduct(command, product, deps, options.alongside);
    results.push(...synced.results);
    current.push(...synced.current);
    held.push(...synced.held);
  }
  return { status: 'synced', contracts: results, current, held };
}

function resolveProducts(ref: ProductRef, catalog: ProductCatalog): ProductConfig[] {
  if ('any' in ref) return [...catalog.products];
  const product = 'code' in ref ? findProductByCode(catalog, ref.code) : findProductById(catalog, ref.id);
  return product ? [product] : [];
}

async function syncProduct(
  command: SyncCommand,
  product: ProductConfig,
  deps: SyncDeps,
  alongside: Alongside | undefined,
): Promise<ProductSync> {
  const maxAttempts = deps.maxAttempts ?? 5;
  let lastConflict: ConcurrentUpdateError | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      return await syncOnce(command, product, deps, alongside);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      lastConflict = error;
    }
  }
  throw new SyncConflictError(lastConflict?.contractId ?? '?', maxAttempts);
}

async function syncOnce(
  command: SyncCommand,
  product: ProductConfig,
  deps: SyncDeps,
  alongside: Alongside | undefined,
): Promise<ProductSync> {
  const productCode = product.productCode;
  // One round trip for every read that does not depend on another: GetEntitlements, the
  // buyer's stored contracts and the contract the scope names.
  const scoped = scopeKeys(productCode, command.scope);
  const [rows, storedIds, scopedStored] = await Promise.all([
    readRows(productCode, command.scope, deps.entitlements),
    storedContractIds(productCode, command.scope, deps.contracts),
    Promise.all(scoped.map((key) => deps.contracts.load(contractIdOf(key)))),
  ]);
  const observedAt = deps.clock.now().toISOString();

  const keys = new Map<string, ContractKey>();
  const rowsByContract = new Map<string, Entitlement[]>();
  for (const row of rows) {
    const key = keyOfRow(productCode, row);
    if (!key) continue;
    const id = contractIdOf(key);
    keys.set(id, key);
    rowsByContract.set(id, [...(rowsByContract.get(id) ?? []), row]);
  }
  for (const key of scoped) keys.set(contractIdOf(key), key);
  const loaded = new Map(scoped.map((key, i) => [contractIdOf(key), scopedStored[i]]));
  const ids = [...new Set([...keys.keys(), ...storedIds])];
  const rest = ids.filter((id) => !loaded.has(id));
  (await Promise.all(rest.map((id) => deps.contracts.load(id)))).forEach((stored, i) => {
    loaded.set(rest[i] ?? '', stored);
  });

  const now = deps.clock.now();
  const planned: { contractId: string; stored: StoredContract | undefined; result: ReconcileResult }[] =
    ids.flatMap((contractId) => {
      const stored = loaded.get(contractId);
      const key = stored?.contract.key ?? keys.get(contractId);
      if (!key) return [];
      const entitlements = rowsByContract.get(contractId) ?? [];
      const facts = factsFor(command, stored);
      return [
        {
          contractId,
          stored,
          result: reconcile(stored, { key, entitlements, facts, observedAt }, product, now),
        },
      ];
    });
  const held: StoredContract[] = [];
  if (deps.holdEnd) {
    for (const plan of planned) {
      const ends = plan.result.changed && plan.result.changes.some((change) => change.type === 'ended');
      if (ends && plan.stored?.contract.activatedBy && (await deps.holdEnd(plan.stored))) {
        plan.result = { changed: false };
        held.push(plan.stored);
      }
    }
  }
  const current = planned.flatMap(({ stored, result }) =>
    result.changed ? [result.next] : stored ? [stored] : [],
  );

  // The writes go out in the same round trip as what the caller does alongside. Different
  // contracts are written one after another: each transaction also updates a summary counter
  // shard, and two at once on one shard would conflict (TransactionConflict) and restart the
  // sync for nothing. All settle before anything is thrown, so a retry never races a write of
  // this attempt.
  const writes = planned.flatMap(({ contractId, stored, result }) =>
    result.changed ? [{ contractId, stored, result }] : [],
  );
  const [written, beside] = await Promise.all([
    settle(async () => {
      for (const { stored, result } of writes) {
        await deps.contracts.save({
          next: result.next,
          touchedItems: result.touchedItems,
          expectedVersion: stored?.contract.version,
          audit: auditEntryOf(stored, result.next, result.changes, command.trigger, now),
        });
      }
    }),
    settle(() => alongside?.(current)),
  ]);
  if (written.status === 'rejected') throw written.reason;
  if (beside.status === 'rejected') throw beside.reason;
  return {
    results: writes.map(({ contractId, result }) => ({ contractId, changes: result.changes })),
    current,
    held,
  };
}

/** Runs `fn` (which may throw at once or reject later) to a settled result. */
async function settle(fn: () => Promise<unknown> | undefined): Promise<PromiseSettledResult<unknown>> {
  try {
    return { status: 'fulfilled', value: await fn() };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

/**
 * A license notification that also names the buyer's account is read by account and narrowed
 * to the license here: ARNs arrive in more than one spelling, the account id in one.
 */
async function readRows(
  productCode: string,
  scope: SyncScope,
  reader: EntitlementReader,
): Promise<Entitlement[]> {
  if (scope.by === 'license' && scope.customerAWSAccountId) {
    const licenseId = licenseIdFromArn(scope.licenseArn);
    const rows = await reader.read(productCode, {
      by: 'account',
      customerAWSAccountId: scope.customerAWSAccountId,
    });
    return rows.filter((row) => row.licenseArn && licenseIdFromArn(row.licenseArn) === licenseId);
  }
  return reader.read(productCode, filterOf(scope));
}

function filterOf(scope: SyncScope): EntitlementFilter {
  switch (scope.by) {
    case 'license':
      return { by: 'license', licenseArn: scope.licenseArn };
    case 'customer':
      return { by: 'customer', customerIdentifier: scope.customerIdentifier };
    case 'account':
      return { by: 'account', customerAWSAccountId: scope.customerAWSAccountId };
  }
}

/** A row belongs to its license when it names one, else (legacy listings) to its customer. */
export function keyOfRow(productCode: string, row: Entitlement): ContractKey | undefined {
  const licenseId = row.licenseArn ? licenseIdFromArn(row.licenseArn) : undefined;
  if (licenseId) return { kind: 'license', productCode, licenseId };
  if (row.customerIdentifier)
    return { kind: 'customer', productCode, customerIdentifier: row.customerIdentifier };
  return undefined;
}

/** The contract a scope names directly, even when GetEntitlements no longer returns it. */
function scopeKeys(productCode: string, scope: SyncScope): ContractKey[] {
  if (scope.by === 'license') {
    const licenseId = licenseIdFromArn(scope.licenseArn);
    return licenseId ? [{ kind: 'license', productCode, licenseId }] : [];
  }
  if (scope.by === 'customer')
    return [{ kind: 'customer', productCode, customerIdentifier: scope.customerIdentifier }];
  return [];
}

async function storedContractIds(
  productCode: string,
  scope: SyncScope,
  contracts: ContractRepository,
): Promise<string[]> {
  if (scope.by === 'customer') {
    return contracts.findContractIds(productCode, { customerIdentifier: scope.customerIdentifier });
  }
  if (scope.by === 'account') {
    return contracts.findContractIds(productCode, { customerAWSAccountId: scope.customerAWSAccountId });
  }
  return [];
}

function factsFor(command: SyncCommand, stored: StoredContract | undefined): ContractFacts {
  if (command.factsApplyTo === 'scope') return command.facts;
  return stored?.contract.facts.agreementId?.value === command.factsApplyTo.agreementId ? command.facts : {};
}

import { contractIdOf, licenseIdFromArn } from '../contract/identity.js';
import type { ContractKey, StoredContract } from '../contract/model.js';
import type { Clock, ContractRepository, EntitlementReader } from '../contract/ports.js';
import { syncContracts } from '../contract/sync-contracts.js';
import { findProductByCode, type ProductCatalog } from '../product/catalog.js';
import {
  ContractEndedError,
  SetupExpiredError,
  TooManyRequestsError,
  UnknownContractError,
  UnknownProductError,
} from './errors.js';
import {
  type BudgetCounter,
  type SetupLimits,
  SOURCE_REGISTRATIONS,
  sourceOf,
  windowStart,
} from './limits.js';
import { SETUP_WINDOW_MS, type SetupSession } from './model.js';
import type { CustomerResolver, Secrets, SetupStore } from './ports.js';

export interface StartSetupDeps {
  readonly catalog: ProductCatalog;
  readonly resolver: CustomerResolver;
  readonly contracts: ContractRepository;
  readonly entitlements: EntitlementReader;
  readonly setups: SetupStore;
  readonly secrets: Secrets;
  readonly clock: Clock;
  readonly budgets: BudgetCounter;
  readonly limits?: SetupLimits;
}

export interface StartSetupInput {
  readonly registrationToken: string;
  readonly freeTrialOffer: boolean;
  /** The address the POST came from (the function URL's `sourceIp`): its budget of POSTs. */
  readonly sourceAddress?: string;
}

/**
 * The marketplace's POST to the fulfillment URL.
 *
 * Steps:
 * 0. One from the source address's budget (20 POSTs in 10 minutes), before anything spends the
 *    seller's marketplace quota: TooManyRequestsError.
 * 1. ResolveCustomer at once (the token may expire within the hour); the token is then dropped,
 *    never stored or logged; only a hash of it is kept, to know its first POST.
 * 2. A product this deployment does not sell is refused.
 * 3. Sync the contract from GetEntitlements now (its notification can come minutes later, and
 *    the marketplace checklist asks for the check at registration); nothing live and never
 *    stored → UnknownContractError; ended → ContractEndedError.
 * 4. A new setup session, written in the same round trip as the sync's write, valid four hours
 *    from the token's first POST (R4): the first POST records the token's hash with the
 *    deadline; a replay of the token opens a new session with that same deadline (one more
 *    round trip), or, past it, SetupExpiredError. Repeated clicks change nothing else
 *    (marketplace checklist: accept multiple registration attempts).
 * Returns the cookie value (only the browser keeps it) and the session.
 */
export async function startSetup(
  input: StartSetupInput,
  deps: StartSetupDeps,
): Promise<{ cookieValue: string; session: SetupSession }> {
  const source = {
    key: `source:${sourceOf(input.sourceAddress)}`,
    ...(deps.limits?.sourceRegistrations ?? SOURCE_REGISTRATIONS),
  };
  const arrived = deps.clock.now();
  if (!(await deps.budgets.take(source, arrived))) {
    const end = windowStart(source, arrived) + source.windowMs;
    throw new TooManyRequestsError(Math.max(1, Math.ceil((end - arrived.getTime()) / 1000)));
  }
  const customer = await deps.resolver.resolve(input.registrationToken);
  const token = { hash: deps.secrets.hash(`registration-token:${input.registrationToken}`) };
  if (!findProductByCode(deps.catalog, customer.productCode)) {
    throw new UnknownProductError(`Product ${customer.productCode} is not configured`);
  }
  const key = contractKeyOf(customer);
  if (!key)
    throw new UnknownContractError('ResolveCustomer returned neither a license nor a customer identifier');
  const contractId = contractIdOf(key);

  // Always: the marketplace checklist wants GetEntitlements verified at registration, and the
  // notification for this purchase may not have arrived yet. Unchanged contracts cost no write.
  // The session is created alongside the sync's write, from the contract as it will be once
  // written: three sequential round trips for a license (ResolveCustomer; GetEntitlements with
  // the stored contract; the write with the session), one more for a legacy customer.
  const syncedAt = deps.clock.now().toISOString();
  let created: Created | undefined;
  await syncContracts(
    {
      product: { code: customer.productCode },
      scope:
        key.kind === 'license' && customer.licenseArn
          ? {
              by: 'license',
              licenseArn: customer.licenseArn,
              ...(customer.customerAWSAccountId
                ? { customerAWSAccountId: customer.customerAWSAccountId }
                : {}),
            }
          : { by: 'customer', customerIdentifier: customer.customerIdentifier ?? '' },
      facts: {},
      factsApplyTo: 'scope',
      trigger: { source: 'setup', type: 'registration', id: `setup-${syncedAt}`, at: syncedAt },
    },
    deps,
    {
      alongside: (current) => {
        const stored =
          current.find((c) => c.contract.contractId === contractId) ?? legacyContract(customer, current);
        if (!stored) throw new UnknownContractError(`No live contract ${contractId}`);
        if (stored.contract.term !== 'current')
          throw new ContractEndedError(`Contract ${contractId} is ${stored.contract.term}`);
        // A sync that lost a race runs again and calls this again: one session all the same.
        if (created?.session.contractId !== stored.contract.contractId) {
          // A fresh cookie per session: a second one must not collide with the first's key.
          const cookieValue = deps.secrets.token();
          const session = newSession(stored.contract.contractId, cookieValue, input, customer, deps);
          const entry: NonNullable<typeof created> = { cookieValue, session, write: Promise.resolve() };
          entry.write = openWindow(entry, token, deps);
          created = entry;
        }
        return created.write;
      },
    },
  );
  if (!created) throw new UnknownContractError(`No live contract ${contractId}`);
  return { cookieValue: created.cookieValue, session: created.session };
}

interface Created {
  readonly cookieValue: string;
  session: SetupSession;
  write: Promise<void>;
}

/**
 * Writes the session; if its token opened a setup before, the session keeps that one's deadline
 * (R4: four hours from the first POST of a token, however often it is replayed).
 */
async function openWindow(
  created: Created,
  token: { readonly hash: string },
  deps: Pick<StartSetupDeps, 'setups' | 'clock'>,
): Promise<void> {
  const first = await deps.setups.createSession(created.session, token);
  if (first.created) return;
  if (Date.parse(first.expiresAt) <= deps.clock.now().getTime())
    throw new SetupExpiredError('The four hours of this registration token are over');
  const resumed: SetupSession = { ...created.session, expiresAt: first.expiresAt };
  await deps.setups.createSession(resumed);
  created.session = resumed;
}

/** A new setup session at its first step, valid four hours from now (R4). */
function newSession(
  contractId: string,
  cookieValue: string,
  input: StartSetupInput,
  customer: { productCode: string; customerAWSAccountId?: string },
  deps: Pick<StartSetupDeps, 'clock' | 'secrets'>,
): SetupSession {
  const now = deps.clock.now();
  return {
    sessionKey: deps.secrets.hash(cookieValue),
    contractId,
    productCode: customer.productCode,
    ...(customer.customerAWSAccountId ? { customerAWSAccountId: customer.customerAWSAccountId } : {}),
    freeTrialOffer: input.freeTrialOffer,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + SETUP_WINDOW_MS).toISOString(),
    step: 'email',
    csrfToken: deps.secrets.token(),
    version: 1,
  };
}

function contractKeyOf(customer: {
  productCode: string;
  licenseArn?: string;
  customerIdentifier?: string;
}): ContractKey | undefined {
  const licenseId = customer.licenseArn ? licenseIdFromArn(customer.licenseArn) : undefined;
  if (licenseId) return { kind: 'license', productCode: customer.productCode, licenseId };
  if (customer.customerIdentifier) {
    return {
      kind: 'customer',
      productCode: customer.productCode,
      customerIdentifier: customer.customerIdentifier,
    };
  }
  return undefined;
}

/**
 * A legacy listing resolved to a customer identifier only: its one contract among those the
 * customer-scoped sync read (which also found contracts keyed by license).
 */
function legacyContract(
  customer: { licenseArn?: string; customerIdentifier?: string },
  current: readonly StoredContract[],
): StoredContract | undefined {
  if (customer.licenseArn || !customer.customerIdentifier) return undefined;
  return current.length === 1 ? current[0] : undefined;
}

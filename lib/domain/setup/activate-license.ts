import { contractStatus } from '../contract/model.js';
import type { Clock, ContractRepository } from '../contract/ports.js';
import {
  ActivatedElsewhereError,
  AlreadyActiveError,
  ContractEndedError,
  UnknownContractError,
} from './errors.js';
import type { SetupSession } from './model.js';
import type { Mailer, SetupStore } from './ports.js';

export interface ActivateDeps {
  readonly setups: SetupStore;
  readonly contracts: ContractRepository;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly productName: string;
  readonly consoleUrl: string;
  /** How often to re-read the contract when a sync or a racing activation changed it under us; default 10. */
  readonly maxAttempts?: number;
}

/**
 * Activates the contract for the session's business, exactly once (R3, R5).
 *
 * Steps:
 * 1. Read the contract (the session was read by the caller: two reads in all).
 * 2. Already activated by this business → AlreadyActiveError; by another → ActivatedElsewhereError;
 *    its term ended → ContractEndedError.
 * 3. One transaction: the contract takes the business only if it has none and its version is
 *    the one read (a sync in between means read again), the session is completed, an audit
 *    entry records who activated. Of any number of concurrent activations exactly one wins;
 *    the others see the winner and are refused.
 * 4. A confirmation email to the primary user; the caller sends the buyer to the console.
 */
export async function activateLicense(
  session: SetupSession,
  deps: ActivateDeps,
): Promise<{ consoleUrl: string }> {
  const businessId = session.businessId;
  if (!businessId || !session.email) throw new Error('Review step without a business');
  const maxAttempts = deps.maxAttempts ?? 10;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const stored = await deps.contracts.load(session.contractId);
    if (!stored) throw new UnknownContractError(`Contract ${session.contractId} is gone`);
    const { contract } = stored;
    if (contract.activatedBy) {
      throw contract.activatedBy === businessId
        ? new AlreadyActiveError('Already active for this business')
        : new ActivatedElsewhereError('Activated by another business');
    }
    if (contract.term !== 'current') throw new ContractEndedError(`Contract is ${contract.term}`);

    const at = deps.clock.now().toISOString();
    const version = contract.version + 1;
    const failure = await deps.setups.activate({
      session,
      contractId: contract.contractId,
      expectedContractVersion: contract.version,
      businessId,
      at,
      audit: {
        contractId: contract.contractId,
        version,
        at,
        changes: [{ type: 'activated', businessId, email: session.email }],
        trigger: { source: 'setup', type: 'activation', id: session.sessionKey.slice(0, 16), at },
        before: {
          status: contractStatus(contract),
          activeCredits: contract.activeCredits,
          expiresAt: contract.expiresAt,
        },
        after: { status: 'active', activeCredits: contract.activeCredits, expiresAt: contract.expiresAt },
      },
    });
    if (!failure) {
      await deps.mailer.send({
        to: session.email,
        subject: `Your ${deps.productName} license is active`,
        text: [
          `The license for ${session.businessName ?? 'your business'} is now active: ${contract.activeCredits} credits until ${contract.expiresAt.slice(0, 10)}.`,
          '',
          `Open the console: ${deps.consoleUrl}`,
        ].join('\n'),
      });
      return { consoleUrl: deps.consoleUrl };
    }
    if (failure.conflict === 'activated') {
      throw failure.activatedBy === businessId
        ? new AlreadyActiveError('Already active for this business')
        : new ActivatedElsewhereError('Activated by another business');
    }
    if (failure.conflict === 'session-moved')
      throw new AlreadyActiveError('This setup was completed already');
  }
  throw new Error(`Contract ${session.contractId} kept changing during activation`);
}

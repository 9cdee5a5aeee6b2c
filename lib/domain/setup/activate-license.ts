import { type Contract, contractState, contractStatus } from '../contract/model.js';
import type { Clock, ContractRepository } from '../contract/ports.js';
import {
  ActivatedElsewhereError,
  AlreadyActiveError,
  ContractEndedError,
  UnknownContractError,
} from './errors.js';
import type { SetupSession } from './model.js';
import type { EmailMessage, Mailer, SetupStore } from './ports.js';

/** Where activation reports a confirmation mail it could not send (Powertools' Logger fits). */
export interface ActivationLog {
  error(message: string, extra: Record<string, unknown>): void;
}

export interface ActivateDeps {
  readonly setups: SetupStore;
  readonly contracts: ContractRepository;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly productName: string;
  readonly consoleUrl: string;
  /** How often to re-read the contract when a sync or a racing activation changed it under us; default 10. */
  readonly maxAttempts?: number;
  /** Sends of the confirmation mail within the request, and the pause before the n-th retry (n × ms). */
  readonly confirmationRetry?: { readonly attempts: number; readonly delayMs: number };
  /**
   * How long the confirmation mail may take in all, retries included, before the buyer is sent
   * on anyway (a hung SES must not outlast the function's timeout); default 5 s.
   */
  readonly confirmationBudgetMs?: number;
  readonly logger: ActivationLog;
}

/** Three sends, 100 ms then 200 ms apart: the SES client retries throttling inside each. */
const CONFIRMATION_RETRY = { attempts: 3, delayMs: 100 };

/**
 * Whether the contract can no longer be activated: its term ended, or its expiration instant
 * has passed although no notification has said so yet (R1: the marketplace's expiration date
 * is the end of the term, whatever has reached us).
 */
export function hasEnded(contract: Pick<Contract, 'term' | 'expiresAt'>, now: Date): boolean {
  return contract.term !== 'current' || !(Date.parse(contract.expiresAt) > now.getTime());
}

/**
 * Activates the contract for the session's business, exactly once (R3, R5).
 *
 * Steps:
 * 1. Read the contract and the business's credit ledger at once (the session was read by the
 *    caller: three reads in two round trips).
 * 2. Already activated by this business → AlreadyActiveError; by another → ActivatedElsewhereError;
 *    its term ended, or its expiration instant has passed (`hasEnded`) → ContractEndedError.
 * 3. One transaction: the contract takes the business only if it has none and its version is
 *    the one read (a sync in between means read again), the session is completed, an audit
 *    entry records who activated. Of any number of concurrent activations exactly one wins;
 *    the others see the winner and are refused.
 * 4. A confirmation email to the primary user, tried a few times; the license is active
 *    whatever becomes of it, so a mail that still fails is logged (contract, business and
 *    session reference, never the address: the business's primary email is where it goes) and
 *    the buyer is sent to the console all the same.
 */
export async function activateLicense(
  session: SetupSession,
  deps: ActivateDeps,
): Promise<{ consoleUrl: string }> {
  const businessId = session.businessId;
  if (!businessId || !session.email) throw new Error('Review step without a business');
  const contractId = session.contractId;
  if (!contractId) throw new Error('An order registration does not activate a contract');
  const maxAttempts = deps.maxAttempts ?? 10;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    // The contract and the business's ledger in one round trip: both go into the transaction.
    const [stored, ledger] = await Promise.all([
      deps.contracts.load(contractId),
      deps.setups.getLedger(businessId),
    ]);
    if (!stored) throw new UnknownContractError(`Contract ${session.contractId} is gone`);
    const { contract } = stored;
    if (contract.activatedBy) {
      throw contract.activatedBy === businessId
        ? new AlreadyActiveError('Already active for this business')
        : new ActivatedElsewhereError('Activated by another business');
    }
    const now = deps.clock.now();
    if (hasEnded(contract, now)) {
      throw new ContractEndedError(
        contract.term === 'current'
          ? `Contract expired at ${contract.expiresAt}`
          : `Contract is ${contract.term}`,
      );
    }

    const at = now.toISOString();
    const version = contract.version + 1;
    const failure = await deps.setups.activate({
      session,
      stored,
      ledger,
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
        state: { ...contractState(stored), status: 'active', businessId },
      },
    });
    if (!failure) {
      await sendConfirmation(
        {
          to: session.email,
          subject: `Your ${deps.productName} license is active`,
          text: [
            `The license for ${session.businessName ?? 'your business'} is now active: ${contract.activeCredits} credits until ${contract.expiresAt.slice(0, 10)}.`,
            '',
            `Open the console: ${deps.consoleUrl}`,
          ].join('\n'),
        },
        { contractId: contract.contractId, businessId, setup: session.sessionKey.slice(0, 16) },
        deps,
      );
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

/**
 * The confirmation mail after the commit: retried a few times within the request, then logged
 * as an error with what support needs to resend it (the contract names its business, whose
 * primary email is the address). Never throws: the activation has happened.
 */
export async function sendConfirmation(
  message: EmailMessage,
  reference: Readonly<Record<string, string>>,
  deps: Pick<ActivateDeps, 'mailer' | 'logger' | 'confirmationRetry' | 'confirmationBudgetMs'>,
): Promise<void> {
  const { attempts, delayMs } = deps.confirmationRetry ?? CONFIRMATION_RETRY;
  const deadline = Date.now() + (deps.confirmationBudgetMs ?? 5000);
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await beforeDeadline(deps.mailer.send(message), deadline);
      return;
    } catch (error) {
      last = error;
      if (Date.now() + attempt * delayMs >= deadline) break;
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, attempt * delayMs));
    }
  }
  deps.logger.error(
    `${reference.orderId ? 'Registration' : 'Activation'} confirmation mail not sent: resend it`,
    {
      ...reference,
      attempts,
      // Only the error's name and status: SES messages can quote the recipient's address.
      reason: last instanceof Error ? last.name : typeof last,
      status: (last as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode,
    },
  );
}

/** The promise, or a TimeoutError once the deadline (epoch ms) has passed. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('The mail took too long'), { name: 'TimeoutError' })),
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

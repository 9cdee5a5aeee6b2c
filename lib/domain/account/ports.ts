import type { Budget } from '../setup/limits.js';
import type { AccountSession } from './model.js';

export interface AccountStore {
  /**
   * Writes a new sign-in, taking one from each budget in the same transaction (all or none):
   * BudgetSpentError names a spent one.
   */
  create(
    session: AccountSession,
    take: { readonly budgets: readonly Budget[]; readonly now: Date },
  ): Promise<void>;
  get(sessionKey: string): Promise<AccountSession | undefined>;
  /** Conditional on the version read (ConcurrentUpdateError); with `take`, as `create`. */
  save(
    session: AccountSession,
    expectedVersion: number,
    take?: { readonly budgets: readonly Budget[]; readonly now: Date },
  ): Promise<void>;
  /** Gives back what `create` or `save` took (a mail that never went out); best effort. */
  giveBack(budgets: readonly Budget[], now: Date): Promise<void>;
  /** Counts one guess at the sign-in's code before it is compared (SetupStore.claimCodeAttempt). */
  claimCodeAttempt(sessionKey: string, salt: string, max: number): Promise<number | undefined>;
  /**
   * One transaction: the sign-in is replaced by its ended state (only if still at
   * `expectedVersion` and step `code`, so a code opens one session) and the signed-in session
   * is written. False when it lost that race.
   */
  signIn(ended: AccountSession, expectedVersion: number, signedIn: AccountSession): Promise<boolean>;
  /** Ends a session (sign-out); nothing when there is none. */
  end(sessionKey: string, at: Date): Promise<void>;
}

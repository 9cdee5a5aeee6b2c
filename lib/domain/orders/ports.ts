import type { CodeRecord } from '../codes/records.js';
import type { DirectLicense } from '../credits/licenses.js';
import type { Ledger } from '../credits/model.js';
import type { HistoryEntry } from '../events/history.js';
import type { SetupSession } from '../setup/model.js';
import type { Order, OrderState } from './model.js';

export interface OrderListPage {
  readonly orders: readonly Order[];
  /** Opaque; absent on the last page. */
  readonly cursor?: string;
}

/** What registering an order writes, in one transaction (R12). */
export interface OrderRegistration {
  /** The order as read: the write holds only if its revision is still this one. */
  readonly order: Order;
  /** The order after: the registered lines have `registeredBy`, `registeredAt`, `licenseReference`. */
  readonly next: Order;
  /** One license per registered line, each with its Activation Code (R11). */
  readonly licenses: readonly DirectLicense[];
  readonly businessId: string;
  readonly businessName: string;
  readonly primaryEmail: string;
  /** The setup session that registers, completed in the same write (only if still at its version). */
  readonly session?: { readonly next: SetupSession; readonly expectedVersion: number };
  readonly history: HistoryEntry;
  readonly at: string;
  /**
   * The business's ledger as the conflict check read it (undefined: it had none). The licenses'
   * credits are added to it and the write holds only on its revision, so two orders registered
   * into one business at once cannot both pass the check (R12): the second reviews again.
   */
  readonly ledger: Ledger | undefined;
  /** The Registration Key that opened the session: the write holds only while it is valid (R11). */
  readonly registrationKey?: string;
}

/**
 * Why a registration did not write: the order or the business's ledger moved (read again), the
 * session moved (another tab registered), or support replaced the key that opened it.
 */
export type RegistrationConflict = 'order-moved' | 'session-moved' | 'key-replaced';

export interface OrderStore {
  /**
   * Creates the order and one code item per line's Registration Key, all or nothing, only if no
   * order has that id. Returns the stored order when it exists (the caller compares).
   * Throws CodeCollisionError naming drawn keys that already exist (draw them again).
   */
  importOrder(
    order: Order,
    history: HistoryEntry,
  ): Promise<{ readonly created: true } | { readonly created: false; readonly existing: Order }>;
  get(orderId: string): Promise<Order | undefined>;
  /** Orders newest first, optionally by state (filtered after reading one partition). */
  list(options: {
    readonly state?: OrderState;
    readonly limit: number;
    readonly cursor?: string;
  }): Promise<OrderListPage>;
  /**
   * The registration, one transaction: order on its revision, a license and an Activation Code
   * per line, the business's ledger (read here) on its revision with the licenses' credits
   * (R2), the session, the history entry. Returns undefined
   * on success, else what moved; throws CodeCollisionError when a drawn code exists.
   * A ledger that moved alone (an allocation at that moment) is read again and the write retried.
   */
  register(write: OrderRegistration): Promise<undefined | { readonly conflict: RegistrationConflict }>;
}

export interface CodeReader {
  /** The code's record (canonical form), strongly consistent; undefined when no such code exists. */
  findCode(code: string): Promise<CodeRecord | undefined>;
}

/** Typed errors of orders and codes (R11, R12); the license API and the setup pages map each to its own answer. */

/** An order import that the catalog or the calendar refuses, by field (`lines[1].service`). */
export class InvalidOrderError extends Error {
  override readonly name = 'InvalidOrderError';
  constructor(readonly fields: Readonly<Record<string, string>>) {
    super(
      `The order is not valid: ${Object.entries(fields)
        .map(([f, m]) => `${f}: ${m}`)
        .join('; ')}`,
    );
  }
}

/** The order id was imported before with other content: importing is idempotent, never an update. */
export class OrderConflictError extends Error {
  override readonly name = 'OrderConflictError';
  constructor(readonly orderId: string) {
    super(`Order ${orderId} exists with other content`);
  }
}

export class UnknownOrderError extends Error {
  override readonly name = 'UnknownOrderError';
}

/**
 * A code that is not well formed (caught by its check character before any lookup) or that no
 * order or license has. `reason` says which, so the page can say "check for a typo".
 */
export class InvalidCodeError extends Error {
  override readonly name = 'InvalidCodeError';
  constructor(readonly reason: 'format' | 'checksum' | 'unknown' | 'wrong-kind') {
    super(
      reason === 'unknown'
        ? 'No order or license has this code'
        : reason === 'wrong-kind'
          ? 'This is not the kind of code asked for here'
          : 'This is not a valid code: check it for a typo',
    );
  }
}

/** R11: the code was invalidated by support and replaced; the message says so. */
export class CodeReplacedError extends Error {
  override readonly name = 'CodeReplacedError';
  constructor() {
    super('This code was replaced: use the new one support sent to the licensee');
  }
}

/** Too many codes that did not exist from one client: lookups wait, so codes cannot be enumerated. */
export class CodeLookupLimitError extends Error {
  override readonly name = 'CodeLookupLimitError';
  constructor(readonly retryAfterSeconds: number) {
    super('Too many codes that do not exist were tried; wait before trying again');
  }
}

/** Every line of the order is registered already (R12: registered lines are left out). */
export class OrderRegisteredError extends Error {
  override readonly name = 'OrderRegisteredError';
  constructor(readonly byThisBusiness: boolean) {
    super(
      byThisBusiness
        ? 'This order is registered to this account already'
        : 'This order is registered already',
    );
  }
}

/** Every open line conflicts with a service the account has: the order must go to another account (seed 003). */
export class OrderConflictsError extends Error {
  override readonly name = 'OrderConflictsError';
  constructor(readonly lineNos: readonly number[]) {
    super('Every line left of this order conflicts with a service this account has');
  }
}

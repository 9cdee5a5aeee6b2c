/** Typed errors of the credits use cases; the license API maps each to a stable `code`. */

/** A service the product's catalog does not list (R14). */
export class UnknownServiceError extends Error {
  override readonly name = 'UnknownServiceError';
  constructor(readonly service: string) {
    super(`No service "${service}" in the catalog`);
  }
}

export class UnknownBusinessError extends Error {
  override readonly name = 'UnknownBusinessError';
  constructor(readonly businessId: string) {
    super(`No business ${businessId}`);
  }
}

/** R9: the allocation would take the balance below zero. */
export class InsufficientCreditsError extends Error {
  override readonly name = 'InsufficientCreditsError';
  constructor(
    readonly needed: number,
    readonly available: number,
  ) {
    super(`This needs ${needed} more credits; ${available} are available`);
  }
}

/** R9: allocations exceed the total; until the balance is back at zero they can only go down. */
export class OverAllocatedError extends Error {
  override readonly name = 'OverAllocatedError';
  constructor(readonly overBy: number) {
    super(
      `The business is over-allocated by ${overBy} credits: allocations can only be lowered until the balance is back at zero`,
    );
  }
}

/** A license from another channel whose reference is taken by a different license. */
export class LicenseReferenceConflictError extends Error {
  override readonly name = 'LicenseReferenceConflictError';
  constructor(readonly reference: string) {
    super(`License reference ${reference} is already used by a different license`);
  }
}

/** Concurrent writers kept changing the ledger past the retry limit. */
export class LedgerContentionError extends Error {
  override readonly name = 'LedgerContentionError';
  constructor(
    readonly businessId: string,
    readonly attempts: number,
  ) {
    super(`The credits of business ${businessId} kept changing during ${attempts} attempts`);
  }
}

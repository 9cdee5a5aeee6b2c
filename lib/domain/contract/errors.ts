/** Another writer changed the contract between our read and our write; re-read and try again. */
export class ConcurrentUpdateError extends Error {
  override readonly name = 'ConcurrentUpdateError';
  constructor(readonly contractId: string) {
    super(`Contract ${contractId} was changed by another writer`);
  }
}

/** The marketplace kept failing (throttling or 5xx) within the time we had; the message goes back to the queue. */
export class MarketplaceUnavailableError extends Error {
  override readonly name = 'MarketplaceUnavailableError';
  constructor(
    readonly operation: string,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(`${operation} failed after ${attempts} attempt(s)`, options);
  }
}

/** A contract kept conflicting with concurrent writers past the retry limit. */
export class SyncConflictError extends Error {
  override readonly name = 'SyncConflictError';
  constructor(
    readonly contractId: string,
    readonly attempts: number,
  ) {
    super(`Contract ${contractId} still conflicted after ${attempts} attempts`);
  }
}

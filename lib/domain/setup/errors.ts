/** Typed errors of the setup flow; the handler maps each to its own page and status code. */

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}
export class ExpiredTokenError extends Error {
  override readonly name = 'ExpiredTokenError';
}
/** The marketplace throttled us past our retries: the buyer should wait a moment. */
export class MarketplaceBusyError extends Error {
  override readonly name = 'MarketplaceBusyError';
}
export class UnknownProductError extends Error {
  override readonly name = 'UnknownProductError';
}
/** The marketplace knows the buyer but we find no live contract (yet). */
export class UnknownContractError extends Error {
  override readonly name = 'UnknownContractError';
}
export class ContractEndedError extends Error {
  override readonly name = 'ContractEndedError';
}
export class NoSetupSessionError extends Error {
  override readonly name = 'NoSetupSessionError';
}
/** R4: four hours after the click the setup is over. */
export class SetupExpiredError extends Error {
  override readonly name = 'SetupExpiredError';
}
/** A form for another step than the one the session is at (back button, replay). */
export class WrongStepError extends Error {
  override readonly name = 'WrongStepError';
}
export class CodeCooldownError extends Error {
  override readonly name = 'CodeCooldownError';
  constructor(readonly retryInSeconds: number) {
    super(`A code was sent moments ago; a new one can be sent in ${retryInSeconds} s`);
  }
}
export class WrongCodeError extends Error {
  override readonly name = 'WrongCodeError';
  constructor(readonly attemptsLeft: number) {
    super(`Wrong code; ${attemptsLeft} attempt(s) left`);
  }
}
/** R7: the three minutes are over; a new code must be requested. */
export class CodeExpiredError extends Error {
  override readonly name = 'CodeExpiredError';
}
export class TooManyAttemptsError extends Error {
  override readonly name = 'TooManyAttemptsError';
}
/** As many codes as may be mailed to this mailbox, or for this contract, for now (R7). */
export class CodeLimitError extends Error {
  override readonly name = 'CodeLimitError';
}
/** Too many marketplace POSTs from one source address: wait, then try again. */
export class TooManyRequestsError extends Error {
  override readonly name = 'TooManyRequestsError';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many setup requests from this address; try again in ${retryAfterSeconds} s`);
  }
}
export class InvalidBusinessDetailsError extends Error {
  override readonly name = 'InvalidBusinessDetailsError';
  constructor(readonly fields: Readonly<Record<string, string>>) {
    super(`Invalid business details: ${Object.keys(fields).join(', ')}`);
  }
}
/** R3: this business activated the contract already. */
export class AlreadyActiveError extends Error {
  override readonly name = 'AlreadyActiveError';
}
/** R3: another business activated the contract; it cannot be transferred. */
export class ActivatedElsewhereError extends Error {
  override readonly name = 'ActivatedElsewhereError';
}

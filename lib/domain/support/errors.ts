/**
 * Typed errors of the support operations (R3, R11); functions/support maps each to a stable
 * `code`. Messages never carry a code (R11): they reach logs and answers.
 */

/** No such license, or a contract nobody activated (there is nothing to move). */
export class UnknownLicenseError extends Error {
  override readonly name = 'UnknownLicenseError';
  constructor(
    readonly license: string,
    readonly why: 'not-found' | 'not-activated' = 'not-found',
  ) {
    super(
      why === 'not-activated'
        ? `License ${license} was never activated by a business: there is nothing to transfer`
        : `No license ${license}`,
    );
  }
}

/** The license already belongs to the business it would move to (also: a transfer replayed). */
export class SameBusinessError extends Error {
  override readonly name = 'SameBusinessError';
  constructor(
    readonly license: string,
    readonly businessId: string,
  ) {
    super(
      `License ${license} already belongs to business ${businessId}: nothing to move (a transfer sent twice ends here)`,
    );
  }
}

/** The license is no longer held by the business the caller expected (another transfer won). */
export class BusinessMovedError extends Error {
  override readonly name = 'BusinessMovedError';
  constructor(
    readonly license: string,
    readonly expectedBusinessId: string,
    readonly currentBusinessId: string,
  ) {
    super(
      `License ${license} is held by business ${currentBusinessId}, not ${expectedBusinessId}: read it again before moving it`,
    );
  }
}

/** The license's term has ended (expired, cancelled, continued by another contract): it moves nowhere. */
export class LicenseEndedError extends Error {
  override readonly name = 'LicenseEndedError';
  constructor(
    readonly license: string,
    readonly endedAt: string,
  ) {
    super(`License ${license} ended at ${endedAt}: an ended license is not transferred`);
  }
}

/** More items than one transaction can move with the contract (DynamoDB's 100 actions). */
export class TooManyItemsError extends Error {
  override readonly name = 'TooManyItemsError';
  constructor(
    readonly license: string,
    readonly items: number,
    readonly limit: number,
  ) {
    super(
      `License ${license}'s items take ${items} actions of one transaction (three for an active item with an Activation Code, one for any other); a transfer has ${limit}`,
    );
  }
}

const BAD_CODE_WORDS: Readonly<Record<string, string>> = {
  empty: 'no code was given',
  'too-long': 'far longer than any code',
  format:
    'not the shape of a Registration Key (PC-1234-5678-9012-3456) or an Activation Code (PC-AB12-CDEFG-HJKMN-PQRST-VWXYZ-01234)',
  checksum: 'a character is mistyped (the check character does not match)',
};

/** A code that does not parse: wrong length, letters, groups or check characters (R11). */
export class BadCodeError extends Error {
  override readonly name = 'BadCodeError';
  constructor(readonly reason: string) {
    super(`Not a valid code: ${BAD_CODE_WORDS[reason] ?? reason}`);
  }
}

/** No such code was ever issued. */
export class UnknownCodeError extends Error {
  override readonly name = 'UnknownCodeError';
  constructor() {
    super('No such code was issued');
  }
}

/** The code was replaced already; its replacement is the one that works. */
export class CodeReplacedError extends Error {
  override readonly name = 'CodeReplacedError';
  constructor(
    readonly replacedBy: string | undefined,
    readonly replacedAt: string | undefined,
  ) {
    super(`This code was replaced${replacedAt ? ` at ${replacedAt}` : ''}; use its replacement`);
  }
}

/** A Registration Key of a line already registered: its license's Activation Code is what to replace. */
export class KeyRegisteredError extends Error {
  override readonly name = 'KeyRegisteredError';
  constructor(
    readonly orderId: string,
    readonly lineNo: number,
    readonly licenseReference: string | undefined,
  ) {
    super(
      `Line ${lineNo} of order ${orderId} is registered already: replace the Activation Code of its license instead`,
    );
  }
}

/** The code's record and what it opens disagree (the target holds another code, or is gone). */
/** A transfer found a code of the license whose record is not a valid one: it cannot replace it. */
export class StaleCodeError extends Error {
  override readonly name = 'StaleCodeError';
  constructor(readonly masked: string) {
    super(
      `The license's Activation Code ${masked} has no valid code record, so the transfer cannot replace it: nothing was changed`,
    );
  }
}

export class CodeTargetMismatchError extends Error {
  override readonly name = 'CodeTargetMismatchError';
  constructor(readonly target: string) {
    super(`The code's ${target} does not hold this code: nothing was changed`);
  }
}

/** Concurrent writers kept changing what the operation reads past the retry limit. */
export class SupportContentionError extends Error {
  override readonly name = 'SupportContentionError';
  constructor(
    readonly what: string,
    readonly attempts: number,
  ) {
    super(`${what} kept changing during ${attempts} attempts`);
  }
}

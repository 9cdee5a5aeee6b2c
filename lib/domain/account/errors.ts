/** Typed errors of the returning buyer's sign-in; the setup function's error mapper gives each its page. */

/** No signed-in session behind the cookie (none, tampered, expired or signed out): sign in first. */
export class NotSignedInError extends Error {
  override readonly name = 'NotSignedInError';
}

/** Too many sign-in requests from one source address: wait, then try again. */
export class TooManySignInsError extends Error {
  override readonly name = 'TooManySignInsError';
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many sign-in requests from this address; try again in ${retryAfterSeconds} s`);
  }
}

/**
 * Codes as stored (R11): each Registration Key and Activation Code is its own item, created only
 * if absent (so codes are unique), pointing at what it opens. An invalidated code stays, marked
 * replaced, so it is refused with a message that says so.
 */

/** What a code opens: an order line (a Registration Key) or a license item (an Activation Code). */
export type CodeTarget =
  | { readonly kind: 'registration-key'; readonly orderId: string; readonly lineNo: number }
  | {
      readonly kind: 'activation-code';
      /** A contract id, or `direct~<reference>` for a license from another channel (an order line included). */
      readonly licenseId: string;
      readonly itemNo: number;
    };

export interface CodeRecord {
  /** Canonical form (uppercase, with dashes). */
  readonly code: string;
  readonly target: CodeTarget;
  readonly state: 'valid' | 'replaced';
  readonly createdAt: string;
  /** The code this one replaced, and the one that replaced it. */
  readonly replaces?: string;
  readonly replacedBy?: string;
  readonly replacedAt?: string;
}

/** A code drawn for a target collided with an existing one: draw again (the writer retries). */
export class CodeCollisionError extends Error {
  override readonly name = 'CodeCollisionError';
  constructor(readonly codes: readonly string[]) {
    super(`${codes.length} code(s) already exist; drawing again`);
  }
}

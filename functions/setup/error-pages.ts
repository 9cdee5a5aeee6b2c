import {
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../lib/adapters/http/form-body.js';
import { ConcurrentUpdateError, MarketplaceUnavailableError } from '../../lib/domain/contract/errors.js';
import {
  ActivatedElsewhereError,
  AlreadyActiveError,
  CodeCooldownError,
  ContractEndedError,
  ExpiredTokenError,
  InvalidTokenError,
  MarketplaceBusyError,
  NoSetupSessionError,
  SetupExpiredError,
  TooManyAttemptsError,
  UnknownContractError,
  UnknownProductError,
  WrongStepError,
} from '../../lib/domain/setup/errors.js';
import { CsrfError } from '../../lib/domain/setup/session.js';
import { type MessageKind, messagePage } from './views/pages.js';

const KINDS: ReadonlyArray<[abstract new (...args: never[]) => Error, MessageKind]> = [
  [NoSetupSessionError, 'no-session'],
  [SetupExpiredError, 'setup-expired'],
  [CsrfError, 'csrf'],
  [InvalidTokenError, 'invalid-token'],
  [ExpiredTokenError, 'expired-token'],
  [MarketplaceBusyError, 'marketplace-busy'],
  [MarketplaceUnavailableError, 'marketplace-unavailable'],
  [UnknownProductError, 'unknown-product'],
  [UnknownContractError, 'unknown-contract'],
  [ContractEndedError, 'contract-ended'],
  [AlreadyActiveError, 'already-active'],
  [ActivatedElsewhereError, 'activated-elsewhere'],
  [TooManyAttemptsError, 'too-many-attempts'],
  [PayloadTooLargeError, 'too-large'],
  [UnsupportedMediaTypeError, 'unsupported-media-type'],
  [MalformedBodyError, 'bad-request'],
];

/**
 * The one mapper from errors to buyer pages: each domain error gets the page that says what
 * happened and what to do next. `current-step` means "send the buyer to the step they are at"
 * (a replayed or out-of-order form). Undefined: an unexpected error, a generic 500.
 */
export function pageForError(
  error: unknown,
  ctx: { productName: string; supportEmail: string },
  extra: { consoleUrl: string },
): { status: number; html: string } | 'current-step' | undefined {
  if (
    error instanceof WrongStepError ||
    error instanceof ConcurrentUpdateError ||
    error instanceof CodeCooldownError
  ) {
    return 'current-step';
  }
  for (const [type, kind] of KINDS) {
    if (error instanceof type) return messagePage(ctx, kind, extra);
  }
  return undefined;
}

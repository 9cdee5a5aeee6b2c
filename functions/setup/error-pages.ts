import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import {
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../lib/adapters/http/form-body.js';
import { NotSignedInError, TooManySignInsError } from '../../lib/domain/account/errors.js';
import { ConcurrentUpdateError, MarketplaceUnavailableError } from '../../lib/domain/contract/errors.js';
import { UnknownBusinessError, UnknownServiceError } from '../../lib/domain/credits/errors.js';
import {
  CodeLookupLimitError,
  CodeReplacedError,
  InvalidCodeError,
  OrderConflictsError,
  OrderRegisteredError,
  UnknownOrderError,
} from '../../lib/domain/orders/errors.js';
import {
  ActivatedElsewhereError,
  AlreadyActiveError,
  CodeCooldownError,
  CodeLimitError,
  ContractEndedError,
  ExpiredTokenError,
  InvalidTokenError,
  MarketplaceBusyError,
  NoSetupSessionError,
  SetupExpiredError,
  TooManyAttemptsError,
  TooManyRequestsError,
  UnknownContractError,
  UnknownProductError,
  WrongStepError,
} from '../../lib/domain/setup/errors.js';
import { CsrfError } from '../../lib/domain/setup/session.js';
import { RegistrationExpiredError } from './registration-steps.js';
import { page, type Result, redirect } from './responses.js';
import { type MessageKind, messagePage } from './views/pages.js';
import { registrationMessagePage } from './views/registration-pages.js';

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
  [CodeLimitError, 'code-limit'],
  [TooManyRequestsError, 'too-many-requests'],
  [TooManySignInsError, 'too-many-sign-ins'],
  [UnknownServiceError, 'bad-request'],
  [UnknownBusinessError, 'not-found'],
  [PayloadTooLargeError, 'too-large'],
  [UnsupportedMediaTypeError, 'unsupported-media-type'],
  [MalformedBodyError, 'bad-request'],
];

interface PageContext {
  readonly productName: string;
  readonly supportEmail: string;
  readonly consoleUrl: string;
}

/**
 * The order registration's refusals (R4, R11, R12; seed 003), each its own page: a key with a
 * typo or one no order has (400), a replaced key (410), too many keys that do not exist (429),
 * an order registered already (409, or 200 when to this account), lines that must go to
 * another account (409), an order gone (404), four hours over (410).
 */
function registrationPageFor(error: unknown, ctx: PageContext): { status: number; html: string } | undefined {
  if (error instanceof RegistrationExpiredError) return registrationMessagePage(ctx, 'registration-expired');
  if (error instanceof InvalidCodeError) {
    return registrationMessagePage(ctx, error.reason === 'unknown' ? 'key-unknown' : 'key-invalid');
  }
  if (error instanceof CodeReplacedError) return registrationMessagePage(ctx, 'key-replaced');
  if (error instanceof CodeLookupLimitError) {
    return registrationMessagePage(ctx, 'key-lookup-limit', { retryAfterSeconds: error.retryAfterSeconds });
  }
  if (error instanceof OrderRegisteredError) {
    return registrationMessagePage(ctx, error.byThisBusiness ? 'order-registered-here' : 'order-registered', {
      consoleUrl: ctx.consoleUrl,
    });
  }
  if (error instanceof OrderConflictsError) {
    return registrationMessagePage(ctx, 'order-conflicts', { lineNos: error.lineNos });
  }
  if (error instanceof UnknownOrderError) return registrationMessagePage(ctx, 'unknown-order');
  return undefined;
}

/** The returning buyer's pages: their own start page, and their own page for some errors. */
const isAccountPath = (path: string | undefined) =>
  path === '/account' || Boolean(path?.startsWith('/account/'));

/**
 * Each domain error's page, the one that says what happened and what to do next.
 * `current-step` means "send the buyer to the step they are at" (a replayed or out-of-order
 * form; on the account pages, also "sign in first"). Undefined: an unexpected error.
 */
export function pageForError(
  error: unknown,
  ctx: PageContext,
  path?: string,
): { status: number; html: string } | 'current-step' | undefined {
  if (
    error instanceof WrongStepError ||
    error instanceof ConcurrentUpdateError ||
    error instanceof CodeCooldownError ||
    error instanceof NotSignedInError
  ) {
    return 'current-step';
  }
  if (isAccountPath(path) && error instanceof TooManyAttemptsError) {
    return messagePage(ctx, 'sign-in-too-many-attempts');
  }
  const registration = registrationPageFor(error, ctx);
  if (registration) return registration;
  for (const [type, kind] of KINDS) {
    if (error instanceof type) return messagePage(ctx, kind, { consoleUrl: ctx.consoleUrl });
  }
  return undefined;
}

interface Log {
  info(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

/**
 * The chain's one error mapper (last in the chain, so its `onError` runs first): a refused
 * request gets its page (logged at info), anything else the generic error page with the
 * request id (logged as an error with the details). middy's `http-error-handler` would answer
 * `text/plain` with the error's message; buyers get a page.
 */
export function setupErrorPages(
  ctx: PageContext,
  logger: Log,
): MiddlewareObj<APIGatewayProxyEventV2, Result, Error, Context> {
  return {
    onError: (request) => {
      const { error } = request;
      const path = request.event.rawPath;
      const mapped = pageForError(error, ctx, path);
      if (mapped === 'current-step') {
        // A form for a step already done (back button, double submit): show where the buyer is now.
        request.response = redirect(isAccountPath(path) ? '/account' : '/setup');
      } else if (mapped) {
        logger.info('Setup request refused', { path, reason: error?.name });
        request.response = page(mapped);
        if (
          error instanceof TooManyRequestsError ||
          error instanceof TooManySignInsError ||
          error instanceof CodeLookupLimitError
        ) {
          request.response.headers = {
            ...request.response.headers,
            'retry-after': String(error.retryAfterSeconds),
          };
        }
      } else {
        logger.error('Setup request failed', { path, error: withoutEmails(error) });
        request.response = page(
          messagePage(ctx, 'server-error', { requestId: request.context.awsRequestId }),
        );
      }
    },
  };
}

const EMAIL = /[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+/g;

/**
 * The error as it is logged: its name, status and stack, with anything that looks like an email
 * address taken out (an SES rejection quotes the recipient; addresses are never logged).
 */
export function withoutEmails(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error).replace(EMAIL, '<email>') };
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return {
    name: error.name,
    message: error.message.replace(EMAIL, '<email>'),
    ...(status ? { status } : {}),
    ...(error.stack ? { stack: error.stack.replace(EMAIL, '<email>') } : {}),
  };
}

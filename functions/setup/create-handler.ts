import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpRouterHandler from '@middy/http-router';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { securityHeaders } from '../../lib/adapters/http/security-headers.js';
import { logContext } from '../../lib/adapters/lambda/log-context.js';
import type { InvocationClock } from '../../lib/adapters/lambda/remaining-time.js';
import type { AccountStore } from '../../lib/domain/account/ports.js';
import type { AnswerTiming } from '../../lib/domain/account/sign-in.js';
import type { RandomBytes } from '../../lib/domain/codes/codes.js';
import type { BusinessDirectory, CreditNotices, LedgerReader } from '../../lib/domain/credits/ports.js';
import type { CodeReader, OrderStore } from '../../lib/domain/orders/ports.js';
import type { ActivateDeps } from '../../lib/domain/setup/activate-license.js';
import type { BusinessDetailsDeps } from '../../lib/domain/setup/business-details.js';
import type { Mailer } from '../../lib/domain/setup/ports.js';
import type { StartSetupDeps } from '../../lib/domain/setup/start-setup.js';
import type { VerifyEmailDeps } from '../../lib/domain/setup/verify-email.js';
import { setupErrorPages } from './error-pages.js';
import { page, type Result } from './responses.js';
import { setupRoutes } from './routes.js';
import { createSteps } from './steps.js';
import { CSP_DIRECTIVES } from './views/layout.js';
import { messagePage } from './views/pages.js';

export type SetupEvent = APIGatewayProxyEventV2;
export type SetupResult = Result;

/**
 * What the returning buyer's pages need (sign-in, licenses, credit usage): without it those
 * pages are not served (the setup and the calculator are).
 */
export interface AccountOptions {
  readonly accounts: AccountStore;
  readonly ledgers: LedgerReader;
  readonly businesses: BusinessDirectory;
  /**
   * Tells a business that became over-allocated: a usage read that finds a lapsed license
   * writes the ledger again, and that write may set the mark. Default: nobody.
   */
  readonly notices?: CreditNotices;
  /** How an unknown address's sign-in is made to take as long as a known one's; default: this process's. */
  readonly timing?: AnswerTiming;
}

/**
 * What the order registration pages need (R11, R12): the orders, their codes, a CSPRNG for the
 * Activation Codes and the business's holdings for the conflict check. Without it /register is
 * not served.
 */
export interface RegistrationOptions {
  readonly orders: OrderStore;
  readonly codes: CodeReader;
  readonly random: RandomBytes;
  readonly ledgers: Pick<LedgerReader, 'get' | 'holdings'>;
  /** The two letters codes start with; `PC` unless configured. */
  readonly codePrefix?: string;
}

/** Everything the use cases need, plus what only the pages use. */
export interface SetupOptions
  extends StartSetupDeps,
    Omit<VerifyEmailDeps, 'productName'>,
    Omit<BusinessDetailsDeps, 'isTimeZone'>,
    Omit<ActivateDeps, 'productName' | 'consoleUrl'> {
  readonly mailer: Mailer;
  readonly logger: Logger;
  readonly productName: string;
  readonly supportEmail: string;
  readonly consoleUrl: string;
  /**
   * Where the marketplace clients' retry policies read the invocation's remaining time: the
   * chain points it at each invocation's context (dependencies.ts wires both).
   */
  readonly invocation?: InvocationClock;
  /** IANA zones a business may pick; a function is called once, when first needed (it is slow). */
  readonly timeZones: readonly string[] | (() => readonly string[]);
  /** The returning buyer's pages under /account (dependencies.ts wires them). */
  readonly account?: AccountOptions;
  /** The registration of orders from other channels under /register (dependencies.ts wires it). */
  readonly registration?: RegistrationOptions;
}

/**
 * The buyer's setup flow behind a public Lambda function URL (payload 2.0). The middy chain's
 * middlewares, in order:
 * 1. `logContext`: Powertools' invocation context on every log line (first, so even a refused
 *    request logs with its request id; its `after`/`onError` run last and reset the logger);
 *    then, when wired, the invocation clock (the marketplace retries' time left);
 * 2. `http-header-normalizer`: lower-case request header names;
 * 3. `securityHeaders`: CSP (pages carry no script and load nothing from elsewhere), nosniff,
 *    `Referrer-Policy: no-referrer`, framing refused … on every response, error pages included;
 * 4. `setupErrorPages`: the one error mapper (its `onError` runs before the headers' one);
 * then `setupRouter` ends the chain.
 */
export function setupMiddlewares(options: SetupOptions) {
  const ctx = {
    productName: options.productName,
    supportEmail: options.supportEmail,
    consoleUrl: options.consoleUrl,
  };
  return [
    logContext(options.logger),
    ...(options.invocation ? [options.invocation.middleware] : []),
    httpHeaderNormalizer(),
    securityHeaders(CSP_DIRECTIVES),
    setupErrorPages(ctx, options.logger),
  ];
}

/** The handler at the end of the chain: `http-router` over routes.ts; unknown paths get their page. */
export function setupRouter(options: SetupOptions) {
  const steps = createSteps(options);
  const routes = setupRoutes(options, steps);
  const paths = new Set(routes.map((r) => r.path));
  return httpRouterHandler<APIGatewayProxyEventV2, Result>({
    routes,
    notFoundResponse: ({ path }) =>
      page(
        messagePage(
          steps.ctx,
          paths.has(path.replace(/\/$/, '') || '/') ? 'method-not-allowed' : 'not-found',
        ),
      ),
  });
}

/** The chain handler.ts builds, over other dependencies (tests, bench). */
export const createSetupHandler = (options: SetupOptions) =>
  middy<APIGatewayProxyEventV2, Result, Error, Context>()
    .use(setupMiddlewares(options))
    .handler(setupRouter(options));

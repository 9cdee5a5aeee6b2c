import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { accountCookie, readAccountCookie } from '../../lib/adapters/http/cookies.js';
import type { AccountSession } from '../../lib/domain/account/model.js';
import { SIGN_IN_WINDOW_MS } from '../../lib/domain/account/model.js';
import { findAccountSession, type SignInDeps, signInFormToken } from '../../lib/domain/account/sign-in.js';
import { estimateCredits } from '../../lib/domain/credits/estimate.js';
import {
  businessCredits,
  businessLicenses,
  type CreditReadDeps,
} from '../../lib/domain/credits/use-cases.js';
import { findProductByCode, findService, servicesOf } from '../../lib/domain/product/catalog.js';
import { CODE_RESEND_COOLDOWN_MS, MAX_WRONG_CODES } from '../../lib/domain/setup/model.js';
import { parseCalculatorQuery } from './calculator.js';
import type { AccountOptions, SetupOptions } from './create-handler.js';
import { page, type Result } from './responses.js';
import {
  accountHomePage,
  calculatorPage,
  licensesPage,
  signInCodePage,
  signInPage,
  usagePage,
} from './views/account-pages.js';
import type { PageContext } from './views/pages.js';

type Event = APIGatewayProxyEventV2;

/**
 * When no notices are wired (tests of the pages alone). A usage read that finds a lapsed
 * license writes the ledger again and may mark the business over-allocated: the deployed
 * function wires real notices (dependencies.ts), so that write tells the primary user.
 */
const NO_NOTICES = { overAllocated: async () => {} };

/** How long the sign-in form's cookie lives: a form left open an hour still sends. */
const FORM_COOKIE_SECONDS = 3600;

/** What the account routes share: their use cases' dependencies and the page of each state. */
export function createAccountSteps(options: SetupOptions, account: AccountOptions, ctx: PageContext) {
  const signIn: SignInDeps = {
    accounts: account.accounts,
    businesses: account.businesses,
    budgets: options.budgets,
    secrets: options.secrets,
    mailer: options.mailer,
    clock: options.clock,
    productName: options.productName,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(account.timing ? { timing: account.timing } : {}),
  };
  const credits: CreditReadDeps = {
    catalog: options.catalog,
    ledgers: account.ledgers,
    businesses: account.businesses,
    notices: account.notices ?? NO_NOTICES,
    clock: options.clock,
  };
  const cookieOf = (event: Event) => readAccountCookie(event.cookies, event.headers.cookie);
  const productName = (code: string) => findProductByCode(options.catalog, code)?.name ?? options.productName;

  /** The sign-in form, its CSRF token bound to the browser's cookie (set, or refreshed, here). */
  function signInForm(event: Event, extra: { email?: string; error?: string } = {}): Result {
    const cookie = cookieOf(event) ?? options.secrets.token();
    return page(signInPage(ctx, { csrf: signInFormToken(cookie, options.secrets), ...extra }), [
      accountCookie(cookie, FORM_COOKIE_SECONDS),
    ]);
  }

  function codeStep(s: AccountSession, error?: string): Result {
    const now = options.clock.now().getTime();
    return page(
      signInCodePage(ctx, {
        csrf: s.csrfToken,
        email: s.email,
        ...(error ? { error } : {}),
        resendAvailableInSeconds: Math.max(
          0,
          Math.ceil((Date.parse(s.code?.sentAt ?? '0') + CODE_RESEND_COOLDOWN_MS - now) / 1000),
        ),
        attemptsLeft: MAX_WRONG_CODES - (s.code?.attempts ?? 0),
      }),
    );
  }

  /** GET /account: the page of where the browser is (signed in, waiting for a code, or neither). */
  async function current(event: Event): Promise<Result> {
    const s = await findAccountSession(cookieOf(event), signIn, options.clock.now());
    if (s?.step === 'code') return codeStep(s);
    const business = s?.businessId ? await account.businesses.get(s.businessId) : undefined;
    if (s?.step !== 'signed-in' || !business) return signInForm(event);
    return page(accountHomePage(ctx, { csrf: s.csrfToken, business }));
  }

  async function licenses(s: AccountSession & { businessId: string }): Promise<Result> {
    const { business, licenses } = await businessLicenses(credits, s.businessId);
    return page(licensesPage(ctx, { csrf: s.csrfToken, business, licenses, productName }));
  }

  async function usage(s: AccountSession & { businessId: string }): Promise<Result> {
    const { business, usage } = await businessCredits(credits, s.businessId);
    return page(
      usagePage(ctx, {
        csrf: s.csrfToken,
        business,
        usage,
        service: (id) => findService(options.catalog, id),
        sourceName: (id) =>
          id.startsWith('direct~') ? `Direct license ${id.slice(7)}` : `Marketplace contract ${id}`,
      }),
    );
  }

  return {
    signIn,
    cookieOf,
    signInForm,
    codeStep,
    current,
    licenses,
    usage,
    /** Max-Age of a sign-in's cookie. */
    signInSeconds: SIGN_IN_WINDOW_MS / 1000,
  };
}

/** GET /calculator (R14), public: the form, an estimate, or a 400 page naming what is wrong. */
export function calculator(options: Pick<SetupOptions, 'catalog'>, ctx: PageContext, event: Event): Result {
  const services = servicesOf(options.catalog);
  const query = parseCalculatorQuery(event.rawQueryString, services);
  if (query.kind === 'form') return page(calculatorPage(ctx, { services, values: {}, errors: [] }));
  if (query.kind === 'invalid') {
    return page(calculatorPage(ctx, { services, values: query.values, errors: query.errors }));
  }
  const estimate = estimateCredits(options.catalog, query.lines);
  return page(calculatorPage(ctx, { services, values: query.values, errors: [], estimate }));
}

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sessionCookie } from '../../lib/adapters/http/cookies.js';
import type { DirectLicense } from '../../lib/domain/credits/licenses.js';
import {
  InvalidCodeError,
  OrderConflictsError,
  OrderRegisteredError,
  UnknownOrderError,
} from '../../lib/domain/orders/errors.js';
import type { Order, OrderLine, PreviewLine } from '../../lib/domain/orders/model.js';
import {
  orderReview,
  type RegistrationDeps,
  registerOrder,
  startRegistration,
} from '../../lib/domain/orders/register-order.js';
import { findProductByCode, findService, orderConflictRule } from '../../lib/domain/product/catalog.js';
import type { Business, SetupSession } from '../../lib/domain/setup/model.js';
import { CsrfError } from '../../lib/domain/setup/session.js';
import type { RegistrationOptions, SetupOptions } from './create-handler.js';
import { page, type Result, redirect } from './responses.js';
import { unitsOf } from './views/account-pages.js';
import type { PageContext } from './views/pages.js';
import {
  keyFormPage,
  type OrderLineView,
  type OrderSummaryView,
  orderConflictsPage,
  orderEmailPage,
  orderRegisteredPage,
  orderReviewPage,
  type PreviewLineView,
  type RegisteredLicenseView,
  type RegistrationBusinessView,
} from './views/registration-pages.js';

type Event = APIGatewayProxyEventV2;

/**
 * The key form's own cookie: the form's CSRF token is derived from it, as the account sign-in's
 * is (POST /register has no session yet; without a token a forged POST could put the attacker's
 * order into the buyer's browser, over a setup in progress: login CSRF). `__Host-`, so nothing
 * on a sibling domain can set it.
 */
export const REGISTER_FORM_COOKIE = '__Host-register';
/** A form left open an hour still sends. */
const FORM_COOKIE_SECONDS = 3600;

const formCookie = (value: string, maxAgeSeconds: number) =>
  `${REGISTER_FORM_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Lax`;

/** The form cookie's value, when it looks like one of ours. */
function readFormCookie(event: Event): string | undefined {
  const all = [...(event.cookies ?? []), ...(event.headers.cookie ? event.headers.cookie.split(';') : [])];
  for (const cookie of all) {
    const [name, ...rest] = cookie.trim().split('=');
    if (name === REGISTER_FORM_COOKIE) {
      const value = rest.join('=');
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * An order registration whose four hours are over (R4): its page says to enter the key again,
 * not to go back to AWS Marketplace.
 */
export class RegistrationExpiredError extends Error {
  override readonly name = 'RegistrationExpiredError';
}

/** The messages of a key the form refuses before anything is read or counted (R11). */
export const KEY_TYPO =
  'This is not a valid Registration Key: check it for a typo. It is two letters and four groups of four digits.';
export const KEY_UNKNOWN =
  'No order has this Registration Key. Check that you typed it as it is on your certificate or order confirmation.';

/**
 * What the registration routes and the setup steps of an order session share (R11, R12): the
 * use cases' dependencies, the key form, and the page of each step that differs from a
 * marketplace setup (email with the preview, review, registered).
 */
export function createRegistrationSteps(
  options: SetupOptions,
  registration: RegistrationOptions,
  ctx: PageContext,
) {
  const deps: RegistrationDeps = {
    ...options,
    ...registration,
    conflictRuleOf: (productCode) => orderConflictRule(options.catalog, productCode),
  };
  const formToken = (cookie: string) => options.secrets.hash(`register-form:${cookie}`);

  /** GET /register, or the form again after a refusal: its token bound to the browser's form cookie. */
  function keyForm(event: Event, extra: { key?: string; error?: string } = {}): Result {
    const cookie = readFormCookie(event) ?? options.secrets.token();
    return page(keyFormPage(ctx, { csrf: formToken(cookie), ...extra }), [
      formCookie(cookie, FORM_COOKIE_SECONDS),
    ]);
  }

  /** The key form's token must match the browser's form cookie; otherwise nothing is read. */
  function checkForm(event: Event, csrf: string): void {
    const cookie = readFormCookie(event);
    if (!(cookie && csrf && options.secrets.equal(csrf, formToken(cookie)))) {
      throw new CsrfError('The registration form is missing its CSRF token or it does not match');
    }
  }

  /**
   * POST /register: the key opens a setup session for its order (R12) under the setup cookie,
   * then the setup's steps run. A key with a typo, or one no order has, shows the form again.
   */
  async function start(event: Event, key: string): Promise<Result> {
    try {
      const { cookieValue, session } = await startRegistration(
        { key, sourceAddress: event.requestContext.http.sourceIp },
        deps,
      );
      const maxAge = (Date.parse(session.expiresAt) - options.clock.now().getTime()) / 1000;
      return redirect('/setup', [sessionCookie(cookieValue, maxAge), formCookie('', 0)]);
    } catch (error) {
      if (!(error instanceof InvalidCodeError)) throw error;
      return keyForm(event, { key, error: error.reason === 'unknown' ? KEY_UNKNOWN : KEY_TYPO });
    }
  }

  const productName = (code: string) => findProductByCode(options.catalog, code)?.name ?? options.productName;

  function lineView(line: OrderLine): OrderLineView {
    const service = findService(options.catalog, line.service);
    return {
      lineNo: line.lineNo,
      product: productName(line.productCode),
      service: service?.name ?? line.service,
      ...(line.units !== undefined && service
        ? { quantity: `${line.units} ${unitsOf(line.units, service.unit)}` }
        : {}),
      credits: line.credits,
      startsAt: line.startsAt,
      expiresAt: line.expiresAt,
    };
  }

  /** The preview as the pages show it; a conflict says until when the account has the service. */
  async function summary(order: Order, preview: readonly PreviewLine[], businessId?: string) {
    const until = new Map<string, string>();
    if (businessId && preview.some((p) => p.state === 'conflict')) {
      const { direct } = await registration.ledgers.holdings(businessId);
      for (const license of direct) until.set(`direct~${license.reference}`, license.expiresAt);
    }
    const view: OrderSummaryView = {
      orderId: order.orderId,
      company: order.company.name,
      lines: preview.map((p): PreviewLineView => {
        const line = lineView(p.line);
        if (p.state !== 'conflict') return line;
        const ends = until.get(p.conflictsWith);
        return { ...line, conflict: { service: line.service, ...(ends ? { until: ends } : {}) } };
      }),
    };
    return view;
  }

  const businessView = (business: Business): RegistrationBusinessView => ({
    name: business.name,
    country: business.country,
    dataCenterRegion:
      options.dataCenterRegions.find((r) => r.id === business.dataCenterRegion)?.label ??
      business.dataCenterRegion,
    timeZone: business.timeZone,
  });

  /** The email step of an order session: the preview (nothing conflicts before sign-in), then the email form. */
  async function emailStep(s: SetupSession, extra: { error?: string } = {}): Promise<Result> {
    const { order, preview } = await orderReview(s, deps);
    if (preview.length === 0) throw new OrderRegisteredError(false);
    return page(
      orderEmailPage(ctx, {
        csrf: s.csrfToken,
        order: await summary(order, preview),
        ...(s.email ? { email: s.email } : {}),
        ...(extra.error ? { error: extra.error } : {}),
      }),
    );
  }

  /**
   * The review of an order session (R12): every line not yet registered, those in conflict with
   * the business marked (seed 003); nothing left → already registered; only conflicts → 409.
   */
  async function reviewStep(s: SetupSession): Promise<Result> {
    const { order, business, preview } = await orderReview(s, deps);
    if (!business) throw new UnknownOrderError('Review step without a business');
    if (preview.length === 0) {
      throw new OrderRegisteredError(order.lines.some((line) => line.registeredBy === business.businessId));
    }
    const view = await summary(order, preview, business.businessId);
    if (preview.every((p) => p.state === 'conflict')) {
      return page(orderConflictsPage(ctx, { business: businessView(business), order: view }));
    }
    const now = options.clock.now().getTime();
    return page(
      orderReviewPage(ctx, {
        csrf: s.csrfToken,
        business: businessView(business),
        order: view,
        expiresInMinutes: Math.max(0, Math.floor((Date.parse(s.expiresAt) - now) / 60000)),
      }),
    );
  }

  /** The registered page: the licenses and their Activation Codes (seed 001), the lines left out. */
  function registeredPage(
    s: SetupSession,
    order: Order,
    business: Pick<Business, 'name' | 'timeZone'>,
    licenses: readonly Pick<DirectLicense, 'lineNo' | 'activationCode'>[],
  ): Result {
    const codes = new Map(licenses.map((l) => [l.lineNo, l.activationCode]));
    const views = order.lines
      .filter((line) => codes.has(line.lineNo))
      .map((line): RegisteredLicenseView => {
        const code = codes.get(line.lineNo);
        return { ...lineView(line), ...(code ? { activationCode: code } : {}) };
      });
    return page(
      orderRegisteredPage(ctx, {
        business,
        orderId: order.orderId,
        licenses: views,
        leftOut: order.lines.filter((line) => !line.registeredBy).map(lineView),
        ...(s.email ? { email: s.email } : {}),
        consoleUrl: options.consoleUrl,
        // The codes are on the page within the setup's four hours; later, on the account's pages.
        showCodes: options.clock.now().getTime() < Date.parse(s.expiresAt),
      }),
    );
  }

  /** POST /setup/register: one transaction (R12), then the registered page with the codes just drawn. */
  async function register(s: SetupSession): Promise<Result> {
    const { registered } = await registerOrder(s, deps);
    const [order, business] = await Promise.all([
      s.orderId ? registration.orders.get(s.orderId) : undefined,
      s.businessId ? options.setups.getBusiness(s.businessId) : undefined,
    ]);
    if (!order || !business) throw new UnknownOrderError(`Order ${s.orderId} is gone`);
    return registeredPage(s, order, business, registered);
  }

  /** GET /setup once registered: the lines this session registered, their codes from the business's licenses. */
  async function completedStep(s: SetupSession): Promise<Result> {
    if (!s.orderId || !s.businessId) throw new UnknownOrderError('No order in this session');
    const [order, business, holdings] = await Promise.all([
      registration.orders.get(s.orderId),
      options.setups.getBusiness(s.businessId),
      registration.ledgers.holdings(s.businessId),
    ]);
    if (!order || !business) throw new UnknownOrderError(`Order ${s.orderId} is gone`);
    const mine = order.lines.filter((line) => line.registeredBy === s.businessId);
    // The lines this session registered: same instant as its completion (one transaction).
    const thisSession = mine.filter((line) => line.registeredAt === s.completedAt);
    const lines = thisSession.length > 0 ? thisSession : mine;
    if (lines.length === 0) throw new OrderRegisteredError(false);
    const byReference = new Map(holdings.direct.map((l) => [l.reference, l.activationCode]));
    const licenses = lines.map((line) => {
      const code = line.licenseReference ? byReference.get(line.licenseReference) : undefined;
      return { lineNo: line.lineNo, ...(code ? { activationCode: code } : {}) };
    });
    return registeredPage(s, order, business, licenses);
  }

  /** Registration and review errors that show the review step again instead of a bare message. */
  const showsReview = (error: unknown) => error instanceof OrderConflictsError;

  return { deps, keyForm, checkForm, start, emailStep, reviewStep, register, completedStep, showsReview };
}

export type RegistrationSteps = ReturnType<typeof createRegistrationSteps>;

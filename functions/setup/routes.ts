import type { Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { accountCookie, sessionCookie } from '../../lib/adapters/http/cookies.js';
import { ACCOUNT_SESSION_MS } from '../../lib/domain/account/model.js';
import {
  findAccountSession,
  pendingSignIn,
  requestSignInCode,
  resendSignInCode,
  signedInSession,
  signInFormToken,
  signOut,
  verifySignInCode,
} from '../../lib/domain/account/sign-in.js';
import { activateLicense } from '../../lib/domain/setup/activate-license.js';
import { saveBusinessDetails } from '../../lib/domain/setup/business-details.js';
import {
  CodeExpiredError,
  InvalidBusinessDetailsError,
  WrongCodeError,
} from '../../lib/domain/setup/errors.js';
import { CsrfError } from '../../lib/domain/setup/session.js';
import { startSetup } from '../../lib/domain/setup/start-setup.js';
import { sendEmailCode, verifyEmailCode } from '../../lib/domain/setup/verify-email.js';
import { calculator, createAccountSteps } from './account-steps.js';
import type { AccountOptions, SetupOptions } from './create-handler.js';
import type { RegistrationSteps } from './registration-steps.js';
import { page, type Result, redirect, withStatus } from './responses.js';
import {
  businessFormSchema,
  codeFormSchema,
  csrfOnlySchema,
  emailFormSchema,
  marketplacePostSchema,
  registrationKeyFormSchema,
} from './schema.js';
import type { createSteps } from './steps.js';
import { landingPage, messagePage } from './views/pages.js';
import { STYLESHEET } from './views/styles.js';

type Event = APIGatewayProxyEventV2;

/**
 * The setup function's routes (R3–R5, R7, R8): the marketplace POST, then one page per step of
 * the four-hour window. Every form carries the session's CSRF token; errors are thrown and
 * become pages in `setupErrorPages`.
 */
export function setupRoutes(
  options: SetupOptions,
  steps: ReturnType<typeof createSteps>,
): Route<Event, Result>[] {
  const { ctx, form, session, stepPage } = steps;
  const route = (method: 'GET' | 'POST', path: string, handler: (event: Event) => Promise<Result>) => ({
    method,
    path,
    handler,
  });
  return [
    route('GET', '/styles.css', async () => ({
      statusCode: 200,
      headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' },
      body: STYLESHEET,
    })),

    route('GET', '/', async (event) =>
      steps.hasSession(event)
        ? redirect('/setup')
        : page(landingPage(ctx, { registration: Boolean(steps.registration) })),
    ),

    // The marketplace's redirect (MARKETPLACE.md §1.1): resolve at once, never keep the token.
    route('POST', '/', async (event) => {
      const { input } = form(event, marketplacePostSchema);
      if ('invalid' in input) return page(messagePage(ctx, 'missing-token'));
      const { cookieValue, session: s } = await startSetup(
        {
          registrationToken: input['x-amzn-marketplace-token'],
          freeTrialOffer: input['x-amzn-marketplace-offer-type'] === 'free-trial',
          sourceAddress: event.requestContext.http.sourceIp,
        },
        options,
      );
      const maxAge = (Date.parse(s.expiresAt) - options.clock.now().getTime()) / 1000;
      return redirect('/setup', [sessionCookie(cookieValue, maxAge)]);
    }),

    route('GET', '/setup', async (event) => stepPage(await session(event))),

    route('POST', '/setup/email', async (event) => {
      const { input, csrf } = form(event, emailFormSchema);
      const s = await session(event, ['email', 'code'], csrf);
      if ('invalid' in input) return steps.emailStep(s, { error: input.invalid.email ?? 'Check the form.' });
      await sendEmailCode(s, input.email, options);
      return redirect('/setup');
    }),

    route('POST', '/setup/resend', async (event) => {
      const { csrf } = form(event, csrfOnlySchema);
      const s = await session(event, ['code'], csrf);
      await sendEmailCode(s, s.email ?? '', options);
      return redirect('/setup');
    }),

    route('POST', '/setup/code', async (event) => {
      const { input, csrf } = form(event, codeFormSchema);
      const s = await session(event, ['code'], csrf);
      if ('invalid' in input) return stepPage(s, { error: input.invalid.code ?? 'Check the form.' });
      try {
        await verifyEmailCode(s, input.code, options);
      } catch (error) {
        const message = codeMessage(error);
        if (message === undefined) throw error;
        return withStatus(await stepPage(await session(event), { error: message }), 400);
      }
      return redirect('/setup');
    }),

    route('POST', '/setup/business', async (event) => {
      const { input, csrf, values } = form(event, businessFormSchema);
      const s = await session(event, ['business'], csrf);
      try {
        if ('invalid' in input) throw new InvalidBusinessDetailsError(input.invalid);
        await saveBusinessDetails(s, input, { ...options, isTimeZone: steps.isTimeZone });
      } catch (error) {
        if (!(error instanceof InvalidBusinessDetailsError)) throw error;
        return steps.business(
          s,
          pick(values, ['name', 'country', 'dataCenterRegion', 'timeZone']),
          error.fields,
        );
      }
      return redirect('/setup');
    }),

    route('POST', '/setup/activate', async (event) => {
      const { csrf } = form(event, csrfOnlySchema);
      const s = await session(event, ['review'], csrf);
      // An order session registers (POST /setup/register); its review page shows where it is.
      if (s.orderId) return redirect('/setup');
      const { consoleUrl } = await activateLicense(s, options);
      return redirect(consoleUrl);
    }),

    ...(steps.registration ? registrationRoutes(steps, steps.registration) : []),

    // R14: public, a GET form, so an estimate is a link.
    route('GET', '/calculator', async (event) => calculator(options, ctx, event)),

    ...(options.account ? accountRoutes(options, options.account, steps) : []),
  ];
}

/**
 * Orders from other channels (R11, R12; seed 003): any Registration Key of an order opens a
 * setup session for it, then the setup's email, code and business steps run, and the review
 * registers every open line at once. The key form has no session yet: its CSRF token is bound
 * to its own form cookie, as the account sign-in's is.
 */
function registrationRoutes(
  steps: ReturnType<typeof createSteps>,
  registration: RegistrationSteps,
): Route<Event, Result>[] {
  const { form, session } = steps;
  const route = (method: 'GET' | 'POST', path: string, handler: (event: Event) => Promise<Result>) => ({
    method,
    path,
    handler,
  });
  return [
    route('GET', '/register', async (event) => registration.keyForm(event)),

    route('POST', '/register', async (event) => {
      const { input, csrf, values } = form(event, registrationKeyFormSchema);
      registration.checkForm(event, csrf);
      if ('invalid' in input) {
        return registration.keyForm(event, {
          key: (values.key ?? '').slice(0, 80),
          error: input.invalid.key ?? 'Check the form.',
        });
      }
      return registration.start(event, input.key);
    }),

    route('POST', '/setup/register', async (event) => {
      const { csrf } = form(event, csrfOnlySchema);
      const s = await session(event, ['review'], csrf);
      // A marketplace setup activates its contract (POST /setup/activate): show its review again.
      if (!s.orderId) return redirect('/setup');
      try {
        return await registration.register(s);
      } catch (error) {
        // What changed since the review (a line taken, a license added): the review says it now.
        if (!registration.showsReview(error)) throw error;
        return withStatus(await steps.stepPage(await session(event)), 409);
      }
    }),
  ];
}

const codeMessage = (error: unknown) =>
  error instanceof WrongCodeError
    ? `That code is not right. ${error.attemptsLeft} attempt(s) left.`
    : error instanceof CodeExpiredError
      ? 'That code has expired. Send a new code and enter it within three minutes.'
      : undefined;

/**
 * The returning buyer's pages (R2, R7, R9): sign-in with an email code, then the signed-in
 * business's licenses and credit usage. The business comes only from the signed-in session;
 * every form carries a CSRF token; a page without a signed-in session sends to the sign-in.
 */
function accountRoutes(
  options: SetupOptions,
  account: AccountOptions,
  steps: ReturnType<typeof createSteps>,
): Route<Event, Result>[] {
  const { ctx, form } = steps;
  const a = createAccountSteps(options, account, ctx);
  const now = () => options.clock.now();
  const signedIn = (event: Event, csrf?: string) =>
    signedInSession(a.cookieOf(event), a.signIn, now(), csrf === undefined ? undefined : { csrf });
  const route = (method: 'GET' | 'POST', path: string, handler: (event: Event) => Promise<Result>) => ({
    method,
    path,
    handler,
  });
  return [
    route('GET', '/account', (event) => a.current(event)),

    route('POST', '/account', async (event) => {
      const { input, csrf, values } = form(event, emailFormSchema);
      const formCookie = a.cookieOf(event);
      if ('invalid' in input) {
        const valid = formCookie && options.secrets.equal(csrf, signInFormToken(formCookie, options.secrets));
        if (!valid) throw new CsrfError('The sign-in form is missing its CSRF token or it does not match');
        return a.signInForm(event, {
          email: (values.email ?? '').slice(0, 254),
          error: input.invalid.email ?? 'Check the form.',
        });
      }
      const { cookieValue } = await requestSignInCode(
        { email: input.email, sourceAddress: event.requestContext.http.sourceIp, formCookie, csrf },
        a.signIn,
      );
      return redirect('/account', [accountCookie(cookieValue, a.signInSeconds)]);
    }),

    route('POST', '/account/code', async (event) => {
      const { input, csrf } = form(event, codeFormSchema);
      const s = await pendingSignIn(a.cookieOf(event), a.signIn, now(), csrf);
      if ('invalid' in input) return a.codeStep(s, input.invalid.code ?? 'Check the form.');
      try {
        const { cookieValue } = await verifySignInCode(s, input.code, a.signIn);
        return redirect('/account', [accountCookie(cookieValue, ACCOUNT_SESSION_MS / 1000)]);
      } catch (error) {
        const message = codeMessage(error);
        if (message === undefined) throw error;
        const again = await findAccountSession(a.cookieOf(event), a.signIn, now());
        return withStatus(a.codeStep(again ?? s, message), 400);
      }
    }),

    route('POST', '/account/resend', async (event) => {
      const { csrf } = form(event, csrfOnlySchema);
      const s = await pendingSignIn(a.cookieOf(event), a.signIn, now(), csrf);
      await resendSignInCode(s, event.requestContext.http.sourceIp, a.signIn);
      return redirect('/account');
    }),

    // Ends a signed-in session, or abandons a sign-in waiting for its code ("another email").
    route('POST', '/account/sign-out', async (event) => {
      const { csrf } = form(event, csrfOnlySchema);
      const s = await findAccountSession(a.cookieOf(event), a.signIn, now());
      if (s) {
        if (!(csrf && options.secrets.equal(csrf, s.csrfToken))) {
          throw new CsrfError('The form is missing its CSRF token or it does not match');
        }
        await signOut(s, a.signIn);
      }
      return redirect('/account', [accountCookie('', 0)]);
    }),

    route('GET', '/account/licenses', async (event) => a.licenses(await signedIn(event))),

    route('GET', '/account/usage', async (event) => a.usage(await signedIn(event))),
  ];
}

function pick(values: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.filter((n) => typeof values[n] === 'string').map((n) => [n, String(values[n])]),
  );
}

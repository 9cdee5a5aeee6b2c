import type { Route } from '@middy/http-router';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sessionCookie } from '../../lib/adapters/http/cookies.js';
import { activateLicense } from '../../lib/domain/setup/activate-license.js';
import { saveBusinessDetails } from '../../lib/domain/setup/business-details.js';
import {
  CodeExpiredError,
  InvalidBusinessDetailsError,
  WrongCodeError,
} from '../../lib/domain/setup/errors.js';
import { startSetup } from '../../lib/domain/setup/start-setup.js';
import { sendEmailCode, verifyEmailCode } from '../../lib/domain/setup/verify-email.js';
import type { SetupOptions } from './create-handler.js';
import { page, type Result, redirect, withStatus } from './responses.js';
import {
  businessFormSchema,
  codeFormSchema,
  csrfOnlySchema,
  emailFormSchema,
  marketplacePostSchema,
} from './schema.js';
import type { createSteps } from './steps.js';
import { emailPage, landingPage, messagePage } from './views/pages.js';
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
      steps.hasSession(event) ? redirect('/setup') : page(landingPage(ctx)),
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
      if ('invalid' in input) {
        return page(emailPage(ctx, { csrf: s.csrfToken, error: input.invalid.email ?? 'Check the form.' }));
      }
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
        const message =
          error instanceof WrongCodeError
            ? `That code is not right. ${error.attemptsLeft} attempt(s) left.`
            : error instanceof CodeExpiredError
              ? 'That code has expired. Send a new code and enter it within three minutes.'
              : undefined;
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
      const { consoleUrl } = await activateLicense(s, options);
      return redirect(consoleUrl);
    }),
  ];
}

function pick(values: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.filter((n) => typeof values[n] === 'string').map((n) => [n, String(values[n])]),
  );
}

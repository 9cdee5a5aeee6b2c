import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { readSessionCookie, sessionCookie } from '../../lib/adapters/http/cookies.js';
import { parseFormBody } from '../../lib/adapters/http/form-body.js';
import { withLogContext } from '../../lib/adapters/lambda/with-log-context.js';
import { type ActivateDeps, activateLicense } from '../../lib/domain/setup/activate-license.js';
import { type BusinessDetailsDeps, saveBusinessDetails } from '../../lib/domain/setup/business-details.js';
import {
  CodeExpiredError,
  InvalidBusinessDetailsError,
  WrongCodeError,
} from '../../lib/domain/setup/errors.js';
import {
  CODE_RESEND_COOLDOWN_MS,
  MAX_WRONG_CODES,
  type SetupSession,
  type SetupStep,
} from '../../lib/domain/setup/model.js';
import type { Mailer } from '../../lib/domain/setup/ports.js';
import { openSession } from '../../lib/domain/setup/session.js';
import { type StartSetupDeps, startSetup } from '../../lib/domain/setup/start-setup.js';
import { sendEmailCode, type VerifyEmailDeps, verifyEmailCode } from '../../lib/domain/setup/verify-email.js';
import { pageForError } from './error-pages.js';
import {
  businessFormSchema,
  codeFormSchema,
  csrfOnlySchema,
  emailFormSchema,
  fieldErrors,
  marketplacePostSchema,
} from './schema.js';
import { CONTENT_SECURITY_POLICY } from './views/layout.js';
import { businessPage, codePage, emailPage, landingPage, messagePage, reviewPage } from './views/pages.js';
import { STYLESHEET } from './views/styles.js';

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
  /** IANA zones a business may pick; a function is called once, when first needed (it is slow). */
  readonly timeZones: readonly string[] | (() => readonly string[]);
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/**
 * Pages carry no script and load nothing from elsewhere. No `form-action`: browsers apply it to
 * the redirect after a form POST, which would block Activate's redirect to the console.
 */
const SECURITY_HEADERS = {
  'content-security-policy': `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function page(view: { status: number; html: string }, cookies?: string[]): Result {
  return {
    statusCode: view.status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
    body: view.html,
    ...(cookies ? { cookies } : {}),
  };
}

function redirect(location: string, cookies?: string[]): Result {
  return {
    statusCode: 303,
    headers: { ...SECURITY_HEADERS, location },
    body: '',
    ...(cookies ? { cookies } : {}),
  };
}

/**
 * The buyer's setup flow behind a public Lambda function URL (payload 2.0): the marketplace
 * POST, then one page per step of the four-hour setup window (R3–R5, R7, R8). Every error ends
 * on a page that says what happened and what to do next (error-pages.ts).
 */
export function createSetupHandler(options: SetupOptions) {
  const ctx = { productName: options.productName, supportEmail: options.supportEmail };
  let zones: readonly string[] | undefined;
  const timeZones = (): readonly string[] =>
    (zones ??= typeof options.timeZones === 'function' ? options.timeZones() : options.timeZones);
  const isTimeZone = (zone: string) => timeZones().includes(zone);

  /** A form's fields, parsed: the CSRF token is read whatever else is wrong with the form. */
  function form<T extends z.ZodMiniType>(
    event: Event,
    schema: T,
  ): {
    csrf: string;
    values: Record<string, string>;
    input: z.infer<T> | { invalid: Record<string, string> };
  } {
    const values = Object.fromEntries(
      parseFormBody({
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        contentType: event.headers['content-type'],
      }),
    );
    const parsed = schema.safeParse(values);
    return {
      csrf: values.csrf ?? '',
      values,
      input: parsed.success ? parsed.data : { invalid: fieldErrors(parsed.error) },
    };
  }

  const session = (event: Event, steps?: readonly SetupStep[], csrf?: string) =>
    openSession(readSessionCookie(event.cookies, event.headers.cookie), options, options.clock.now(), {
      form: csrf !== undefined,
      csrf,
      ...(steps ? { steps } : {}),
    });

  /** The page of the step the session is at. */
  async function stepPage(s: SetupSession, extra: { error?: string; status?: number } = {}): Promise<Result> {
    const now = options.clock.now().getTime();
    switch (s.step) {
      case 'email':
        return page(emailPage(ctx, { csrf: s.csrfToken, ...(s.email ? { email: s.email } : {}), ...extra }));
      case 'code':
        return page(
          codePage(ctx, {
            csrf: s.csrfToken,
            email: s.email ?? '',
            ...(extra.error ? { error: extra.error } : {}),
            resendAvailableInSeconds: Math.max(
              0,
              Math.ceil((Date.parse(s.code?.sentAt ?? '0') + CODE_RESEND_COOLDOWN_MS - now) / 1000),
            ),
            attemptsLeft: MAX_WRONG_CODES - (s.code?.wrongAttempts ?? 0),
          }),
        );
      case 'business':
        return page(
          businessPage(ctx, {
            csrf: s.csrfToken,
            values: {},
            errors: {},
            dataCenterRegions: [...options.dataCenterRegions],
            timeZones: [...timeZones()],
          }),
        );
      case 'review': {
        const [stored, business] = await Promise.all([
          options.contracts.load(s.contractId),
          s.businessId ? options.setups.getBusiness(s.businessId) : undefined,
        ]);
        if (!stored || !business) return page(messagePage(ctx, 'unknown-contract'));
        const { contract } = stored;
        // R3: a returning buyer sees at once whether this contract is theirs already or someone else's.
        if (contract.activatedBy) {
          const kind =
            contract.activatedBy === business.businessId ? 'already-active' : 'activated-elsewhere';
          return page(messagePage(ctx, kind, { consoleUrl: options.consoleUrl }));
        }
        if (contract.term !== 'current') return page(messagePage(ctx, 'contract-ended'));
        return page(
          reviewPage(ctx, {
            csrf: s.csrfToken,
            business: {
              ...business,
              dataCenterRegion:
                options.dataCenterRegions.find((r) => r.id === business.dataCenterRegion)?.label ??
                business.dataCenterRegion,
            },
            contract: {
              productCode: contract.productCode,
              contractId: contract.contractId,
              freeTrial: s.freeTrialOffer || contract.facts.freeTrial?.value === true,
              expiresAt: contract.expiresAt,
              activeCredits: contract.activeCredits,
              ...(contract.customerAWSAccountId
                ? { customerAWSAccountId: contract.customerAWSAccountId }
                : {}),
            },
            items: stored.items
              .filter((i) => i.state === 'active')
              .map((i) => ({
                itemNo: i.itemNo,
                origin: i.origin,
                credits: i.credits,
                expiresAt: i.expiresAt,
              })),
            expiresInMinutes: Math.max(0, Math.floor((Date.parse(s.expiresAt) - now) / 60000)),
          }),
        );
      }
      case 'completed':
        return page(messagePage(ctx, 'already-active', { consoleUrl: options.consoleUrl }));
    }
  }

  const routes: Record<string, (event: Event) => Promise<Result>> = {
    'GET /styles.css': async () => ({
      statusCode: 200,
      headers: {
        'content-type': 'text/css; charset=utf-8',
        'cache-control': 'public, max-age=3600',
        'x-content-type-options': 'nosniff',
      },
      body: STYLESHEET,
    }),

    'GET /': async (event) =>
      readSessionCookie(event.cookies, event.headers.cookie) ? redirect('/setup') : page(landingPage(ctx)),

    // The marketplace's redirect (MARKETPLACE.md §1.1): resolve at once, never keep the token.
    'POST /': async (event) => {
      const { input } = form(event, marketplacePostSchema);
      if ('invalid' in input) return page(messagePage(ctx, 'missing-token'));
      const { cookieValue, session: s } = await startSetup(
        {
          registrationToken: input['x-amzn-marketplace-token'],
          freeTrialOffer: input['x-amzn-marketplace-offer-type'] === 'free-trial',
        },
        options,
      );
      const maxAge = (Date.parse(s.expiresAt) - options.clock.now().getTime()) / 1000;
      return redirect('/setup', [sessionCookie(cookieValue, maxAge)]);
    },

    'GET /setup': async (event) => stepPage(await session(event)),

    'POST /setup/email': async (event) => {
      const { input, csrf } = form(event, emailFormSchema);
      const s = await session(event, ['email', 'code'], csrf);
      if ('invalid' in input) {
        return page(emailPage(ctx, { csrf: s.csrfToken, error: input.invalid.email ?? 'Check the form.' }));
      }
      await sendEmailCode(s, input.email, options);
      return redirect('/setup');
    },

    'POST /setup/resend': async (event) => {
      const { csrf } = form(event, csrfOnlySchema);
      const s = await session(event, ['code'], csrf);
      await sendEmailCode(s, s.email ?? '', options);
      return redirect('/setup');
    },

    'POST /setup/code': async (event) => {
      const { input, csrf } = form(event, codeFormSchema);
      const s = await session(event, ['code'], csrf);
      if ('invalid' in input) return stepPage(s, { error: input.invalid.code ?? 'Check the form.' });
      try {
        await verifyEmailCode(s, input.code, options);
      } catch (error) {
        const fresh = await session(event);
        if (error instanceof WrongCodeError) {
          return withStatus(
            await stepPage(fresh, {
              error: `That code is not right. ${error.attemptsLeft} attempt(s) left.`,
            }),
            400,
          );
        }
        if (error instanceof CodeExpiredError) {
          return withStatus(
            await stepPage(fresh, {
              error: 'That code has expired. Send a new code and enter it within three minutes.',
            }),
            400,
          );
        }
        throw error;
      }
      return redirect('/setup');
    },

    'POST /setup/business': async (event) => {
      const { input, csrf, values } = form(event, businessFormSchema);
      const s = await session(event, ['business'], csrf);
      try {
        if ('invalid' in input) throw new InvalidBusinessDetailsError(input.invalid);
        await saveBusinessDetails(s, input, { ...options, isTimeZone });
      } catch (error) {
        if (!(error instanceof InvalidBusinessDetailsError)) throw error;
        return page(
          businessPage(ctx, {
            csrf: s.csrfToken,
            values: pick(values, ['name', 'country', 'dataCenterRegion', 'timeZone']),
            errors: error.fields,
            dataCenterRegions: [...options.dataCenterRegions],
            timeZones: [...timeZones()],
          }),
        );
      }
      return redirect('/setup');
    },

    'POST /setup/activate': async (event) => {
      const { csrf } = form(event, csrfOnlySchema);
      const s = await session(event, ['review'], csrf);
      const { consoleUrl } = await activateLicense(s, options);
      return redirect(consoleUrl);
    },
  };

  async function route(event: Event, context: Context): Promise<Result> {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath.replace(/\/+$/, '') || '/';
    const handler = routes[`${method} ${path}`];
    try {
      if (handler) return await handler(event);
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
      return page(messagePage(ctx, known ? 'method-not-allowed' : 'not-found'));
    } catch (error) {
      const mapped = pageForError(error, ctx, { consoleUrl: options.consoleUrl });
      if (mapped === 'current-step') {
        // A form for a step already done (back button, double submit): show where the buyer is now.
        return redirect('/setup');
      }
      if (mapped) {
        options.logger.info('Setup request refused', { path, reason: (error as Error).name });
        return page(mapped);
      }
      options.logger.error('Setup request failed', { path, error: error as Error });
      return page(messagePage(ctx, 'server-error', { requestId: context.awsRequestId }));
    }
  }

  return withLogContext(options.logger, route);
}

function withStatus(result: Result, statusCode: number): Result {
  return { ...result, statusCode };
}

function pick(values: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.filter((n) => typeof values[n] === 'string').map((n) => [n, String(values[n])]),
  );
}

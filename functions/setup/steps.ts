import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { readSessionCookie } from '../../lib/adapters/http/cookies.js';
import { parseFormBody } from '../../lib/adapters/http/form-body.js';
import { UnknownOrderError } from '../../lib/domain/orders/errors.js';
import { hasEnded } from '../../lib/domain/setup/activate-license.js';
import { SetupExpiredError } from '../../lib/domain/setup/errors.js';
import {
  CODE_RESEND_COOLDOWN_MS,
  MAX_WRONG_CODES,
  type SetupSession,
  type SetupStep,
} from '../../lib/domain/setup/model.js';
import { openSession } from '../../lib/domain/setup/session.js';
import type { SetupOptions } from './create-handler.js';
import { createRegistrationSteps, RegistrationExpiredError } from './registration-steps.js';
import { page, type Result } from './responses.js';
import { fieldErrors } from './schema.js';
import { businessPage, codePage, emailPage, messagePage, reviewPage } from './views/pages.js';

type Event = APIGatewayProxyEventV2;

/** What the routes share: the page context, form parsing, the session, the page of a step. */
export function createSteps(options: SetupOptions) {
  const ctx = { productName: options.productName, supportEmail: options.supportEmail };
  let zones: readonly string[] | undefined;
  const timeZones = (): readonly string[] =>
    (zones ??= typeof options.timeZones === 'function' ? options.timeZones() : options.timeZones);

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

  const hasSession = (event: Event) => readSessionCookie(event.cookies, event.headers.cookie) !== undefined;

  /** The order registration's steps (R12), when the function is wired for them. */
  const registration = options.registration
    ? createRegistrationSteps(options, options.registration, ctx)
    : undefined;

  async function session(event: Event, steps?: readonly SetupStep[], csrf?: string): Promise<SetupSession> {
    const cookie = readSessionCookie(event.cookies, event.headers.cookie);
    try {
      return await openSession(cookie, options, options.clock.now(), {
        form: csrf !== undefined,
        csrf,
        ...(steps ? { steps } : {}),
      });
    } catch (error) {
      // R4 for an order: its expired page says to enter the key again, not to go to AWS Marketplace.
      if (error instanceof SetupExpiredError && cookie && registration) {
        const stored = await options.setups.getSession(options.secrets.hash(cookie));
        if (stored?.orderId) throw new RegistrationExpiredError('Registration window is over');
      }
      throw error;
    }
  }

  /** The email step's page: an order session's shows the order's preview above the form (R12). */
  async function emailStep(s: SetupSession, extra: { error?: string } = {}): Promise<Result> {
    if (s.orderId && registration) return registration.emailStep(s, extra);
    return page(emailPage(ctx, { csrf: s.csrfToken, ...(s.email ? { email: s.email } : {}), ...extra }));
  }

  const business = (
    s: SetupSession,
    values: Record<string, string> = {},
    errors: Record<string, string> = {},
  ): Result =>
    page(
      businessPage(ctx, {
        csrf: s.csrfToken,
        values,
        errors,
        dataCenterRegions: [...options.dataCenterRegions],
        timeZones: [...timeZones()],
      }),
    );

  /** The page of the step the session is at. */
  async function stepPage(s: SetupSession, extra: { error?: string; status?: number } = {}): Promise<Result> {
    const now = options.clock.now().getTime();
    switch (s.step) {
      case 'email':
        return emailStep(s, extra.error ? { error: extra.error } : {});
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
            attemptsLeft: MAX_WRONG_CODES - (s.code?.attempts ?? 0),
          }),
        );
      case 'business':
        return business(s);
      case 'review':
        return reviewStep(s, now);
      case 'completed':
        // An order session's completed page lists its licenses and their Activation Codes (R11).
        if (s.orderId && registration) return registration.completedStep(s);
        return page(messagePage(ctx, 'already-active', { consoleUrl: options.consoleUrl }));
    }
  }

  async function reviewStep(s: SetupSession, now: number): Promise<Result> {
    // R12: an order session reviews its order's preview instead of a contract.
    if (s.orderId) {
      if (registration) return registration.reviewStep(s);
      throw new UnknownOrderError('Order registration is not served here');
    }
    if (!s.contractId) return page(messagePage(ctx, 'unknown-contract'));
    const [stored, found] = await Promise.all([
      options.contracts.load(s.contractId),
      s.businessId ? options.setups.getBusiness(s.businessId) : undefined,
    ]);
    if (!stored || !found) return page(messagePage(ctx, 'unknown-contract'));
    const { contract } = stored;
    // R3: a returning buyer sees at once whether this contract is theirs already or someone else's.
    if (contract.activatedBy) {
      const kind = contract.activatedBy === found.businessId ? 'already-active' : 'activated-elsewhere';
      return page(messagePage(ctx, kind, { consoleUrl: options.consoleUrl }));
    }
    // R1: past its expiration instant the contract has ended, even before a notification says so.
    if (hasEnded(contract, new Date(now))) {
      return page(
        messagePage(
          ctx,
          'contract-ended',
          contract.term === 'current' ? { expiredAt: contract.expiresAt, timeZone: found.timeZone } : {},
        ),
      );
    }
    return page(
      reviewPage(ctx, {
        csrf: s.csrfToken,
        business: {
          ...found,
          dataCenterRegion:
            options.dataCenterRegions.find((r) => r.id === found.dataCenterRegion)?.label ??
            found.dataCenterRegion,
        },
        contract: {
          productCode: contract.productCode,
          contractId: contract.contractId,
          freeTrial: s.freeTrialOffer || contract.facts.freeTrial?.value === true,
          expiresAt: contract.expiresAt,
          activeCredits: contract.activeCredits,
          ...(contract.customerAWSAccountId ? { customerAWSAccountId: contract.customerAWSAccountId } : {}),
        },
        items: stored.items
          .filter((i) => i.state === 'active')
          .map((i) => ({ itemNo: i.itemNo, origin: i.origin, credits: i.credits, expiresAt: i.expiresAt })),
        expiresInMinutes: Math.max(0, Math.floor((Date.parse(s.expiresAt) - now) / 60000)),
      }),
    );
  }

  return {
    ctx,
    form,
    hasSession,
    session,
    stepPage,
    emailStep,
    registration,
    business,
    isTimeZone: (zone: string) => timeZones().includes(zone),
  };
}

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import { readSessionCookie } from '../../lib/adapters/http/cookies.js';
import { parseFormBody } from '../../lib/adapters/http/form-body.js';
import { hasEnded } from '../../lib/domain/setup/activate-license.js';
import {
  CODE_RESEND_COOLDOWN_MS,
  MAX_WRONG_CODES,
  type SetupSession,
  type SetupStep,
} from '../../lib/domain/setup/model.js';
import { openSession } from '../../lib/domain/setup/session.js';
import type { SetupOptions } from './create-handler.js';
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

  const session = (event: Event, steps?: readonly SetupStep[], csrf?: string) =>
    openSession(readSessionCookie(event.cookies, event.headers.cookie), options, options.clock.now(), {
      form: csrf !== undefined,
      csrf,
      ...(steps ? { steps } : {}),
    });

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
            attemptsLeft: MAX_WRONG_CODES - (s.code?.attempts ?? 0),
          }),
        );
      case 'business':
        return business(s);
      case 'review':
        return reviewStep(s, now);
      case 'completed':
        return page(messagePage(ctx, 'already-active', { consoleUrl: options.consoleUrl }));
    }
  }

  async function reviewStep(s: SetupSession, now: number): Promise<Result> {
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
    business,
    isTimeZone: (zone: string) => timeZones().includes(zone),
  };
}

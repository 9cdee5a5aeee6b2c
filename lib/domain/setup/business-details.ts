import type { Clock } from '../contract/ports.js';
import { InvalidBusinessDetailsError } from './errors.js';
import type { Business, BusinessDetails, SetupSession } from './model.js';
import type { Secrets, SetupStore } from './ports.js';

export interface BusinessDetailsDeps {
  readonly setups: SetupStore;
  readonly secrets: Secrets;
  readonly clock: Clock;
  /** The data-centre regions this vendor runs (configured). */
  readonly dataCenterRegions: readonly { readonly id: string; readonly label: string }[];
  /** Whether a time zone name is known (IANA). */
  readonly isTimeZone: (zone: string) => boolean;
}

/**
 * Creates the business of a newly verified primary user (R8) and moves the setup to review.
 *
 * Steps:
 * 1. The data-centre region must be one of the configured ones and the time zone a known
 *    IANA zone; otherwise each wrong field gets its message.
 * 2. One transaction creates the business, links it to the user (only if the user has none)
 *    and advances the session. If the user got a business meanwhile (a second tab), that
 *    business is used instead.
 */
export async function saveBusinessDetails(
  session: SetupSession,
  details: BusinessDetails,
  deps: BusinessDetailsDeps,
): Promise<SetupSession> {
  const errors: Record<string, string> = {};
  if (!deps.dataCenterRegions.some((r) => r.id === details.dataCenterRegion)) {
    errors.dataCenterRegion = 'Choose one of the listed data-centre regions.';
  }
  if (!deps.isTimeZone(details.timeZone)) errors.timeZone = 'Choose a time zone from the list.';
  if (Object.keys(errors).length > 0) throw new InvalidBusinessDetailsError(errors);
  if (!session.email) throw new InvalidBusinessDetailsError({ email: 'Verify your email first.' });

  const business: Business = {
    businessId: `biz-${deps.secrets.token().slice(0, 20)}`,
    ...details,
    primaryEmail: session.email,
    createdAt: deps.clock.now().toISOString(),
  };
  const next: SetupSession = {
    ...session,
    step: 'review',
    businessId: business.businessId,
    businessName: business.name,
    version: session.version + 1,
  };
  if (await deps.setups.createBusiness(business, next, session.version)) return next;

  const user = await deps.setups.getUser(session.email);
  const existing = user?.businessId ? await deps.setups.getBusiness(user.businessId) : undefined;
  if (!existing) throw new Error('The user has a business that cannot be read');
  const linked: SetupSession = { ...next, businessId: existing.businessId, businessName: existing.name };
  await deps.setups.saveSession(linked, session.version);
  return linked;
}

import type { Clock } from '../contract/ports.js';
import { findProductByCode, findService, type ProductCatalog } from '../product/catalog.js';
import type { Business } from '../setup/model.js';
import { InsufficientCreditsError, UnknownBusinessError, UnknownServiceError } from './errors.js';
import { type CreditUsage, creditUsage, emptyLedger, needsRefresh } from './ledger.js';
import { type DirectLicense, type LicenseView, licenseViews } from './licenses.js';
import type { Allocation } from './model.js';
import type {
  AllocationOutcome,
  BusinessDirectory,
  CreditNotices,
  LedgerReader,
  LedgerStore,
} from './ports.js';

/** The most units one allocation may ask for: far above any real deployment, far below overflow. */
export const MAX_UNITS = 1_000_000;
/** The most credits one license from another channel may carry. */
export const MAX_LICENSE_CREDITS = 1_000_000_000;

export interface CreditsDeps {
  readonly catalog: ProductCatalog;
  readonly ledgers: LedgerStore;
  readonly businesses: BusinessDirectory;
  readonly notices: CreditNotices;
  readonly clock: Clock;
}

/** What the reads need: a reader of ledgers will do. */
export type CreditReadDeps = Omit<CreditsDeps, 'ledgers'> & { readonly ledgers: LedgerReader };

export class UnknownProductCodeError extends Error {
  override readonly name = 'UnknownProductCodeError';
  constructor(readonly productCode: string) {
    super(`No product ${productCode} in this deployment's catalog`);
  }
}

/** The business's allocation of a service, own properties only (`constructor` is no service). */
function heldAllocation(
  ledger: { readonly allocations: Readonly<Record<string, Allocation>> } | undefined,
  service: string,
) {
  return ledger && Object.hasOwn(ledger.allocations, service) ? ledger.allocations[service] : undefined;
}

async function businessOf(deps: Pick<CreditReadDeps, 'businesses'>, businessId: string): Promise<Business> {
  const business = await deps.businesses.get(businessId);
  if (!business) throw new UnknownBusinessError(businessId);
  return business;
}

/**
 * A business's details and its credit usage now (R2, R9): one read of the business, one of its
 * ledger. When a license has lapsed since the ledger was written, the ledger is written again
 * first (lapsed sources dropped), so a business that became over-allocated by the lapse is
 * marked, and its primary user told, as soon as anyone looks (R9).
 */
export async function businessCredits(
  deps: CreditReadDeps,
  businessId: string,
): Promise<{ readonly business: Business; readonly usage: CreditUsage }> {
  const [business, read] = await Promise.all([businessOf(deps, businessId), deps.ledgers.get(businessId)]);
  const now = deps.clock.now();
  let ledger = read;
  if (ledger && needsRefresh(ledger, now)) {
    const written = await deps.ledgers.refresh(businessId, now);
    ledger = written.ledger ?? ledger;
    if (written.transition === 'became-over-allocated') await deps.notices.overAllocated(ledger);
  }
  return { business, usage: creditUsage(ledger ?? emptyLedger(businessId, now), now) };
}

/** Every license of a business with its items, states as of now (R2). */
export async function businessLicenses(
  deps: CreditReadDeps,
  businessId: string,
): Promise<{ readonly business: Business; readonly licenses: readonly LicenseView[] }> {
  const [business, holdings] = await Promise.all([
    businessOf(deps, businessId),
    deps.ledgers.holdings(businessId),
  ]);
  return { business, licenses: licenseViews(holdings.contracts, holdings.direct, deps.clock.now()) };
}

/**
 * Sets a service's allocation for a business to `units` (R9, R14).
 *
 * Steps:
 * 1. The service must be in the catalog (UnknownServiceError); its rate prices the units. To
 *    release (0 units) a service the catalog no longer lists is enough that the business holds it.
 * 2. The ledger store writes the allocation with the balance checked by the write itself
 *    (InsufficientCreditsError, OverAllocatedError); a repeat of the same units changes nothing.
 *    One read and one write: a ledger exists only for a business, so the business is looked
 *    up only when nothing was written (UnknownBusinessError).
 * 3. If the write also dropped a lapsed license and that made the business over-allocated,
 *    the primary user is told (once: only the write that set the mark tells).
 */
export async function setServiceAllocation(
  deps: CreditsDeps,
  businessId: string,
  serviceId: string,
  units: number,
): Promise<AllocationOutcome> {
  if (!Number.isSafeInteger(units) || units < 0 || units > MAX_UNITS) {
    throw new RangeError(`units must be a whole number from 0 to ${MAX_UNITS}`);
  }
  const now = deps.clock.now();
  const service = findService(deps.catalog, serviceId);
  const held =
    service || units > 0 ? undefined : heldAllocation(await deps.ledgers.get(businessId), serviceId);
  if (!service && !held) throw new UnknownServiceError(serviceId);
  const request = service
    ? { service: service.id, productCode: service.productCode, units, creditsPerUnit: service.creditsPerUnit }
    : { service: serviceId, productCode: held?.productCode ?? '', units: 0, creditsPerUnit: 0 };
  let outcome: AllocationOutcome;
  try {
    outcome = await deps.ledgers.setAllocation(businessId, request, now);
  } catch (error) {
    if (error instanceof InsufficientCreditsError) await businessOf(deps, businessId);
    throw error;
  }
  if (!outcome.changed && outcome.ledger.revision === 0) await businessOf(deps, businessId);
  if (outcome.transition === 'became-over-allocated') await deps.notices.overAllocated(outcome.ledger);
  return outcome;
}

export interface OtherChannelLicense {
  readonly reference: string;
  readonly productCode: string;
  readonly credits: number;
  readonly expiresAt: string;
  readonly description?: string;
}

/**
 * Adds a license from another channel (a direct deal) to a business (R2), idempotently by its
 * reference: the same license again answers `created: false`; a different one under the same
 * reference is refused (LicenseReferenceConflictError).
 */
export async function addOtherChannelLicense(
  deps: CreditsDeps,
  businessId: string,
  input: OtherChannelLicense,
): Promise<{ readonly created: boolean; readonly license: DirectLicense; readonly usage: CreditUsage }> {
  if (!findProductByCode(deps.catalog, input.productCode))
    throw new UnknownProductCodeError(input.productCode);
  const business = await businessOf(deps, businessId);
  const now = deps.clock.now();
  const result = await deps.ledgers.addDirectLicense(
    {
      reference: input.reference,
      businessId,
      productCode: input.productCode,
      credits: input.credits,
      expiresAt: new Date(input.expiresAt).toISOString(),
      ...(input.description ? { description: input.description } : {}),
      createdAt: now.toISOString(),
    },
    { primaryEmail: business.primaryEmail, businessName: business.name },
    now,
  );
  return { created: result.created, license: result.license, usage: creditUsage(result.ledger, now) };
}

export type { Allocation };

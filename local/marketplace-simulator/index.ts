export type { AgreementEntitlementRow } from './agreement-protocol.js';
export {
  MAX_AGREEMENT_RESULTS,
  type Page,
  type PageQuery,
  SEARCH_FILTER_NAMES,
  type SearchFilterName,
  type SearchQuery,
} from './agreement-query.js';
export {
  AGREEMENT_STATUSES,
  type Agreement,
  type AgreementIntent,
  AgreementNotFoundError,
  AgreementStateError,
  type AgreementStatus,
  type AgreementTerms,
  type AmendAgreementRequest,
  type CreateAgreementRequest,
  type EndedAgreementStatus,
  type EndTimeBehavior,
  FREE_TRIAL_DAYS,
  InvalidAgreementError,
  newAgreementId,
  newOfferId,
  PRICE_PER_UNIT_MONTH_CENTS,
} from './agreements.js';
export type { FaultKind, FaultRates } from './faults.js';
export {
  InvalidLicenseError,
  type License,
  type LicenseEntitlement,
  LicenseNotFoundError,
  LicenseStateError,
} from './license.js';
export { AGREEMENT_OPERATIONS, type AgreementOperationName, type OperationName } from './protocol.js';
export type { RateLimit } from './rate-limit.js';
export { REGISTRATION_TOKEN_TTL_MS, type ResolvedCustomer } from './registration-tokens.js';
export { DEFAULT_MAX_BODY_BYTES, type RunningSimulator } from './server.js';
export {
  MarketplaceSimulator,
  type MarketplaceSimulatorOptions,
  type SimulatorCall,
  type StartOptions,
} from './simulator.js';
export type { PurchaseRequest, Quantities, RenewRequest } from './state.js';

export type { FaultKind, FaultRates } from './faults.js';
export {
  InvalidLicenseError,
  type License,
  type LicenseEntitlement,
  LicenseNotFoundError,
  LicenseStateError,
} from './license.js';
export type { OperationName } from './protocol.js';
export { REGISTRATION_TOKEN_TTL_MS, type ResolvedCustomer } from './registration-tokens.js';
export { DEFAULT_MAX_BODY_BYTES, type RunningSimulator } from './server.js';
export {
  MarketplaceSimulator,
  type MarketplaceSimulatorOptions,
  type SimulatorCall,
  type StartOptions,
} from './simulator.js';
export type { PurchaseRequest, Quantities, RenewRequest } from './state.js';

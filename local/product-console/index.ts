export { type AllocationAnswer, createLicenseApi, type LicenseApi, LicenseApiError } from './license-api.js';
export { CONTENT_SECURITY_POLICY, refusalText } from './pages.js';
export { type ProductConsoleOptions, type RunningProductConsole, startProductConsole } from './server.js';

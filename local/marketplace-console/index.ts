export {
  type ActionResult,
  type Buyer,
  ConsoleInputError,
  type ConsoleLicense,
  ConsoleNotFoundError,
  type ConsoleProduct,
  type ConsoleState,
  createMarketplaceConsole,
  creditsDimension,
  LIMITS,
  type LicenseStatus,
  type MarketplaceConsole,
  type MarketplaceConsoleOptions,
  NotificationPublishError,
  type OrderRequest,
  StateFileError,
} from './console.js';
export {
  type AgreementTerm,
  type BuildContext,
  type BuyerAction,
  buildNotifications,
  entitlementTopicArn,
  NOTIFICATION_MODES,
  type NotificationMode,
  NotificationModeError,
  type NotificationSubject,
  printedLicenseArn,
} from './notifications.js';
export {
  type ApiOrder,
  type ApiOrderLine,
  createOrdersApi,
  newOrderId,
  type OrderImport,
  type OrdersApi,
  OrdersApiError,
} from './orders.js';
export {
  type MarketplaceConsoleServerOptions,
  type RunningMarketplaceConsole,
  startMarketplaceConsole,
} from './server.js';

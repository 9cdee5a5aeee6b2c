export { AWS_JSON_CONTENT_TYPE, MAX_ENTRY_BYTES } from './aws-json.js';
export { CONTENT_SECURITY_POLICY } from './page.js';
export {
  type EventConsoleOptions,
  MAX_WEBHOOK_BYTES,
  type RunningEventConsole,
  startEventConsole,
} from './server.js';
export type { BusEvent, ReceivedEvent, WebhookDelivery } from './store.js';

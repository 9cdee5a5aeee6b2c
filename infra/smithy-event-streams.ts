/**
 * The bundles' stand-in for `@smithy/core/event-streams`. The SDK's HTTP protocol imports it
 * (a dynamic import, which a one-file bundle inlines: about 12 KB in every bundle) only to
 * serialize event-stream operations, and none of the operations these functions call
 * (DynamoDB, SES, GetEntitlements, ResolveCustomer) has an event stream. Should one ever be
 * called, it fails loudly instead of silently.
 */
function unavailable(): never {
  throw new Error('Event streams are not bundled: see infra/smithy-event-streams.ts');
}

export class EventStreamSerde {
  constructor() {
    unavailable();
  }
}

export const eventStreamSerdeProvider = (): never => unavailable();

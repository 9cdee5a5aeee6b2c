import { SESClient } from '@aws-sdk/client-ses';

/**
 * The SDK's Node handler waits forever by default. SES answers SendEmail in a few hundred
 * milliseconds: 1 s to connect and 3 s per attempt are faults. With the SDK's 3 attempts a hung
 * SES costs about 9 s of the setup function's 15 s, and the buyer gets an answer, not a Lambda
 * timeout. `throwOnRequestTimeout` makes a breach an error instead of a logged warning.
 */
export const SES_HTTP = {
  connectionTimeout: 1000,
  requestTimeout: 3000,
  socketTimeout: 3000,
  throwOnRequestTimeout: true,
} as const;

export interface SesClientOptions {
  /** The local SES stand-in's URL; absent in AWS. */
  readonly endpoint?: string;
  /** Other timeouts than `SES_HTTP` (tests of a hung endpoint). */
  readonly timeouts?: { readonly connectionTimeout?: number; readonly requestTimeout?: number };
}

/** SES in the function's region, or the local SES stand-in when an endpoint is given. */
export function createSesClient({ endpoint, timeouts }: SesClientOptions = {}): SESClient {
  return new SESClient({
    requestHandler: {
      ...SES_HTTP,
      ...timeouts,
      ...(timeouts?.requestTimeout ? { socketTimeout: timeouts.requestTimeout } : {}),
    },
    ...(endpoint
      ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

import { SESClient } from '@aws-sdk/client-ses';

/** SES in the function's region, or the local SES stand-in when an endpoint is given. */
export function createSesClient({ endpoint }: { endpoint?: string } = {}): SESClient {
  return new SESClient({
    ...(endpoint
      ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

import { SESv2Client } from '@aws-sdk/client-sesv2';

/** SES v2 in the function's region, or the local SES stand-in when an endpoint is given. */
export function createSesClient({ endpoint }: { endpoint?: string } = {}): SESv2Client {
  return new SESv2Client({
    ...(endpoint
      ? { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

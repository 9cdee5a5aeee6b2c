import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * Replaces `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias in
 * `bundling.ts`). Lambda hands a function its role's credentials in the environment, and the
 * SDK's default chain takes them from there first; the rest of that chain (SSO, profiles, STS
 * web identity, container and instance metadata, each with its own nested client) is about
 * 100 KB of bundle that a function never runs but parses at every cold start.
 */
export function defaultProvider(): AwsCredentialIdentityProvider {
  return async (): Promise<AwsCredentialIdentity> => {
    const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw Object.assign(
        new Error('No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)'),
        { name: 'CredentialsProviderError', tryNextLink: false },
      );
    }
    const sessionToken = process.env.AWS_SESSION_TOKEN;
    const expiration = process.env.AWS_CREDENTIAL_EXPIRATION;
    return {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      ...(expiration ? { expiration: new Date(expiration) } : {}),
    };
  };
}

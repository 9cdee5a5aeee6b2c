import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseWebhookSecrets } from './signature.js';

/**
 * Secrets Manager answers GetSecretValue in tens of milliseconds: 1 s to connect and 3 s per
 * attempt are faults, and with 3 attempts a hung endpoint costs about 9 s, not a Lambda timeout.
 * `throwOnRequestTimeout` makes a breach an error instead of a logged warning (as SES_HTTP).
 */
export const SECRETS_MANAGER_HTTP = {
  connectionTimeout: 1000,
  requestTimeout: 3000,
  socketTimeout: 3000,
  throwOnRequestTimeout: true,
} as const;

export interface SecretsManagerClientOptions {
  /** The function's region when absent (AWS_REGION). */
  readonly region?: string;
  /** The local stand-in's URL (the event console); absent in AWS. */
  readonly endpoint?: string;
}

/** Secrets Manager in the function's region, or the local stand-in when an endpoint is given. */
export function createSecretsManagerClient({
  region,
  endpoint,
}: SecretsManagerClientOptions = {}): SecretsManagerClient {
  return new SecretsManagerClient({
    maxAttempts: 3,
    requestHandler: SECRETS_MANAGER_HTTP,
    ...(region ? { region } : {}),
    ...(endpoint
      ? {
          endpoint,
          region: region ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
}

export interface SecretSourceOptions {
  readonly client: SecretsManagerClient;
  /** Name or ARN of the secret holding `whsec_…` (two, separated by a space, during a rotation). */
  readonly secretId: string;
  /** How long a loaded secret is used before it is read again: a rotation takes effect within it. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

const DEFAULT_TTL_MS = 300_000;

/**
 * The webhook signing keys, read from Secrets Manager at most once per `ttlMs`. Callers that
 * arrive while a read is under way share it; a read that fails (or holds no valid secret) is
 * not kept, so the next caller tries again.
 */
export function createSecretSource(options: SecretSourceOptions): () => Promise<Buffer[]> {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { readonly keys: Buffer[]; readonly until: number } | undefined;
  let loading: Promise<Buffer[]> | undefined;

  const load = async (): Promise<Buffer[]> => {
    const output = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
    if (output.SecretString === undefined) {
      throw new Error(
        `Secret ${options.secretId} has no SecretString (a binary secret cannot hold whsec_ keys)`,
      );
    }
    try {
      return parseWebhookSecrets(output.SecretString);
    } catch (error) {
      throw new Error(
        `Secret ${options.secretId}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };

  return () => {
    if (cached !== undefined && now() < cached.until) return Promise.resolve(cached.keys);
    loading ??= load()
      .then((keys) => {
        cached = { keys, until: now() + ttlMs };
        return keys;
      })
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
}

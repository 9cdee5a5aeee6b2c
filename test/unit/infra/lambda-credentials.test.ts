import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../../infra/lambda-credentials.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('lambda credentials (the bundles’ credential chain)', () => {
  it('reads the role credentials Lambda puts in the environment, session token included', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '2026-11-23T18:00:00Z');
    expect(await defaultProvider()()).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date('2026-11-23T18:00:00Z'),
    });
  });

  it('fails with a message naming the variables when they are missing', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID/);
  });
});

import { describe, expect, it } from 'vitest';
import { envCredentials } from '../../src/cli/aws.js';

/**
 * The credentials the CLI takes from the environment without loading the SDK's chain (issue 15): only
 * where the chain's first provider would take them, and exactly those.
 */
describe('envCredentials', () => {
  const keys = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' };

  it('takes the key pair, with the session token when there is one', () => {
    expect(envCredentials(undefined, keys)).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
    expect(envCredentials(undefined, { ...keys, AWS_SESSION_TOKEN: 'tok' })).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'tok',
    });
    expect(envCredentials(undefined, { ...keys, AWS_SESSION_TOKEN: '' })).toEqual({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' });
  });

  it('leaves the rest to the chain: a profile named, half a pair, credentials that expire', () => {
    expect(envCredentials('prod', keys)).toBeUndefined();
    expect(envCredentials(undefined, { ...keys, AWS_PROFILE: 'prod' })).toBeUndefined();
    expect(envCredentials(undefined, { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE' })).toBeUndefined();
    expect(envCredentials(undefined, { ...keys, AWS_SECRET_ACCESS_KEY: '' })).toBeUndefined();
    expect(envCredentials(undefined, { ...keys, AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z' })).toBeUndefined();
  });
});

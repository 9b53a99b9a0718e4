import { TrailproofError } from '../errors.js';
import type { KeyBackends } from '../keys/backend.js';

/**
 * How the CLI reaches registered keys: PKCS#11 through pkcs11js (loaded only when a PKCS#11 key
 * signs) and AWS KMS through the SDK (src/aws, loaded only when a KMS key signs). KMS's endpoint
 * comes from AWS_ENDPOINT_URL_KMS (as the SDK names it), its region from the key's ARN, else
 * AWS_REGION / AWS_DEFAULT_REGION; credentials from `--profile` or the SDK's default chain.
 */
export function keyBackends(profile: string | undefined, environment: NodeJS.ProcessEnv = process.env): KeyBackends {
  const env = (name: string): string | undefined => (environment[name] !== undefined && environment[name] !== '' ? environment[name] : undefined);
  return {
    pkcs11: async (uri, pin) => (await import('../keys/pkcs11.js')).openPkcs11Signer(uri, pin),
    kms: async (keyId) => {
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
      const [{ openKmsSigner, kmsKeyRegion }, { checkEndpoint }] = await Promise.all([import('../aws/kms-signer.js'), import('./aws.js')]);
      const region = kmsKeyRegion(keyId) ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION');
      if (region === undefined)
        throw new TrailproofError('argument', `KMS key ${keyId}: give its ARN (arn:aws:kms:<region>:<account>:key/<id>) or set AWS_REGION`);
      return openKmsSigner(keyId, { region, profile, endpoint: checkEndpoint(env('AWS_ENDPOINT_URL_KMS')) });
    },
  };
}

import { createRequire } from 'node:module';
import type { AwsClientOptions } from './client-config.js';

/**
 * These two packages are CommonJS: `require` loads them without the ES module loader's pass over their
 * source for named exports (15-25 ms of start-up for @smithy/core/config alone, measured).
 */
const require = createRequire(import.meta.url);
const loadConfigModule = (): typeof import('@smithy/core/config') => require('@smithy/core/config') as typeof import('@smithy/core/config');

/**
 * The pieces of the SDK's configuration that the S3 fast path needs, without the S3 client (issue 15:
 * importing @aws-sdk/client-s3 cost more than Node's own start-up). Each is the SDK's own loader,
 * imported on first use: the credential chain of the S3 client (@aws-sdk/credential-provider-node:
 * environment, shared files, SSO, process, web identity, container and instance roles), and the
 * settings that change how the S3 client addresses a bucket (@smithy/core/config: FIPS and dual-stack
 * from the environment or the profile; configured endpoint URLs). The SDK reads the environment and
 * the shared files here, as the S3 client itself would.
 */

/** Credentials as the SDK's providers give them (with an expiration when they expire). */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
  readonly expiration?: Date | undefined;
}
export type CredentialProvider = () => Promise<Credentials>;

/**
 * The credentials of the S3 client: the explicit ones, or the SDK's default chain for the profile
 * (memoized by the SDK until shortly before they expire). The S3 client made later for a fall-back
 * gets this same provider, so the chain runs once per run (one MFA prompt, one IMDS call).
 */
export function credentialProvider(o: AwsClientOptions): CredentialProvider {
  const given = o.credentials;
  if (given !== undefined) {
    if (typeof given === 'function') return given as CredentialProvider;
    const fixed = given as Credentials;
    return () => Promise.resolve(fixed);
  }
  let chain: Promise<CredentialProvider> | undefined;
  return async () => {
    chain ??= Promise.resolve().then(() => {
      const m = require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node');
      return m.defaultProvider(o.profile !== undefined ? { profile: o.profile } : {});
    });
    return (await chain)();
  };
}

/** What, besides the endpoint and region, decides the S3 client's addressing: anything true sends the decision to the SDK. */
export interface AddressingSettings {
  readonly fips: boolean;
  readonly dualStack: boolean;
  /** An endpoint URL configured for S3 in the environment or the profile (AWS_ENDPOINT_URL*, endpoint_url, services). */
  readonly configuredEndpoint: boolean;
}

/** The SDK's own loaders for FIPS and dual-stack; a conservative one for configured endpoints. */
export async function addressingSettings(profile: string | undefined): Promise<AddressingSettings> {
  const config = loadConfigModule();
  const init = profile !== undefined ? { profile } : {};
  const [fips, dualStack, configuredEndpoint] = await Promise.all([
    config.loadConfig(config.NODE_USE_FIPS_ENDPOINT_CONFIG_OPTIONS, init)(),
    config.loadConfig(config.NODE_USE_DUALSTACK_ENDPOINT_CONFIG_OPTIONS, init)(),
    config.loadConfig<boolean>(
      {
        environmentVariableSelector: (env) => Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL),
        configFileSelector: (p) => Boolean(p.endpoint_url || p.services),
        default: false,
      },
      init,
    )(),
  ]);
  return { fips: fips === true, dualStack: dualStack === true, configuredEndpoint };
}

/** The profile's region, as the S3 client would find it (environment, then the shared files); undefined when none. */
export async function configuredRegion(profile: string | undefined): Promise<string | undefined> {
  try {
    const config = loadConfigModule();
    const region = await config.loadConfig(config.NODE_REGION_CONFIG_OPTIONS, {
      ...config.NODE_REGION_CONFIG_FILE_OPTIONS,
      ...(profile !== undefined ? { profile } : {}),
    })();
    return typeof region === 'string' && region !== '' ? region : undefined;
  } catch {
    return undefined;
  }
}

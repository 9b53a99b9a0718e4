import { StoreError } from '../store/errors.js';

/**
 * The AWS SDK packages, loaded on first use and only here: a local run never loads them (the CLI
 * reaches src/aws/ through a dynamic import), and a missing package says how to install it.
 */
export type S3Sdk = typeof import('@aws-sdk/client-s3');
export type CloudTrailSdk = typeof import('@aws-sdk/client-cloudtrail');
export type OrganizationsSdk = typeof import('@aws-sdk/client-organizations');

export async function loadS3Sdk(): Promise<S3Sdk> {
  return importSdk('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3'));
}

export async function loadCloudTrailSdk(): Promise<CloudTrailSdk> {
  return importSdk('@aws-sdk/client-cloudtrail', () => import('@aws-sdk/client-cloudtrail'));
}

export async function loadOrganizationsSdk(): Promise<OrganizationsSdk> {
  return importSdk('@aws-sdk/client-organizations', () => import('@aws-sdk/client-organizations'));
}

/** Loads an SDK package on first use (a local run never does); a missing package says so. */
async function importSdk<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new StoreError('Other', `Reading AWS needs the package ${name}, which is not installed (npm install ${name})`, { cause: err });
    }
    throw err;
  }
}

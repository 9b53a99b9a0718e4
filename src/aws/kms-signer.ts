import type { KMSClient } from '@aws-sdk/client-kms';
import { createHash } from 'node:crypto';
import { TrailproofError } from '../errors.js';
import { DerError, pkcs1FromSpki } from '../crypto/der.js';
import type { KeySigner } from '../keys/backend.js';
import { awsClientConfig, type AwsClientOptions } from './client-config.js';
import { errorCode } from './errors.js';

/**
 * A key in AWS KMS: an asymmetric RSA_2048 SIGN_VERIFY key signing RSASSA_PKCS1_V1_5_SHA_256 over
 * a digest computed here (MessageType DIGEST: the data never leaves this process, only its SHA-256).
 * GetPublicKey's SubjectPublicKeyInfo becomes CloudTrail's PKCS#1 `Value`. The SDK is loaded on first
 * use only. Every answer is checked: the key's spec, usage and algorithms, and the public key's DER.
 */
export type KmsSdk = typeof import('@aws-sdk/client-kms');

export interface KmsSignerOptions extends AwsClientOptions {
  /** The key's region: from its ARN, else the CLI's region. */
  readonly region: string;
}

const ALGORITHM = 'RSASSA_PKCS1_V1_5_SHA_256';

async function loadKmsSdk(): Promise<KmsSdk> {
  try {
    return await import('@aws-sdk/client-kms');
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new TrailproofError('keys', 'KMS keys need the package @aws-sdk/client-kms, which is not installed (npm install @aws-sdk/client-kms)');
    }
    throw err;
  }
}

/** A KMS failure in one line: the operation, the key and the service's error code (never a credential). */
function kmsError(operation: string, keyId: string, err: unknown): TrailproofError {
  const code = errorCode(err) ?? (err instanceof Error ? err.name : 'Error');
  const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : '';
  return new TrailproofError('keys', `An error occurred (${code}) when calling the ${operation} operation on KMS key ${keyId}${message ? `: ${message}` : ''}`);
}

/** The region in a KMS key or alias ARN, if it is one. */
export function kmsKeyRegion(keyId: string): string | undefined {
  return /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(?:key|alias)\/.+$/.exec(keyId)?.[1];
}

export async function openKmsSigner(keyId: string, options: KmsSignerOptions): Promise<KeySigner> {
  if (!/^[A-Za-z0-9:/_+=,.@-]{1,2048}$/.test(keyId))
    throw new TrailproofError('argument', 'Invalid KMS key id: expected a key ARN, alias ARN, key id or alias/NAME');
  const sdk = await loadKmsSdk();
  const client: KMSClient = new sdk.KMSClient(awsClientConfig(options, options.region));
  let der: Uint8Array;
  try {
    const out = await client.send(new sdk.GetPublicKeyCommand({ KeyId: keyId }));
    if (out.KeySpec !== 'RSA_2048') throw new TrailproofError('keys', `KMS key ${keyId} is ${String(out.KeySpec)}, not RSA_2048 (CloudTrail's key type)`);
    if (out.KeyUsage !== 'SIGN_VERIFY') throw new TrailproofError('keys', `KMS key ${keyId} is for ${String(out.KeyUsage)}, not SIGN_VERIFY`);
    if (!(out.SigningAlgorithms ?? []).includes(ALGORITHM)) throw new TrailproofError('keys', `KMS key ${keyId} does not offer ${ALGORITHM}`);
    if (!(out.PublicKey instanceof Uint8Array)) throw new TrailproofError('keys', `KMS GetPublicKey gave no public key for ${keyId}`);
    der = pkcs1FromSpki(out.PublicKey);
  } catch (err) {
    client.destroy();
    if (err instanceof DerError) throw new TrailproofError('keys', `KMS key ${keyId}: its public key is not an RSA SubjectPublicKeyInfo (${err.message})`);
    if (err instanceof TrailproofError) throw err;
    throw kmsError('GetPublicKey', keyId, err);
  }
  return {
    publicKeyDer: async () => der,
    sign: async (data) => {
      const digest = createHash('sha256').update(data).digest();
      let out;
      try {
        out = await client.send(new sdk.SignCommand({ KeyId: keyId, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: ALGORITHM }));
      } catch (err) {
        throw kmsError('Sign', keyId, err);
      }
      if (!(out.Signature instanceof Uint8Array)) throw new TrailproofError('keys', `KMS Sign gave no signature for ${keyId}`);
      return out.Signature;
    },
    close: async () => client.destroy(),
  };
}

import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { StoreError } from '../store/errors.js';
import type { Metadata } from '../store/types.js';
import { bucketError, errorCode, httpStatus } from './errors.js';
import type { S3Sdk } from './sdk.js';

/**
 * One PutObject (S3Store.put): the body with its MD5, its user metadata, and, for write-once
 * objects (digests, witness records), S3's conditional write `If-None-Match: *`.
 */
export async function putObject(
  sdk: S3Sdk,
  client: S3Client,
  o: { bucket: string; key: string; body: Uint8Array; metadata: Metadata; createOnly: boolean },
): Promise<void> {
  try {
    await client.send(
      new sdk.PutObjectCommand({
        Bucket: o.bucket,
        Key: o.key,
        Body: o.body,
        ContentLength: o.body.byteLength,
        // S3 checks it (a body changed on the way is refused), and a bucket with Object Lock (a
        // witness) requires it on every PutObject.
        ContentMD5: createHash('md5').update(o.body).digest('base64'),
        Metadata: { ...o.metadata },
        // S3 conditional writes: the object and its metadata are written only if the key is free.
        ...(o.createOnly ? { IfNoneMatch: '*' } : {}),
      }),
    );
  } catch (err) {
    const status = httpStatus(err);
    // 412: the key is taken; 409 ConditionalRequestConflict: another conditional write of it is under way.
    if (o.createOnly && (status === 412 || (status === 409 && errorCode(err) === 'ConditionalRequestConflict'))) {
      throw new StoreError('Exists', `s3://${o.bucket}/${o.key} already exists (written by another signer)`, { cause: err });
    }
    throw bucketError(err, 'PutObject');
  }
}

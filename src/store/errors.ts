import { TrailproofError } from '../errors.js';

/** `Exists`: a write-once put found the key taken (S3 412 PreconditionFailed / 409, or the local file there). */
export type StoreErrorKind = 'NoSuchBucket' | 'AccessDenied' | 'Unreachable' | 'Exists' | 'Other';

/**
 * A storage failure that stops a run (behaviour §1: exit 255 with the AWS CLI's own wording).
 * The message is the one the AWS CLI prints, e.g.
 * `An error occurred (NoSuchBucket) when calling the GetBucketLocation operation: ...`.
 */
export class StoreError extends TrailproofError {
  readonly kind: StoreErrorKind;
  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super('storage', message, options);
    this.kind = kind;
  }
}

/** S3's (and so botocore's) text for a missing bucket: one copy for every store. */
export const NO_SUCH_BUCKET_TEXT = 'The specified bucket does not exist';

export function noSuchBucket(): StoreError {
  return new StoreError('NoSuchBucket', `An error occurred (NoSuchBucket) when calling the GetBucketLocation operation: ${NO_SUCH_BUCKET_TEXT}`);
}

/** An object over the size limit trailproof reads it up to (named as `s3://bucket/key`, whatever the store). */
export function objectTooLarge(bucket: string, key: string, limit: number): StoreError {
  return new StoreError('Other', `s3://${bucket}/${key} is larger than the ${limit} bytes trailproof reads for such an object: refusing it`);
}

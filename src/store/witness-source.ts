import type { ObjectStore } from './types.js';

/**
 * Where witness records are (format/witness.ts): a local folder (`DIR/<archive bucket>/...`, a
 * LocalStore rooted at DIR) or an S3 prefix (`s3://W/P/<archive bucket>/...`), maybe in another
 * account than the archive.
 */
export interface WitnessSource {
  readonly store: ObjectStore;
  /** For messages: the folder, or `s3://W/P`. */
  readonly where: string;
  /** The bucket and key prefix of an archive bucket's records. */
  readonly bucketFor: (archiveBucket: string) => string;
  readonly prefixFor: (archiveBucket: string) => string;
}

/** Where the record of a digest goes. */
export function witnessObject(w: WitnessSource, archiveBucket: string, digestKey: string, suffix: string): { bucket: string; key: string } {
  return { bucket: w.bucketFor(archiveBucket), key: `${w.prefixFor(archiveBucket)}${digestKey}${suffix}` };
}

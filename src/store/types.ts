import type { LogRead } from '../crypto/log-read.js';

/**
 * The one storage interface. Implementations: a local directory (local.ts) and S3 (../aws/s3-store.ts).
 * Keys and bucket names are untrusted (they come from digests): implementations must never touch
 * anything outside what the bucket stands for.
 */
export type Metadata = Readonly<Record<string, string>>;

export interface StoredObject {
  /** S3 user metadata, keys in lowercase, without the `x-amz-meta-` prefix. */
  readonly metadata: Metadata;
  /** The object's bytes, streamed. Consume it once. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Size in bytes when known. */
  readonly size?: number;
  /** Releases the body if it is not consumed to the end. */
  close(): Promise<void>;
}

export interface ListOptions {
  readonly prefix: string;
  /** List keys strictly after this one (S3's Marker / StartAfter). */
  readonly startAfter?: string | undefined;
  /**
   * A local root's listing skips symbolic links (S3 has none: a link was made in the copy). This
   * hears the key of each one it skips in the listed range, a link to a folder included.
   */
  readonly onLink?: ((key: string) => void) | undefined;
  /**
   * A local root's listing skips metadata sidecars (`<key>.metadata.json`: not objects there). This
   * hears the key of each one it skips in the listed range (a symbolic link goes to onLink instead),
   * its object's key (the same name without the suffix), and whether that object is a regular file
   * beside it.
   */
  readonly onSidecar?: ((key: string, objectKey: string, objectHere: boolean) => void) | undefined;
  /**
   * Skipping ahead: asked about each key the listing is about to give (and, on a local root, each
   * folder it is about to enter, as its key prefix ending in `/`), it may answer a key: the listing
   * then skips every key up to that one (inclusive) and goes on after it, as a new listing with that
   * StartAfter would (S3: one more request; a local root: the folders not entered). Only a saving: a
   * store may ignore it, so the caller still judges every key it gets.
   */
  readonly jump?: ((keyOrFolder: string) => string | undefined) | undefined;
}

/** What reading one log object gave (readLogs): its read, nothing there, or what stops the run. */
export type LogObjectRead =
  { readonly kind: 'read'; readonly read: LogRead } | { readonly kind: 'missing' } | { readonly kind: 'failed'; readonly error: unknown };

export interface PutOptions {
  readonly createOnly?: boolean | undefined;
}

export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
}

export interface ObjectStore {
  /** Keys in UTF-8 byte order, all pages. Throws StoreError('NoSuchBucket') for a missing bucket. */
  list(bucket: string, options: ListOptions): AsyncIterable<string>;
  /** The object, or undefined when there is no such key. Throws StoreError('NoSuchBucket'). */
  get(bucket: string, key: string): Promise<StoredObject | undefined>;
  /**
   * The whole object in memory, for small objects (digests): undefined when there is no such key.
   * Objects larger than `limit` bytes are refused (StoreError). Optional: `get` is the fallback.
   */
  getBytes?(bucket: string, key: string, limit: number): Promise<{ bytes: Buffer; metadata: Metadata } | undefined>;
  /**
   * Reads, inflates and hashes log objects (one result per object, in order; behaviour §4). A store
   * does it where it reads best (the local store on its worker threads); without this method,
   * readLogsThrough (store/read-logs.ts) does it through `get`.
   */
  readLogs?(objects: readonly ObjectRef[], options: { readonly eventTimes: boolean }): Promise<LogObjectRead[]>;
  /**
   * Writes the object atomically (no reader ever sees a partial object) with its user metadata.
   * `createOnly`: write-once, the object and its metadata together or not at all; a key already
   * there throws StoreError('Exists') and leaves it as it was (S3: `If-None-Match: *`; local: an
   * exclusive create).
   */
  put(bucket: string, key: string, body: Uint8Array, metadata?: Metadata, options?: PutOptions): Promise<void>;
  /** Keys (as `list`) with their last-modified time, UTC micros (NaN when the store did not say). */
  listEntries?(bucket: string, options: ListOptions): AsyncIterable<{ readonly key: string; readonly lastModified: number }>;
  /** Removes an object (used by tests and the demo to tamper). */
  delete(bucket: string, key: string): Promise<void>;
  /** Where a key lives, for messages: `s3://bucket/key` whatever the store. */
  readonly kind: 'local' | 's3';
}

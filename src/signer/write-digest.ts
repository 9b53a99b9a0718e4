import { sha256Hex } from '../crypto/hash.js';
import { digestKey, type DigestScope } from '../format/names.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import type { KeyCreated, KeyRecord, KeyStore } from '../keys/keystore.js';
import { loadDigestBytes } from '../store/digest-object.js';
import { StoreError } from '../store/errors.js';
import type { ObjectStore } from '../store/types.js';
import { TrailproofError } from '../errors.js';
import { compress, serializeDigest, signingInput, type DigestLogFile, type PreviousDigest } from './digest-model.js';
import type { LogFactsResult } from './log-hash.js';

/** Another signer wrote a digest of this chain first: this run stops that chain, writing nothing more. */
export class ChainTaken extends TrailproofError {
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super('signer', `another signer wrote s3://${bucket}/${key} first`);
  }
}

/** A log file of a window, its facts still being read. */
export interface PendingLog {
  readonly key: string;
  readonly facts: Promise<LogFactsResult>;
}

/** What one signer run did, for its summary line. */
export interface SignTally {
  digests: number;
  logFiles: number;
  skipped: number;
  from: number | null;
  to: number | null;
}

/** The digest entries of a window's logs, in order; a log that cannot be signed is skipped with a warning. */
export async function collectLogFiles(bucket: string, logs: readonly PendingLog[], tally: SignTally, warn: (m: string) => void): Promise<DigestLogFile[]> {
  const out: DigestLogFile[] = [];
  for (const log of logs) {
    const r = await log.facts;
    if (!r.ok) {
      tally.skipped++;
      warn(`warning: not signing s3://${bucket}/${log.key}: it ${r.reason}`);
      continue;
    }
    out.push({
      s3Bucket: bucket,
      s3Object: log.key,
      hashValue: r.facts.hashValue,
      hashAlgorithm: 'SHA-256',
      newestEventTime: r.facts.newestEventTime,
      oldestEventTime: r.facts.oldestEventTime,
    });
  }
  return out;
}

export interface DigestToWrite {
  readonly store: ObjectStore;
  readonly keys: KeyStore;
  readonly bucket: string;
  readonly scope: DigestScope;
  /** Window start, UTC micros; the window is one hour. */
  readonly start: number;
  readonly previous: PreviousDigest | null;
  readonly logFiles: readonly DigestLogFile[];
  /** Sign with the region's key active at this time. */
  readonly keyAt: number;
  /** A backfill digest, generated at this time (its key name and metadata say so). */
  readonly backfillGeneratedAt?: number | undefined;
  /** Told when signing this digest made the region's next key (a rotation). */
  readonly onKeyCreated?: KeyCreated | undefined;
  /** Told which key signed the digest (before it is written). */
  readonly onKeyUsed?: ((key: KeyRecord, start: number) => void) | undefined;
}

/** Builds, signs and writes one digest; returns what the next digest of its chain points at. */
export async function writeDigest(d: DigestToWrite, tally: SignTally): Promise<PreviousDigest> {
  const end = d.start + MICROS_PER_HOUR;
  const backfill = d.backfillGeneratedAt !== undefined;
  const key = await d.keys.signingKey(d.scope.sourceRegion, d.keyAt, undefined, undefined, d.onKeyCreated);
  d.onKeyUsed?.(key, d.start);
  const content = {
    awsAccountId: d.scope.account,
    digestStartTime: formatDisplay(d.start),
    digestEndTime: formatDisplay(end),
    digestS3Bucket: d.bucket,
    digestS3Object: digestKey(d.scope, end, backfill),
    digestPublicKeyFingerprint: key.fingerprint,
    previous: d.previous,
    logFiles: d.logFiles,
  };
  const raw = serializeDigest(content);
  const signature = Buffer.from(await d.keys.sign(key, signingInput(content, raw))).toString('hex');
  const metadata: Record<string, string> = { signature, 'signature-algorithm': 'SHA256withRSA' };
  if (backfill) metadata['backfill-generation-timestamp'] = formatDisplay(d.backfillGeneratedAt!);
  try {
    // Write-once: a digest is never replaced, and two signers never both write one for an hour.
    await d.store.put(d.bucket, content.digestS3Object, compress(raw), metadata, { createOnly: true });
  } catch (err) {
    if (!(err instanceof StoreError && err.kind === 'Exists')) throw err;
    // The same bytes and signature (a retried request that had landed, or a signer with the same
    // key and logs) are this digest; anything else is another signer's chain.
    const there = await loadDigestBytes(d.store, d.bucket, content.digestS3Object, undefined);
    if (!there?.raw || !there.raw.equals(raw) || there.metadata.signature?.toLowerCase() !== signature) throw new ChainTaken(d.bucket, content.digestS3Object);
  }
  tally.digests++;
  tally.logFiles += d.logFiles.length;
  tally.from ??= d.start;
  tally.to = end;
  return { bucket: d.bucket, key: content.digestS3Object, hashValue: sha256Hex(raw), signature };
}

import { sha256Hex } from '../crypto/hash.js';
import { chainId, classifyKey } from '../format/archive-keys.js';
import { createDigestKeyMatcher, digestKeyStamp, digestListPrefix, isBackfillKey, type DigestScope } from '../format/names.js';
import { formatDisplay, formatYmdPath, MICROS_PER_HOUR, parseDate } from '../format/time.js';
import { MAX_WITNESS_RECORD, parseWitnessRecord, WITNESS_SUFFIX, type WitnessRecord } from '../format/witness.js';
import { loadDigestBytes } from '../store/digest-object.js';
import { StoreError } from '../store/errors.js';
import type { ObjectStore } from '../store/types.js';
import { witnessObject, type WitnessSource } from '../store/witness-source.js';

/**
 * `--witness SRC` (validate-logs, audit): the newest digest a witness recorded for a chain, ending
 * in [start, end], must be in the archive as recorded: same bytes (SHA-256) and signature. Gone, or
 * different, is `chain-stops`: the archive's newest digests were deleted or rewritten, which the
 * chain itself cannot show. A record that cannot be read or parsed stops the run (fail closed).
 */
export type WitnessResult =
  | { readonly kind: 'none'; readonly message: string }
  | { readonly kind: 'ok'; readonly record: WitnessRecord; readonly message: string }
  | { readonly kind: 'chain-stops'; readonly record: WitnessRecord; readonly message: string };

/** The newest record of the chain in [start, end], or undefined. */
export async function newestWitnessed(w: WitnessSource, bucket: string, scope: DigestScope, start: number, end: number): Promise<WitnessRecord | undefined> {
  const folder = witnessObject(w, bucket, `${digestListPrefix(scope)}/`, '');
  const matches = createDigestKeyMatcher(scope);
  const base = w.prefixFor(bucket);
  let newest: { name: string; at: number } | undefined;
  try {
    const startAfter = `${folder.key}${formatYmdPath(start - 24 * MICROS_PER_HOUR)}/`;
    for await (const name of w.store.list(folder.bucket, { prefix: folder.key, startAfter })) {
      if (!name.endsWith(WITNESS_SUFFIX)) continue;
      const key = name.slice(base.length, -WITNESS_SUFFIX.length);
      if (!matches(key) || isBackfillKey(key)) continue;
      let at: number;
      try {
        at = parseDate(digestKeyStamp(key)).clock;
      } catch {
        continue;
      }
      if (at < start || at > end) continue;
      if (!newest || at > newest.at) newest = { name, at };
    }
  } catch (err) {
    // A witness with no folder for this bucket (a local witness) has recorded nothing for it.
    if (err instanceof StoreError && err.kind === 'NoSuchBucket' && w.store.kind === 'local') return undefined;
    throw err;
  }
  if (!newest) return undefined;
  const got = w.store.getBytes ? await w.store.getBytes(folder.bucket, newest.name, MAX_WITNESS_RECORD) : undefined;
  if (!got) throw new StoreError('Other', `The witness record ${w.where}: ${newest.name} cannot be read`);
  const record = parseWitnessRecord(got.bytes);
  const expectKey = newest.name.slice(base.length, -WITNESS_SUFFIX.length);
  if (typeof record === 'string') throw new StoreError('Other', `The witness record ${newest.name} in ${w.where} is not valid: ${record}`);
  if (record.bucket !== bucket || record.key !== expectKey)
    throw new StoreError('Other', `The witness record ${newest.name} in ${w.where} names another digest`);
  return record;
}

/**
 * Every chain a witness holds records of for an archive bucket (under `prefix`, or all), with a
 * record in a day folder of [start - 1 day, end + 1 day] (newestWitnessed then applies the exact
 * window): a skip-scan, one listing to find each digest folder (account, region) and one of that
 * folder's days in the window, whatever the number of records.
 */
export async function* witnessedChains(w: WitnessSource, bucket: string, prefix: string | undefined, start: number, end: number): AsyncGenerator<DigestScope> {
  const wbucket = w.bucketFor(bucket);
  const base = w.prefixFor(bucket);
  const listPrefix = `${base}${prefix ? `${prefix}/AWSLogs/` : ''}`;
  const lastDay = formatYmdPath(end + 24 * MICROS_PER_HOUR);
  const seen = new Set<string>();
  const digestOf = (name: string) => (name.endsWith(WITNESS_SUFFIX) ? classifyKey(name.slice(base.length, -WITNESS_SUFFIX.length)) : undefined);
  let after: string | undefined;
  try {
    for (;;) {
      let folder: string | undefined;
      for await (const name of w.store.list(wbucket, { prefix: listPrefix, startAfter: after })) {
        const k = digestOf(name);
        if (k?.kind === 'digest') {
          folder = `${base}${digestListPrefix(k.scope)}/`;
          break;
        }
      }
      if (folder === undefined) return;
      for await (const name of w.store.list(wbucket, { prefix: folder, startAfter: `${folder}${formatYmdPath(start - 24 * MICROS_PER_HOUR)}/` })) {
        if (name.slice(folder.length, folder.length + 10) > lastDay) break;
        const k = digestOf(name);
        if (k?.kind !== 'digest' || k.backfill) continue;
        const id = chainId(k.scope);
        if (seen.has(id)) continue;
        seen.add(id);
        yield k.scope;
      }
      // Past every key of this folder (no key of a folder sorts after its prefix and U+10FFFF).
      after = `${folder}\u{10FFFF}`;
    }
  } catch (err) {
    // A local witness with no folder for this bucket has recorded nothing for it.
    if (err instanceof StoreError && err.kind === 'NoSuchBucket' && w.store.kind === 'local') return;
    throw err;
  }
}

/** Compares the archive with the witness for one chain. */
export async function checkWitness(
  archive: ObjectStore,
  w: WitnessSource,
  bucket: string,
  scope: DigestScope,
  start: number,
  end: number,
): Promise<WitnessResult> {
  const record = await newestWitnessed(w, bucket, scope, start, end);
  if (!record) return { kind: 'none', message: `no record for this chain from ${formatDisplay(start)} to ${formatDisplay(end)} in ${w.where}` };
  const s3 = `s3://${record.bucket}/${record.key}`;
  const recorded = `${formatDisplay(record.recordedAt)}, ending ${formatDisplay(record.digestEndTime)}`;
  const there = await loadDigestBytes(archive, bucket, record.key, undefined);
  if (!there) {
    return {
      kind: 'chain-stops',
      record,
      message: `the witness recorded ${s3} (on ${recorded}) but the archive does not have it: the chain's newest digests were deleted`,
    };
  }
  const sha = there.raw ? sha256Hex(there.raw) : undefined;
  if (sha !== record.sha256 || (there.metadata.signature ?? '').toLowerCase() !== record.signature) {
    return {
      kind: 'chain-stops',
      record,
      message: `${s3} differs from what the witness recorded (on ${recorded}): ${sha !== record.sha256 ? 'its SHA-256' : 'its signature'} changed`,
    };
  }
  return { kind: 'ok', record, message: `the archive holds ${s3} (ending ${formatDisplay(record.digestEndTime)}) as the witness recorded it` };
}

import { openToRead } from '../util/open-read.js';
import { parseState, serializeState, type ChainMark } from '../audit/state.js';
import { TrailproofError } from '../errors.js';
import { MAX_STATE_BYTES } from '../format/limits.js';
import { isS3Url, parseS3Url, type S3Url } from '../format/s3-url.js';
import type { ObjectStore } from '../store/types.js';
import { writeAtomic } from '../util/atomic-file.js';
import { describeFsError, isAbsent } from '../util/errno.js';

/**
 * Where `audit --state` keeps its state: a local file, or an S3 object (`s3://bucket/key`). Both
 * are written whole or not at all (a temporary file renamed over the old one; one S3 PutObject,
 * which readers see complete or not at all), and only by a run that went to the end.
 */
export type StateLocation = { readonly kind: 'file'; readonly path: string } | ({ readonly kind: 's3'; readonly url: string } & S3Url);

export function stateLocation(value: string): StateLocation {
  if (!isS3Url(value)) return { kind: 'file', path: value };
  const url = parseS3Url(value);
  if (!url) throw new TrailproofError('argument', `--state ${value.slice(0, 300)}: not an s3://BUCKET/KEY URL`);
  return { kind: 's3', url: value, ...url };
}

/** The state, or an empty one when there is none yet (a first run: `notice` says so). */
export async function loadState(
  at: StateLocation,
  bucket: string,
  s3: () => Promise<ObjectStore>,
  notice: (line: string) => void,
): Promise<Map<string, ChainMark>> {
  const where = at.kind === 'file' ? at.path : at.url;
  const bytes = at.kind === 'file' ? await readStateFile(at.path) : await readStateObject(await s3(), at);
  if (bytes === undefined) {
    notice(`audit: no state at ${where} yet: this run starts it`);
    return new Map();
  }
  return new Map(parseState(bytes, where, bucket).chains);
}

export async function saveState(at: StateLocation, bucket: string, state: ReadonlyMap<string, ChainMark>, s3: () => Promise<ObjectStore>): Promise<void> {
  const text = serializeState(bucket, state);
  if (at.kind === 'file') return writeAtomically(at.path, text);
  const store = await s3();
  try {
    await store.put(at.bucket, at.key, Buffer.from(text, 'utf8'), {});
  } catch (err) {
    throw new TrailproofError('input', `Cannot write state ${at.url}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function readStateFile(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await openToRead(path);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw new TrailproofError('input', `Cannot read state file ${path}: ${describeFsError(err)}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new TrailproofError('input', `Cannot read state file ${path}: not a regular file`);
    if (info.size > MAX_STATE_BYTES) throw tooLarge(path);
    const bytes = await handle.readFile();
    if (bytes.length > MAX_STATE_BYTES) throw tooLarge(path);
    return bytes;
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw new TrailproofError('input', `Cannot read state file ${path}: ${describeFsError(err)}`);
  } finally {
    await handle.close();
  }
}

async function readStateObject(store: ObjectStore, at: StateLocation & { kind: 's3' }): Promise<Buffer | undefined> {
  if (!store.getBytes) throw new TrailproofError('input', `Cannot read state ${at.url}: this store cannot read objects whole`);
  try {
    return (await store.getBytes(at.bucket, at.key, MAX_STATE_BYTES))?.bytes;
  } catch (err) {
    throw new TrailproofError('input', `Cannot read state ${at.url}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function tooLarge(where: string): TrailproofError {
  return new TrailproofError('input', `Cannot read state file ${where}: larger than ${MAX_STATE_BYTES >> 20} MiB`);
}

/** Written whole or not at all (util/atomic-file.ts). */
async function writeAtomically(path: string, text: string): Promise<void> {
  try {
    await writeAtomic(path, text);
  } catch (err) {
    throw new TrailproofError('input', `Cannot write state file ${path}: ${describeFsError(err)}`);
  }
}

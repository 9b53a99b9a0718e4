import { createHash } from 'node:crypto';
import { openToRead } from '../util/open-read.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TrailproofError } from '../errors.js';
import { INVENTORY_LIMITS, parseInventoryManifest, type InventoryFile, type InventoryManifest } from '../format/inventory.js';
import { parseS3Url } from '../format/s3-url.js';
import { errnoCode } from '../util/errno.js';
import { buildIndex, type DataFileSource, type FolderFilter } from './inventory-build.js';
import { InventoryStore } from './inventory-store.js';
import type { ObjectStore } from './types.js';

/**
 * `--inventory MANIFEST`: an S3 Inventory report of the audited bucket as the source of its keys.
 * MANIFEST is `s3://BUCKET/KEY` (the manifest and its data files, which live in the manifest's
 * destination bucket, are read through the run's store: S3, or a local root's folders) or a local
 * manifest.json, whose data files are read from the manifest's own folder by their file names (the
 * last part of each files[].key), as `aws s3 cp` of a report's files into one folder leaves them.
 */
export interface OpenedInventory {
  readonly store: InventoryStore;
  readonly manifest: InventoryManifest;
  /** sha256 of the manifest's bytes (the run's settings name the exact report). */
  readonly sha256: string;
}

export async function openInventory(
  location: string,
  store: ObjectStore,
  bucket: string,
  o: { readonly sha256?: string; readonly keep?: FolderFilter } = {},
): Promise<OpenedInventory> {
  const expectSha256 = o.sha256;
  const s3 = location.startsWith('s3://') ? parseS3Url(location) : undefined;
  if (location.startsWith('s3://') && !s3)
    throw new TrailproofError('argument', `Bad value for --inventory: ${location} (expected a file, or s3://BUCKET/KEY)`);
  const bytes = s3 ? await storeBytes(store, s3.bucket, s3.key) : await fileBytes(location);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (expectSha256 !== undefined && sha256 !== expectSha256) {
    throw new TrailproofError('input', `S3 Inventory: ${location} is not the manifest the run was started with (it changed)`);
  }
  const manifest = parseInventoryManifest(bytes);
  if (manifest.sourceBucket !== bucket)
    throw new TrailproofError('input', `S3 Inventory: ${location} is a report of bucket ${manifest.sourceBucket}, not ${bucket}`);
  const source: DataFileSource = s3
    ? async (f) => (await store.get(manifest.destinationBucket, f.key))?.body
    : async (f) => localDataFile(dirname(location), f);
  const index = await buildIndex(manifest, bucket, source, tmpdir(), o.keep);
  return { store: new InventoryStore(store, bucket, index), manifest, sha256 };
}

async function storeBytes(store: ObjectStore, bucket: string, key: string): Promise<Buffer> {
  const where = `s3://${bucket}/${key}`;
  if (store.getBytes) {
    const got = await store.getBytes(bucket, key, INVENTORY_LIMITS.manifestBytes);
    if (!got) throw new TrailproofError('input', `S3 Inventory: ${where} does not exist`);
    return got.bytes;
  }
  const obj = await store.get(bucket, key);
  if (!obj) throw new TrailproofError('input', `S3 Inventory: ${where} does not exist`);
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of obj.body) {
      size += chunk.length;
      if (size > INVENTORY_LIMITS.manifestBytes)
        throw new TrailproofError('input', `S3 Inventory: ${where} is larger than ${INVENTORY_LIMITS.manifestBytes} bytes`);
      parts.push(Buffer.from(chunk));
    }
  } finally {
    await obj.close();
  }
  return Buffer.concat(parts);
}

async function fileBytes(path: string): Promise<Buffer> {
  try {
    const fh = await openToRead(path);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new TrailproofError('input', `S3 Inventory: ${path} is not a file`);
      if (st.size > INVENTORY_LIMITS.manifestBytes)
        throw new TrailproofError('input', `S3 Inventory: ${path} is larger than ${INVENTORY_LIMITS.manifestBytes} bytes`);
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw new TrailproofError('input', `S3 Inventory: cannot read ${path} (${errnoCode(err) ?? (err as Error).message})`);
  }
}

async function localDataFile(folder: string, file: InventoryFile): Promise<AsyncIterable<Uint8Array> | undefined> {
  const name = file.key.slice(file.key.lastIndexOf('/') + 1);
  if (name === '' || name === '.' || name === '..') throw new TrailproofError('input', `S3 Inventory: files[].key ${file.key} names no file`);
  const path = join(folder, name);
  try {
    const fh = await openToRead(path);
    if (!(await fh.stat()).isFile()) {
      await fh.close();
      throw new TrailproofError('input', `S3 Inventory: ${path} is not a file`);
    }
    return fh.createReadStream({ autoClose: true }) as AsyncIterable<Buffer>;
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw new TrailproofError('input', `S3 Inventory: cannot read ${path} (${errnoCode(err) ?? (err as Error).message})`);
  }
}

import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TrailproofError } from '../errors.js';
import { byteCompare } from './names.js';
import { INVENTORY_LIMITS, parseCsvLine, rowReader, type InventoryFile, type InventoryManifest } from '../format/inventory.js';

/**
 * One streaming pass over an S3 Inventory report's data files, partitioning the keys of one bucket
 * into temporary files, one per folder (inventoryGroup), so that a listing later sorts one folder
 * in memory, never the archive. Each data file is streamed (gunzip, split into bounded lines), its
 * MD5 and size checked against the manifest once it ends; what does not check stops the run.
 */
export const INVENTORY_BOUNDS = {
  /** Keys of one folder (AWSLogs/<account>/<CloudTrail|CloudTrail-Digest>/<region>/): sorted in memory when listed. */
  folderKeys: 5_000_000,
  /** Keys outside any such folder (kept in memory, sorted, for discovery's unexpected-object rule). */
  looseKeys: 1_000_000,
  /** Keys buffered before they are appended to their folder files. */
  bufferedBytes: 32 << 20,
  /**
   * Bytes of the loose keys (held in memory) and of one folder's file (read back as one string when
   * listed: V8's longest string is just under 512 MiB). Keys of 1 KiB compress to almost nothing,
   * so the counts alone would let a small report fill the memory.
   */
  looseBytes: 128 << 20,
  folderBytes: 480 << 20,
} as const;

export type ByteBounds = Partial<Pick<typeof INVENTORY_BOUNDS, 'looseBytes' | 'folderBytes'>>;

const fail = (what: string): never => {
  throw new TrailproofError('input', `S3 Inventory: ${what}`);
};

/**
 * The folder a key is listed with: the key up to the `AWSLogs/` at its start or after its first
 * `/AWSLogs/`, then three more `/`-ended segments (four when the first is an organization id
 * `o-...`). Defined as the shortest such prefix, no folder is a prefix of another: the folders'
 * keys, each folder sorted, concatenated in folder order, are in S3 order. undefined: a loose key.
 */
export function inventoryGroup(key: string): string | undefined {
  let at = 0;
  if (!key.startsWith('AWSLogs/')) {
    const i = key.indexOf('/AWSLogs/');
    if (i < 0) return undefined;
    at = i + 1;
  }
  let pos = at + 'AWSLogs/'.length;
  const segments = key.startsWith('o-', pos) ? 4 : 3;
  for (let s = 0; s < segments; s++) {
    const slash = key.indexOf('/', pos);
    if (slash < 0) return undefined;
    pos = slash + 1;
  }
  return key.slice(0, pos);
}

export interface GroupFile {
  readonly path: string;
  count: number;
  bytes: number;
}

export interface BuiltIndex {
  readonly dir: string;
  readonly groups: Map<string, GroupFile>;
  /** Sorted (S3 order). */
  readonly loose: string[];
  readonly keys: number;
  /** Which folders were kept (undefined: all, and the loose keys). */
  readonly keep?: FolderFilter | undefined;
}

export interface FolderFilter {
  folder(folder: string): boolean;
  /** Text every key of a kept folder holds (letters and `-`: the same encoded), to skip other rows undecoded. */
  readonly literal: string;
}

/** The digest folders (what a segment's or a chain's walk lists). */
export const DIGEST_FOLDERS: FolderFilter = { folder: (f) => f.split('/').at(-3) === 'CloudTrail-Digest', literal: 'CloudTrail-Digest' };

/** A data file's bytes (gzip, as stored), or undefined when it is not there. */
export type DataFileSource = (file: InventoryFile) => Promise<AsyncIterable<Uint8Array> | undefined>;

/**
 * `keep`: only the folders it takes are kept (a worker keeps the digest folders, the only ones its
 * walks list: a sixth of the keys); the loose keys are then dropped (no walk's key matcher takes a
 * key outside a folder), and listing anything else is refused (InventoryStore).
 */
export async function buildIndex(
  manifest: InventoryManifest,
  bucket: string,
  source: DataFileSource,
  tempRoot: string,
  keep?: FolderFilter,
  bounds: ByteBounds = {},
): Promise<BuiltIndex> {
  const dir = await mkdtemp(join(tempRoot, 'trailproof-inventory-'));
  try {
    return await partition(manifest, bucket, source, dir, keep, { ...INVENTORY_BOUNDS, ...bounds });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function partition(
  manifest: InventoryManifest,
  bucket: string,
  source: DataFileSource,
  dir: string,
  keep: FolderFilter | undefined,
  bounds: { readonly looseBytes: number; readonly folderBytes: number },
): Promise<BuiltIndex> {
  const groups = new Map<string, GroupFile>();
  const loose: string[] = [];
  let looseBytes = 0;
  const pending = new Map<string, string[]>();
  let buffered = 0;
  let keys = 0;
  const flush = async (): Promise<void> => {
    for (const [group, lines] of pending) await appendFile(groups.get(group)!.path, lines.join(''));
    pending.clear();
    buffered = 0;
  };
  const read = rowReader(manifest.columns, keep?.literal);
  for (const file of manifest.files) {
    const body = await source(file);
    if (!body) fail(`the data file ${file.key} is missing`);
    for await (const fields of rows(body!, file, manifest.columns.length)) {
      const row = read(fields);
      if (!row || row.bucket !== bucket) continue;
      keys++;
      const group = inventoryGroup(row.key);
      if (keep && (group === undefined || !keep.folder(group))) continue;
      if (group === undefined) {
        if (loose.push(row.key) > INVENTORY_BOUNDS.looseKeys) fail(`more than ${INVENTORY_BOUNDS.looseKeys} keys lie outside AWSLogs/ folders`);
        if ((looseBytes += row.key.length) > bounds.looseBytes) fail(`more than ${bounds.looseBytes >> 20} MiB of keys lie outside AWSLogs/ folders`);
        continue;
      }
      let g = groups.get(group);
      if (!g) groups.set(group, (g = { path: join(dir, `${groups.size}.keys`), count: 0, bytes: 0 }));
      if (++g.count > INVENTORY_BOUNDS.folderKeys) fail(`more than ${INVENTORY_BOUNDS.folderKeys} keys lie in ${group}`);
      const line = `${JSON.stringify(row.key)}\n`;
      // The file's length in UTF-16 units, as readFile gives it back (a bound on the string, and on memory).
      if ((g.bytes += line.length) > bounds.folderBytes) fail(`more than ${bounds.folderBytes >> 20} MiB of keys lie in ${group}`);
      let list = pending.get(group);
      if (!list) pending.set(group, (list = []));
      list.push(line);
      buffered += line.length;
      if (buffered > INVENTORY_BOUNDS.bufferedBytes) await flush();
    }
  }
  await flush();
  loose.sort(byteCompare);
  for (let i = 1; i < loose.length; i++) if (loose[i] === loose[i - 1]) listedTwice(loose[i]!);
  return { dir, groups, loose, keys, keep };
}

/** The CSV rows of one data file, streamed; its MD5 and size are checked when it ends. */
async function* rows(body: AsyncIterable<Uint8Array>, file: InventoryFile, columns: number): AsyncGenerator<string[]> {
  const md5 = createHash('md5');
  let size = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > file.size) fail(`the data file ${file.key} is larger than the manifest says`);
      md5.update(chunk);
      yield chunk;
    }
  }
  const gunzip = createGunzip();
  const raw = Readable.from(counted());
  raw.on('error', (err) => gunzip.destroy(err));
  raw.pipe(gunzip);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      let nl: number;
      while ((nl = data.indexOf(10)) >= 0) {
        yield parseCsvLine(decodeLine(decoder, data.subarray(0, nl), file), columns);
        data = data.subarray(nl + 1);
      }
      if (data.length > INVENTORY_LIMITS.lineBytes) fail(`a line of ${file.key} is longer than ${INVENTORY_LIMITS.lineBytes} bytes`);
      carry = Buffer.from(data);
    }
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    return fail(`the data file ${file.key} is not gzip (${(err as Error).message})`);
  } finally {
    raw.destroy();
  }
  if (carry.length > 0) yield parseCsvLine(decodeLine(decoder, carry, file), columns);
  if (size !== file.size) fail(`the data file ${file.key} is ${size} bytes, the manifest says ${file.size}`);
  if (md5.digest('hex') !== file.md5) fail(`the data file ${file.key} does not match its MD5checksum in the manifest`);
}

export function listedTwice(key: string): never {
  throw new TrailproofError('input', `S3 Inventory: the report lists ${JSON.stringify(key.slice(0, 200))} twice`);
}

function decodeLine(decoder: { decode(b: Uint8Array): string }, bytes: Uint8Array, file: InventoryFile): string {
  if (bytes.length > INVENTORY_LIMITS.lineBytes) fail(`a line of ${file.key} is longer than ${INVENTORY_LIMITS.lineBytes} bytes`);
  try {
    return decoder.decode(bytes);
  } catch {
    return fail(`a line of ${file.key} is not UTF-8`);
  }
}

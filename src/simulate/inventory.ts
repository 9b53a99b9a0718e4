import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { encodeInventoryKey, writeCsvLine, writeInventoryManifest, type InventoryFile } from '../format/inventory.js';
import type { ObjectStore } from '../store/types.js';

/**
 * An S3 Inventory report (CSV, gzip) of a bucket as S3 would write it (`simulate --inventory`): the
 * bucket listed once, its keys in data files of at most `rowsPerFile` rows (the memory held), each
 * handed to `write` with its name, then manifest.json naming them with their sizes and MD5s.
 */
export interface InventoryReportOptions {
  readonly bucket: string;
  /** The destination bucket the manifest names (arn:aws:s3:::NAME). */
  readonly destinationBucket: string;
  /** When the report was begun, ms since the epoch. */
  readonly creationTimestamp: number;
  readonly rowsPerFile?: number;
}

export const INVENTORY_COLUMNS = ['Bucket', 'Key'] as const;

/** Writes the data files then the manifest through `write(name, bytes)`; returns how many keys. */
export async function writeInventoryReport(
  store: Pick<ObjectStore, 'list'>,
  o: InventoryReportOptions,
  write: (name: string, bytes: Buffer) => Promise<void>,
): Promise<{ keys: number; files: number }> {
  const files: InventoryFile[] = [];
  const folder = `inventory/${o.bucket}/trailproof`;
  let rows: string[] = [];
  let keys = 0;
  const flush = async (): Promise<void> => {
    if (rows.length === 0 && files.length > 0) return;
    const name = `data-${String(files.length).padStart(5, '0')}.csv.gz`;
    const bytes = gzipSync(rows.join(''));
    await write(name, bytes);
    files.push({ key: `${folder}/data/${name}`, size: bytes.length, md5: createHash('md5').update(bytes).digest('hex') });
    rows = [];
  };
  for await (const key of store.list(o.bucket, { prefix: '' })) {
    rows.push(`${writeCsvLine([o.bucket, encodeInventoryKey(key)])}\n`);
    keys++;
    if (rows.length >= (o.rowsPerFile ?? 100_000)) await flush();
  }
  await flush();
  const manifest = writeInventoryManifest({
    sourceBucket: o.bucket,
    destinationBucket: o.destinationBucket,
    version: '2016-11-30',
    creationTimestamp: o.creationTimestamp,
    columns: INVENTORY_COLUMNS,
    files,
  });
  await write('manifest.json', manifest);
  return { keys, files: files.length };
}

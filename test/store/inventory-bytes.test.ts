import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeInventoryKey, writeCsvLine, type InventoryManifest } from '../../src/format/inventory.js';
import { buildIndex, type DataFileSource } from '../../src/store/inventory-build.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Red team: the report's keys are bounded in number (1 million loose keys, 5 million a folder) but
 * not in bytes. Keys of up to 1,024 bytes compress to almost nothing: a small hostile report makes
 * the coordinator hold a gigabyte of loose keys in memory (1M x 1 KiB), or write a folder file too
 * large to be read back as one string (an "internal error (a bug)" instead of a one-line refusal).
 * Memory must stay flat: keys are refused by their size too.
 */
const BUCKET = 'trail-bucket';

function report(rows: string[]): { manifest: InventoryManifest; source: DataFileSource } {
  const bytes = gzipSync(rows.join(''), { level: 1 });
  const manifest: InventoryManifest = {
    sourceBucket: BUCKET,
    destinationBucket: 'inv-bucket',
    version: '2016-11-30',
    creationTimestamp: 1714521600000,
    columns: ['Bucket', 'Key'],
    files: [{ key: 'inv/0.csv.gz', size: bytes.length, md5: createHash('md5').update(bytes).digest('hex') }],
  };
  return {
    manifest,
    source: async () =>
      (async function* () {
        yield bytes;
      })(),
  };
}

const row = (key: string) => `${writeCsvLine([BUCKET, encodeInventoryKey(key)])}\n`;

describe('S3 Inventory: keys bounded in bytes, not only in number', () => {
  it('refuses a report whose keys outside AWSLogs/ folders exceed the byte bound', async () => {
    const pad = 'x'.repeat(1000);
    const rows = Array.from({ length: 10_000 }, (_, i) => row(`junk/${i}-${pad}`));
    const { manifest, source } = report(rows);
    const dir = tempDir();
    try {
      await expect(buildIndex(manifest, BUCKET, source, dir.path, undefined, { looseBytes: 4 << 20 })).rejects.toThrow(
        /^S3 Inventory: more than 4 MiB of keys lie outside AWSLogs\/ folders$/,
      );
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('refuses a folder whose keys exceed the byte bound before writing them all', async () => {
    const pad = 'y'.repeat(900);
    const rows = Array.from({ length: 10_000 }, (_, i) => row(`AWSLogs/111122223333/CloudTrail/us-east-1/${i}-${pad}`));
    const { manifest, source } = report(rows);
    const dir = tempDir();
    try {
      await expect(buildIndex(manifest, BUCKET, source, dir.path, undefined, { folderBytes: 4 << 20 })).rejects.toThrow(
        /^S3 Inventory: more than 4 MiB of keys lie in AWSLogs\/111122223333\/CloudTrail\/us-east-1\/$/,
      );
    } finally {
      dir.cleanup();
    }
  }, 60_000);
});

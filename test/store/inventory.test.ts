import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeInventoryKey, writeCsvLine, type InventoryManifest } from '../../src/format/inventory.js';
import { buildIndex, inventoryGroup, DIGEST_FOLDERS, type DataFileSource } from '../../src/store/inventory-build.js';
import { InventoryStore } from '../../src/store/inventory-store.js';
import { LocalStore } from '../../src/store/local.js';
import { byteCompare } from '../../src/store/names.js';
import { tempDir } from '../helpers/cli.js';

/**
 * The inventory's listings keep the ObjectStore contract (keys of the prefix, after startAfter, in
 * UTF-8 byte order) whatever the keys, however they fall into folders; a report whose data files do
 * not check (MD5, size, gzip, lines, duplicates, missing) is refused, and its temporary files go.
 */
const BUCKET = 'trail-bucket';

function report(files: Array<{ rows: string[]; bytes?: Buffer; md5?: string; size?: number; missing?: boolean }>) {
  const data = new Map<string, Buffer | undefined>();
  const manifest: InventoryManifest = {
    sourceBucket: BUCKET,
    destinationBucket: 'inv-bucket',
    version: '2016-11-30',
    creationTimestamp: 1714521600000,
    columns: ['Bucket', 'Key'],
    files: files.map((f, i) => {
      const bytes = f.bytes ?? gzipSync(f.rows.join(''));
      const key = `inv/${i}.csv.gz`;
      data.set(key, f.missing ? undefined : bytes);
      return { key, size: f.size ?? bytes.length, md5: f.md5 ?? createHash('md5').update(bytes).digest('hex') };
    }),
  };
  const source: DataFileSource = async (f) => {
    const b = data.get(f.key);
    if (!b) return undefined;
    return (async function* () {
      // Small chunks: lines cross chunk boundaries.
      for (let i = 0; i < b.length; i += 7) yield b.subarray(i, i + 7);
    })();
  };
  return { manifest, source };
}

const row = (key: string, bucket = BUCKET) => `${writeCsvLine([bucket, encodeInventoryKey(key)])}\n`;

async function withStore<T>(keys: readonly string[], use: (s: InventoryStore) => Promise<T>, extraRows: string[] = []): Promise<T> {
  const dir = tempDir();
  try {
    const { manifest, source } = report([{ rows: [...keys.slice(0, 3).map((k) => row(k)), ...extraRows] }, { rows: keys.slice(3).map((k) => row(k)) }]);
    const index = await buildIndex(manifest, BUCKET, source, dir.path);
    const store = new InventoryStore(new LocalStore(dir.path), BUCKET, index);
    try {
      return await use(store);
    } finally {
      await store.close();
      expect(existsSync(index.dir)).toBe(false);
    }
  } finally {
    dir.cleanup();
  }
}

async function all(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

const segment = fc.constantFrom(
  'AWSLogs',
  'o-abc',
  '123456789012',
  'CloudTrail',
  'CloudTrail-Digest',
  'us-east-1',
  '2024',
  'x',
  'é',
  '\uE000',
  '😀',
  'a b',
  '',
);
const key = fc
  .array(segment, { minLength: 1, maxLength: 8 })
  .map((s) => s.join('/'))
  .filter((k) => k.length > 0);

describe('InventoryStore listings', () => {
  it('are the sorted, filtered keys of the report (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(key, { maxLength: 40 }), fc.option(key), fc.option(key), fc.nat(12), async (keys, p, after, cut) => {
        await withStore(keys, async (store) => {
          const prefix = (p ?? '').slice(0, cut);
          const expected = [...keys].sort(byteCompare).filter((k) => k.startsWith(prefix) && (after === null || byteCompare(k, after) > 0));
          expect(await all(store.list(BUCKET, { prefix, startAfter: after ?? undefined }))).toEqual(expected);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('folders are the AWSLogs/<account>/<kind>/<region>/ level (with an organization id, one more)', () => {
    expect(inventoryGroup('AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/f.json.gz')).toBe('AWSLogs/123456789012/CloudTrail/us-east-1/');
    expect(inventoryGroup('p/q/AWSLogs/o-abc/123456789012/CloudTrail-Digest/eu-west-1/2024/x')).toBe(
      'p/q/AWSLogs/o-abc/123456789012/CloudTrail-Digest/eu-west-1/',
    );
    expect(inventoryGroup('AWSLogs/123456789012/CloudTrail/')).toBeUndefined();
    expect(inventoryGroup('other/key')).toBeUndefined();
  });

  it("rows of other buckets are ignored; other buckets' listings go to the real store", async () => {
    await withStore(
      ['AWSLogs/1/CloudTrail/r/a'],
      async (store) => {
        expect(await all(store.list(BUCKET, { prefix: '' }))).toEqual(['AWSLogs/1/CloudTrail/r/a']);
        await expect(all(store.list('no-such-bucket', { prefix: '' }))).rejects.toThrow(/NoSuchBucket/);
      },
      [row('AWSLogs/1/CloudTrail/r/b', 'another-bucket')],
    );
  });
});

describe('refused reports (the run stops)', () => {
  const rows = [row('AWSLogs/1/CloudTrail/r/a'), row('AWSLogs/1/CloudTrail/r/b')];
  const cases: Array<[string, Parameters<typeof report>[0], RegExp]> = [
    ['an MD5 mismatch', [{ rows, md5: '0'.repeat(32) }], /does not match its MD5checksum/],
    ['a size mismatch (smaller)', [{ rows, size: 1 << 20 }], /the manifest says/],
    ['a size mismatch (larger)', [{ rows, size: 5 }], /larger than the manifest says/],
    ['a missing data file', [{ rows, missing: true }], /is missing/],
    ['a data file that is not gzip', [{ rows, bytes: Buffer.from('"trail-bucket","k"\n') }], /is not gzip/],
    ['a truncated gzip', [{ rows, bytes: gzipSync(rows.join('')).subarray(0, 20) }], /is not gzip/],
    ['a bad CSV row', [{ rows: ['"trail-bucket",k\n'] }], /not quoted/],
    ['a line over the bound', [{ rows: [`"${'a'.repeat(300 << 10)}"\n`] }], /longer than/],
    ['a key listed twice', [{ rows: [rows[0]!, rows[0]!] }], /twice/],
    ['a loose key listed twice', [{ rows: [row('k'), row('k')] }], /twice/],
  ];
  it.each(cases)('%s', async (_, files, message) => {
    const dir = tempDir();
    try {
      const { manifest, source } = report(files);
      await expect(
        (async () => {
          const store = new InventoryStore(new LocalStore(dir.path), BUCKET, await buildIndex(manifest, BUCKET, source, dir.path));
          try {
            await all(store.list(BUCKET, { prefix: '' }));
          } finally {
            await store.close();
          }
        })(),
      ).rejects.toThrow(message);
      // Nothing left behind.
      expect(readdirSync(dir.path)).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });
});

describe('a worker keeps only the digest folders', () => {
  it('lists them; a listing of anything else is refused, never empty', async () => {
    const dir = tempDir();
    try {
      const keys = ['AWSLogs/1/CloudTrail-Digest/r/2024/a', 'AWSLogs/1/CloudTrail/r/2024/b', 'loose'];
      const { manifest, source } = report([{ rows: keys.map((k) => row(k)) }]);
      const index = await buildIndex(manifest, BUCKET, source, dir.path, DIGEST_FOLDERS);
      const store = new InventoryStore(new LocalStore(dir.path), BUCKET, index);
      try {
        expect(await all(store.list(BUCKET, { prefix: 'AWSLogs/1/CloudTrail-Digest/r/' }))).toEqual([keys[0]]);
        // A walk's prefix: the folder without its last slash.
        expect(await all(store.list(BUCKET, { prefix: 'AWSLogs/1/CloudTrail-Digest/r' }))).toEqual([keys[0]]);
        expect(() => store.list(BUCKET, { prefix: 'AWSLogs/1/CloudTrail/r/' })).toThrow(/kept only digest folders/);
        expect(() => store.list(BUCKET, { prefix: '' })).toThrow(/kept only digest folders/);
      } finally {
        await store.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeInventoryKey,
  encodeInventoryKey,
  parseCsvLine,
  parseInventoryManifest,
  rowReader,
  writeCsvLine,
  writeInventoryManifest,
  type InventoryManifest,
} from '../../src/format/inventory.js';

/**
 * S3 Inventory's manifest and CSV rows: round trips (parse(write(x)) == x) and the refusals of
 * malformed input. The writer is the one `simulate --inventory` uses; the shapes are the AWS S3
 * User Guide's ("Inventory manifest": creationTimestamp a string of ms, destinationBucket an ARN,
 * fileSchema a comma-separated column list; CSV: every field quoted, Key URL-encoded).
 */
const anyKey = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 });
const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]$/).filter((b) => !b.includes('..'));
const column = fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,12}$/);
const manifest: fc.Arbitrary<InventoryManifest> = fc.record({
  sourceBucket: bucket,
  destinationBucket: bucket,
  version: fc.constant('2016-11-30'),
  creationTimestamp: fc.integer({ min: 1, max: 4_102_444_800_000 }),
  columns: fc.uniqueArray(column, { maxLength: 6 }).map((extra) => [...new Set(['Bucket', 'Key', ...extra])]),
  files: fc.uniqueArray(fc.record({ key: fc.stringMatching(/^[a-z0-9/._-]{1,40}$/), size: fc.nat(), md5: fc.stringMatching(/^[0-9a-f]{32}$/) }), {
    minLength: 1,
    maxLength: 5,
    selector: (f) => f.key,
  }),
});

describe('round trips', () => {
  it('CSV lines: parse(write(fields)) == fields', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => !s.includes('\n')),
          { minLength: 1, maxLength: 8 },
        ),
        (fields) => {
          expect(parseCsvLine(writeCsvLine(fields), fields.length)).toEqual(fields);
        },
      ),
    );
  });

  it('keys: decode(encode(key)) == key, and the encoding uses only what S3 writes', () => {
    fc.assert(
      fc.property(anyKey, (key) => {
        const e = encodeInventoryKey(key);
        expect(e).toMatch(/^(?:[A-Za-z0-9.\-*_+]|%[0-9A-F]{2})*$/);
        expect(decodeInventoryKey(e)).toBe(key);
      }),
    );
    expect(encodeInventoryKey('AWSLogs/1 2+ü')).toBe('AWSLogs%2F1+2%2B%C3%BC');
  });

  it('manifest: parse(write(m)) == m', () => {
    fc.assert(
      fc.property(manifest, (m) => {
        expect(parseInventoryManifest(writeInventoryManifest(m))).toEqual(m);
      }),
    );
  });
});

describe('refusals', () => {
  const good = (): Record<string, unknown> => ({
    sourceBucket: 'trail-bucket',
    destinationBucket: 'arn:aws:s3:::inventory-bucket',
    version: '2016-11-30',
    creationTimestamp: '1714521600000',
    fileFormat: 'CSV',
    fileSchema: 'Bucket, Key, Size',
    files: [{ key: 'inv/trail-bucket/cfg/data/a.csv.gz', size: 10, MD5checksum: '0123456789abcdef0123456789abcdef' }],
  });
  const parse = (o: unknown) => parseInventoryManifest(Buffer.from(JSON.stringify(o)));

  it('a well-formed manifest parses', () => {
    expect(parse(good()).destinationBucket).toBe('inventory-bucket');
  });

  const cases: Array<[string, (m: Record<string, unknown>) => unknown, RegExp]> = [
    ['not JSON', () => '{', /not a JSON object|not UTF-8 JSON/],
    ['ORC format', (m) => ({ ...m, fileFormat: 'ORC' }), /only CSV/],
    ['Parquet format', (m) => ({ ...m, fileFormat: 'Parquet' }), /only CSV/],
    ['destination not an ARN', (m) => ({ ...m, destinationBucket: 'inventory-bucket' }), /ARN/],
    ['timestamp as a number', (m) => ({ ...m, creationTimestamp: 1714521600000 }), /creationTimestamp/],
    ['timestamp not ms', (m) => ({ ...m, creationTimestamp: '2024-05-01' }), /creationTimestamp/],
    ['no Key column', (m) => ({ ...m, fileSchema: 'Bucket, Size' }), /no Key column/],
    ['a column twice', (m) => ({ ...m, fileSchema: 'Bucket, Key, Key' }), /twice/],
    ['no files', (m) => ({ ...m, files: [] }), /no files/],
    ['a bad MD5', (m) => ({ ...m, files: [{ key: 'a', size: 1, MD5checksum: 'xyz' }] }), /MD5/],
    ['a negative size', (m) => ({ ...m, files: [{ key: 'a', size: -1, MD5checksum: '0123456789abcdef0123456789abcdef' }] }), /size/],
    ['an unknown file field', (m) => ({ ...m, files: [{ key: 'a', size: 1, MD5checksum: '0123456789abcdef0123456789abcdef', x: 1 }] }), /unknown field/],
    ['a file twice', (m) => ({ ...m, files: [...(m.files as unknown[]), ...(m.files as unknown[])] }), /twice/],
    ['a bad source bucket', (m) => ({ ...m, sourceBucket: 'Bad_Bucket' }), /sourceBucket/],
  ];
  it.each(cases)('manifest: %s', (_, change, message) => {
    const m = change(good());
    expect(() => (typeof m === 'string' ? parseInventoryManifest(Buffer.from(m)) : parse(m))).toThrow(message);
  });

  it('manifest: larger than the bound', () => {
    expect(() => parseInventoryManifest(Buffer.alloc((16 << 20) + 1, 32))).toThrow(/larger than/);
  });

  it.each([
    ['unquoted field', 'a,"b"'],
    ['text after a field', '"a"x,"b"'],
    ['unclosed quote', '"a,"b'],
    ['too few fields', '"a"'],
    ['too many fields', '"a","b","c"'],
    ['a trailing comma', '"a","b",'],
    ['a carriage return', '"a","b"\r'],
  ])('CSV: %s', (_, line) => {
    expect(() => parseCsvLine(line, 2)).toThrow(/S3 Inventory: /);
  });

  it.each([
    ['a slash as is', 'a/b'],
    ['a bad escape', '%G0'],
    ['a cut escape', '%4'],
    ['not UTF-8', '%FF'],
    ['a space', 'a b'],
    ['lowercase hex', 'a%2fb'],
    ['an escaped letter', '%43loudTrail'],
    ['an escaped digit', '%31'],
    ['an escaped hyphen', '%2D'],
    ['an escaped underscore', '%5F'],
    ['a space as %20', 'a%20b'],
  ])('Key: %s', (_, text) => {
    expect(() => decodeInventoryKey(text)).toThrow(/S3 Inventory: /);
  });

  it('rows: delete markers and non-current versions are not listed; flags are strict', () => {
    const read = rowReader(['Bucket', 'Key', 'VersionId', 'IsLatest', 'IsDeleteMarker']);
    expect(read(['b', 'k%2F1', 'v', 'true', 'false'])).toEqual({ bucket: 'b', key: 'k/1' });
    expect(read(['b', 'k', 'v', 'false', 'false'])).toBeUndefined();
    expect(read(['b', 'k', 'v', 'true', 'true'])).toBeUndefined();
    expect(() => read(['b', 'k', 'v', 'TRUE', 'false'])).toThrow(/true or false/);
    expect(() => read(['b', '', 'v', 'true', 'false'])).toThrow(/empty/);
  });
});

import { TrailproofError } from '../errors.js';

/**
 * S3 Inventory reports, CSV format (pure): the manifest.json and the rows of its gzip CSV data
 * files (AWS S3 User Guide, "Amazon S3 Inventory": "Inventory manifest", "Inventory list"). Every
 * byte is attacker-controlled (whoever can write to the destination bucket writes them): the parser
 * is strict (exact field types, known columns, every CSV field quoted, keys URL-encoded as S3
 * writes them) and bounded (manifest size, number of files, line length).
 */
export interface InventoryFile {
  readonly key: string;
  readonly size: number;
  /** Lowercase hex MD5 of the gzip data file's bytes. */
  readonly md5: string;
}

export interface InventoryManifest {
  readonly sourceBucket: string;
  /** The destination bucket's name (the manifest gives its ARN, arn:aws:s3:::NAME). */
  readonly destinationBucket: string;
  readonly version: string;
  /** When S3 began scanning the bucket, ms since the epoch: objects delivered later are not in it. */
  readonly creationTimestamp: number;
  readonly columns: readonly string[];
  readonly files: readonly InventoryFile[];
}

export const INVENTORY_LIMITS = {
  /** manifest.json: a billion keys is a few thousand data files. */
  manifestBytes: 16 << 20,
  files: 100_000,
  /** One CSV line (a 1,024-byte key URL-encoded is at most 3 KB; ACL and tag columns are longer). */
  lineBytes: 256 << 10,
  columns: 64,
} as const;

const fail = (what: string): never => {
  throw new TrailproofError('input', `S3 Inventory: ${what}`);
};

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const COLUMN = /^[A-Za-z][A-Za-z0-9.]{0,63}$/;
const FILE_KEY = /^[^\u0000-\u001f\u007f]{1,1024}$/;

/** manifest.json, parsed from its exact bytes. */
export function parseInventoryManifest(bytes: Uint8Array): InventoryManifest {
  if (bytes.length > INVENTORY_LIMITS.manifestBytes) fail(`the manifest is larger than ${INVENTORY_LIMITS.manifestBytes} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return fail('the manifest is not UTF-8 JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return fail('the manifest is not a JSON object');
  const o = doc as Record<string, unknown>;
  const text = (name: string): string => {
    const v = o[name];
    if (typeof v !== 'string') return fail(`the manifest's ${name} is missing or not a string`);
    return v;
  };
  const sourceBucket = text('sourceBucket');
  if (!BUCKET.test(sourceBucket)) fail('the manifest names no valid sourceBucket');
  const arn = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/.exec(text('destinationBucket'));
  if (!arn) fail("the manifest's destinationBucket is not an S3 bucket ARN");
  const version = text('version');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(version)) fail("the manifest's version is not a date");
  const created = text('creationTimestamp');
  if (!/^[1-9]\d{0,14}$/.test(created)) fail("the manifest's creationTimestamp is not milliseconds since the epoch");
  if (text('fileFormat') !== 'CSV') fail(`the fileFormat is ${JSON.stringify(o.fileFormat)}: only CSV reports are read`);
  const columns = text('fileSchema')
    .split(',')
    .map((c) => c.trim());
  if (columns.length > INVENTORY_LIMITS.columns || columns.some((c) => !COLUMN.test(c))) fail("the manifest's fileSchema is malformed");
  if (new Set(columns).size !== columns.length) fail('the fileSchema names a column twice');
  for (const need of ['Bucket', 'Key']) if (!columns.includes(need)) fail(`the fileSchema has no ${need} column`);
  if (!Array.isArray(o.files) || o.files.length === 0) return fail('the manifest lists no files');
  if (o.files.length > INVENTORY_LIMITS.files) fail(`the manifest lists more than ${INVENTORY_LIMITS.files} files`);
  const files = o.files.map((f: unknown, i): InventoryFile => {
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return fail(`files[${i}] is not an object`);
    const r = f as Record<string, unknown>;
    const extra = Object.keys(r).find((k) => !['key', 'size', 'MD5checksum'].includes(k));
    if (extra !== undefined) fail(`files[${i}] has an unknown field ${JSON.stringify(extra.slice(0, 40))}`);
    if (typeof r.key !== 'string' || !FILE_KEY.test(r.key)) fail(`files[${i}].key is malformed`);
    if (typeof r.size !== 'number' || !Number.isSafeInteger(r.size) || r.size < 0) fail(`files[${i}].size is not a byte count`);
    if (typeof r.MD5checksum !== 'string' || !/^[0-9a-fA-F]{32}$/.test(r.MD5checksum)) fail(`files[${i}].MD5checksum is not an MD5`);
    return { key: r.key as string, size: r.size as number, md5: (r.MD5checksum as string).toLowerCase() };
  });
  if (new Set(files.map((f) => f.key)).size !== files.length) fail('the manifest lists a file twice');
  return { sourceBucket, destinationBucket: arn![1]!, version, creationTimestamp: Number(created), columns, files };
}

/** manifest.json as S3 writes it (simulate; the tests' round trip). */
export function writeInventoryManifest(m: InventoryManifest): Buffer {
  const doc = {
    sourceBucket: m.sourceBucket,
    destinationBucket: `arn:aws:s3:::${m.destinationBucket}`,
    version: m.version,
    creationTimestamp: String(m.creationTimestamp),
    fileFormat: 'CSV',
    fileSchema: m.columns.join(', '),
    files: m.files.map((f) => ({ key: f.key, size: f.size, MD5checksum: f.md5 })),
  };
  return Buffer.from(`${JSON.stringify(doc, null, 2)}\n`, 'utf8');
}

/** One CSV line (without its newline) into exactly `count` fields, each quoted, `""` for a quote. */
export function parseCsvLine(line: string, count: number): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) !== 34) fail('a CSV field is not quoted');
    let field = '';
    let from = ++i;
    for (;;) {
      const q = line.indexOf('"', i);
      if (q < 0) fail('a CSV field is not closed');
      if (line.charCodeAt(q + 1) === 34) {
        field += line.slice(from, q + 1);
        i = from = q + 2;
        continue;
      }
      field += line.slice(from, q);
      i = q + 1;
      break;
    }
    out.push(field);
    if (out.length > count) fail(`a CSV row has more than ${count} fields`);
    if (i === line.length) break;
    if (line.charCodeAt(i) !== 44) fail('a CSV row has text after a quoted field');
    i++;
  }
  if (out.length !== count) fail(`a CSV row has ${out.length} fields, not ${count}`);
  return out;
}

export function writeCsvLine(fields: readonly string[]): string {
  return fields.map((f) => `"${f.replaceAll('"', '""')}"`).join(',');
}

/**
 * The Key column: URL-encoded as S3 Inventory writes it (Java's URLEncoder, UTF-8: letters,
 * digits and `.-*_` as they are, a space as `+`, every other byte `%XX`, uppercase). Strict: any
 * other character, a bad or needless escape, or bytes that are not UTF-8 are refused.
 */
const NEEDLESS_ESCAPE = /%(?:3[0-9]|4[1-9A-F]|5[0-9AF]|6[1-9A-F]|7[0-9A]|2[0ADE])/;

export function decodeInventoryKey(text: string): string {
  if (!/^(?:[A-Za-z0-9.\-*_+]|%[0-9A-F]{2})*$/.test(text)) fail('a Key is not URL-encoded');
  // One encoding per key (what S3 writes): no escape of a character written as itself, no %20.
  // It makes a literal search in the encoded key exact (inventory-build.ts' worker filter).
  if (NEEDLESS_ESCAPE.test(text)) fail('a Key escapes a character S3 writes as itself');
  try {
    // decodeURIComponent refuses escapes that are not UTF-8 (URIError), as a fatal decoder does.
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return fail('a Key is not UTF-8 once decoded');
  }
}

export function encodeInventoryKey(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9.\-*_]/.test(ch) ? ch : b === 32 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** What a data row says, for listing: the key of the current version of an object of `bucket`, or undefined. */
export interface RowReader {
  (fields: readonly string[]): { readonly bucket: string; readonly key: string } | undefined;
}

/**
 * Reads rows of `columns`: delete markers and non-current versions are not listed by LIST, so not
 * here either. `keyContains`: rows whose encoded Key lacks this text (letters and `-` only, which
 * the one encoding writes as themselves) are skipped before they are decoded.
 */
export function rowReader(columns: readonly string[], keyContains?: string): RowReader {
  const at = (name: string): number => columns.indexOf(name);
  const [bucket, key, latest, marker] = [at('Bucket'), at('Key'), at('IsLatest'), at('IsDeleteMarker')];
  const flag = (v: string | undefined): boolean =>
    v === 'true' ? true : v === 'false' ? false : fail('an IsLatest/IsDeleteMarker field is not true or false');
  return (fields) => {
    if (latest >= 0 && !flag(fields[latest])) return undefined;
    if (marker >= 0 && flag(fields[marker])) return undefined;
    if (keyContains !== undefined && !fields[key]!.includes(keyContains)) return undefined;
    const k = decodeInventoryKey(fields[key]!);
    if (k.length === 0 || Buffer.byteLength(k) > 1024) fail('a Key is empty or longer than 1024 bytes');
    return { bucket: fields[bucket]!, key: k };
  };
}

import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCli, tempDir, type CliResult } from './cli.js';
import { runInProcess } from './in-process.js';

/**
 * An independent, deliberately small CloudTrail signer for tests. It imports nothing from src/
 * (only `run` calls the CLI's dispatcher, through test/helpers/in-process.ts): a bug shared by the
 * verifier and this builder would otherwise hide itself. Layout (behaviour §7):
 *
 *   DIR/root/<bucket>/<key>                  gzip objects (logs and digests)
 *   DIR/root/<bucket>/<key>.metadata.json    {"signature": hex, "signature-algorithm": "SHA256withRSA"}
 *   DIR/keys.json                            {"PublicKeyList": [...]} as list-public-keys prints it
 *
 * Digest JSON: same fields in the same order as the reference vectors (test/vectors/clean).
 */

export interface TestKey {
  readonly privateKey: KeyObject;
  /** DER PKCS#1 RSAPublicKey. */
  readonly der: Buffer;
  /** Lowercase hex MD5 of `der`. */
  readonly fingerprint: string;
  /** The modulus, for python-rsa's OverflowError text. */
  readonly n: bigint;
}

/** One RSA-2048 key. Slow (tens of ms to seconds): make one per test file. */
export function createTestKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  const jwk = publicKey.export({ format: 'jwk' });
  const n = BigInt(`0x${Buffer.from(jwk.n!, 'base64url').toString('hex')}`);
  return { privateKey, der, fingerprint: md5Hex(der), n };
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RSASSA-PKCS1-v1_5 / SHA-256, lowercase hex. */
export function signHex(key: TestKey, text: string | Uint8Array): string {
  return sign('sha256', typeof text === 'string' ? Buffer.from(text, 'utf8') : text, key.privateKey).toString('hex');
}

/** Guide "Contents of the Data Signing String"; a null previous signature is the text `null`. */
export function signingString(endTime: string, bucket: string, key: string, uncompressed: Uint8Array, previousSignature: string | null): string {
  return `${endTime}\n${bucket}/${key}\n${sha256Hex(uncompressed)}\n${previousSignature ?? 'null'}`;
}

/** `YYYY-MM-DDTHH:MM:SSZ` from epoch milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYYMMDDTHHMMSSZ` from epoch milliseconds. */
export function stamp(ms: number): string {
  return iso(ms).replace(/[-:]/g, '');
}

function ymd(ms: number): string {
  return iso(ms).slice(0, 10).replace(/-/g, '/');
}

export interface KeyWindow {
  readonly key: TestKey;
  readonly from: number; // epoch ms
  readonly to: number;
}

/** The JSON `aws cloudtrail list-public-keys` prints (v2 shape, ISO times with +00:00). */
export function keysJson(windows: readonly KeyWindow[]): string {
  const isoOffset = (ms: number): string => `${iso(ms).slice(0, 19)}+00:00`;
  return `${JSON.stringify(
    {
      PublicKeyList: windows.map((w) => ({
        Value: w.key.der.toString('base64'),
        ValidityStartTime: isoOffset(w.from),
        ValidityEndTime: isoOffset(w.to),
        Fingerprint: w.key.fingerprint,
      })),
    },
    null,
    4,
  )}\n`;
}

export interface LogFile {
  readonly bucket: string;
  readonly key: string;
  /** Uncompressed bytes. */
  readonly content: Buffer;
  readonly gz: Buffer;
  readonly sha256: string;
}

export interface DigestFile {
  readonly bucket: string;
  readonly key: string;
  readonly backfill: boolean;
  readonly startTime: string;
  readonly endTime: string;
  /** Uncompressed digest bytes exactly as stored, and their gzip. */
  readonly raw: Buffer;
  readonly gz: Buffer;
  readonly signature: string;
  readonly logs: readonly LogFile[];
}

export interface BuildOptions {
  readonly key: TestKey;
  /** Standard hourly digests (default 3). */
  readonly hours?: number;
  /** Logs per digest (default 2). */
  readonly logsPerHour?: number;
  /** A second chain of backfill digests covering the first N hours, with logs of their own (default 0). */
  readonly backfillHours?: number;
  /** The first digest's start, ISO (default 2024-02-28T21:05:19Z, crossing into a leap day). */
  readonly start?: string;
  readonly account?: string;
  readonly region?: string;
  readonly trailName?: string;
  readonly bucket?: string;
  /** S3 key prefix, without trailing slash. */
  readonly prefix?: string;
}

export interface Trail {
  /** The temp dir holding root/ and keys.json (removed by cleanup). */
  readonly dir: string;
  readonly root: string;
  readonly keysFile: string;
  readonly bucket: string;
  readonly account: string;
  readonly region: string;
  readonly trailName: string;
  readonly prefix: string | undefined;
  readonly arn: string;
  /** The requested window: first digest's start to last digest's end, ISO. */
  readonly start: string;
  readonly end: string;
  readonly key: TestKey;
  /** Standard digests, oldest first. */
  readonly digests: readonly DigestFile[];
  /** Backfill digests, oldest first. */
  readonly backfills: readonly DigestFile[];
  /** Every log, in digest order. */
  readonly logs: readonly LogFile[];
  /** The file of object `s3://bucket/key`. */
  path(key: string, bucket?: string): string;
  sidecarPath(key: string, bucket?: string): string;
  read(key: string, bucket?: string): Buffer;
  write(key: string, bytes: Uint8Array, bucket?: string): void;
  /** XORs one byte of an object (default mask 0xff). */
  flipByte(key: string, offset: number, mask?: number): void;
  /** Replaces the metadata sidecar (null: removes it). */
  setMetadata(key: string, metadata: Record<string, unknown> | null, bucket?: string): void;
  /** Sets the `signature` of a digest's sidecar, keeping the other fields. */
  setSignature(key: string, hex: string): void;
  /** Changes one hex digit of a digest's signature (to another value, not just another case). */
  tamperSignature(key: string, at: number): void;
  deleteObject(key: string, bucket?: string): void;
  /** Moves an object and its sidecar to another key (same bucket). */
  moveObject(from: string, to: string): void;
  /**
   * Stores `body` (the uncompressed digest text) gzipped at `key`, signed over `signed` (default:
   * the signing string of a well-formed body) unless `metadata` is given explicitly.
   */
  writeDigest(key: string, body: string | Buffer, options?: { signed?: string; metadata?: Record<string, unknown> | null; gzip?: boolean }): void;
  /** The digest key the trail would use for a digest ending at `endMs`. */
  digestKeyFor(endMs: number, backfill?: boolean): string;
  logKeyFor(deliveredMs: number, unique: string): string;
  /** Restores an object (and sidecar) to the bytes it had when built. */
  restore(key: string): void;
  /** validate-logs arguments for this trail (plus `extra`). */
  args(extra?: readonly string[]): string[];
  /**
   * Runs validate-logs on the trail in-process (test/helpers/in-process.ts). `timeoutMs` (default
   * 30 s) bounds a run that hangs: the promise then rejects, failing the test instead of stalling it.
   */
  run(extra?: readonly string[], timeoutMs?: number): Promise<CliResult>;
  /**
   * Runs the built CLI (a process) on the trail: for what only a process has (the log worker
   * threads). A run that hangs is killed after `timeoutMs`: status null fails any exit-code assertion.
   */
  runSpawned(extra?: readonly string[], timeoutMs?: number): CliResult;
  cleanup(): void;
}

const HOUR = 3_600_000;

function logRecords(account: string, region: string, atMs: number, n: number, seed: string): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', accountId: account, userName: `user-${seed}-${i}` },
    eventTime: iso(atMs - (n - i) * 7_000),
    eventSource: 's3.amazonaws.com',
    eventName: i % 2 ? 'GetObject' : 'PutObject',
    awsRegion: region,
    sourceIPAddress: `198.51.100.${(i * 37) % 250}`,
    requestID: sha256Hex(`${seed}/${i}`).slice(0, 32),
    eventID: sha256Hex(`event/${seed}/${i}`).slice(0, 36),
    readOnly: i % 2 === 1,
  }));
  return Buffer.from(JSON.stringify({ Records: records }), 'utf8');
}

export function buildTrail(options: BuildOptions): Trail {
  const key = options.key;
  const hours = options.hours ?? 3;
  const logsPerHour = options.logsPerHour ?? 2;
  const backfillHours = options.backfillHours ?? 0;
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const trailName = options.trailName ?? 'test-trail';
  const bucket = options.bucket ?? 'test-trail-bucket';
  const prefix = options.prefix;
  const startMs = Date.parse(options.start ?? '2024-02-28T21:05:19Z');
  const endMs = startMs + hours * HOUR;

  const tmp = tempDir('trailproof-trail-');
  const root = join(tmp.path, 'root');
  const keysFile = join(tmp.path, 'keys.json');
  mkdirSync(join(root, bucket), { recursive: true });
  writeFileSync(keysFile, keysJson([{ key, from: startMs - 30 * 24 * HOUR, to: endMs + 30 * 24 * HOUR }]));

  const withPrefix = (k: string): string => (prefix ? `${prefix}/${k}` : k);
  const digestKeyFor = (ms: number, backfill = false): string =>
    withPrefix(
      `AWSLogs/${account}/CloudTrail-Digest/${region}/${ymd(ms)}/` +
        `${account}_CloudTrail-Digest_${region}_${trailName}_${region}_${stamp(ms)}${backfill ? '_backfill' : ''}.json.gz`,
    );
  const logKeyFor = (ms: number, unique: string): string =>
    withPrefix(`AWSLogs/${account}/CloudTrail/${region}/${ymd(ms)}/${account}_CloudTrail_${region}_${stamp(ms).slice(0, 13)}Z_${unique}.json.gz`);
  const path = (k: string, b = bucket): string => join(root, b, ...k.split('/'));
  const sidecarPath = (k: string, b = bucket): string => `${path(k, b)}.metadata.json`;
  const write = (k: string, bytes: Uint8Array, b = bucket): void => {
    mkdirSync(dirname(path(k, b)), { recursive: true });
    writeFileSync(path(k, b), bytes);
  };
  const setMetadata = (k: string, metadata: Record<string, unknown> | null, b = bucket): void => {
    if (metadata === null) rmSync(sidecarPath(k, b), { force: true });
    else {
      mkdirSync(dirname(path(k, b)), { recursive: true });
      writeFileSync(sidecarPath(k, b), `${JSON.stringify(metadata, null, 2)}\n`);
    }
  };

  const original = new Map<string, { bytes: Buffer; sidecar: string | null }>();
  const logs: LogFile[] = [];

  const makeChain = (count: number, backfill: boolean): DigestFile[] => {
    const chain: DigestFile[] = [];
    let previous: DigestFile | undefined;
    for (let h = 0; h < count; h++) {
      const from = startMs + h * HOUR;
      const to = from + HOUR;
      const hourLogs: LogFile[] = [];
      for (let i = 0; i < logsPerHour; i++) {
        const delivered = from + Math.floor(((i + 1) * HOUR) / (logsPerHour + 1));
        const seed = `${backfill ? 'b' : 's'}${h}-${i}`;
        const content = logRecords(account, region, delivered, 2 + ((h + i) % 3), seed);
        const gz = gzipSync(content);
        const lk = logKeyFor(delivered, sha256Hex(seed).slice(0, 16));
        write(lk, gz);
        original.set(lk, { bytes: gz, sidecar: null });
        const log: LogFile = { bucket, key: lk, content, gz, sha256: sha256Hex(content) };
        hourLogs.push(log);
        logs.push(log);
      }
      const dk = digestKeyFor(to, backfill);
      const body = {
        awsAccountId: account,
        digestStartTime: iso(from),
        digestEndTime: iso(to),
        digestS3Bucket: bucket,
        digestS3Object: dk,
        digestPublicKeyFingerprint: key.fingerprint,
        digestSignatureAlgorithm: 'SHA256withRSA',
        newestEventTime: iso(to - 60_000),
        oldestEventTime: iso(from + 60_000),
        previousDigestS3Bucket: previous ? bucket : null,
        previousDigestS3Object: previous ? previous.key : null,
        previousDigestHashValue: previous ? sha256Hex(previous.raw) : null,
        previousDigestHashAlgorithm: previous ? 'SHA-256' : null,
        previousDigestSignature: previous ? previous.signature : null,
        logFiles: hourLogs.map((l) => ({
          s3Bucket: l.bucket,
          s3Object: l.key,
          hashValue: l.sha256,
          hashAlgorithm: 'SHA-256',
          newestEventTime: iso(to - 120_000),
          oldestEventTime: iso(from + 120_000),
        })),
      };
      const raw = Buffer.from(JSON.stringify(body), 'utf8');
      const gz = gzipSync(raw);
      const signature = signHex(key, signingString(iso(to), bucket, dk, raw, previous?.signature ?? null));
      const metadata: Record<string, string> = backfill
        ? { 'backfill-generation-timestamp': iso(endMs + 24 * HOUR), signature, 'signature-algorithm': 'SHA256withRSA' }
        : { signature, 'signature-algorithm': 'SHA256withRSA' };
      write(dk, gz);
      setMetadata(dk, metadata);
      original.set(dk, { bytes: gz, sidecar: readFileSync(sidecarPath(dk), 'utf8') });
      const digest: DigestFile = { bucket, key: dk, backfill, startTime: iso(from), endTime: iso(to), raw, gz, signature, logs: hourLogs };
      chain.push(digest);
      previous = digest;
    }
    return chain;
  };

  const digests = makeChain(hours, false);
  const backfills = makeChain(backfillHours, true);
  const arn = `arn:aws:cloudtrail:${region}:${account}:trail/${trailName}`;
  const start = iso(startMs);
  const end = iso(endMs);

  const args = (extra: readonly string[] = []): string[] => [
    'validate-logs',
    '--trail-arn',
    arn,
    '--start-time',
    start,
    '--end-time',
    end,
    '--s3-bucket',
    bucket,
    ...(prefix ? ['--s3-prefix', prefix] : []),
    '--local-root',
    root,
    '--public-keys',
    keysFile,
    ...extra,
  ];

  const trail: Trail = {
    dir: tmp.path,
    root,
    keysFile,
    bucket,
    account,
    region,
    trailName,
    prefix,
    arn,
    start,
    end,
    key,
    digests,
    backfills,
    logs,
    path,
    sidecarPath,
    read: (k, b = bucket) => readFileSync(path(k, b)),
    write,
    flipByte: (k, offset, mask = 0xff) => {
      const bytes = readFileSync(path(k));
      if (offset < 0 || offset >= bytes.length) throw new RangeError(`offset ${offset} outside ${k} (${bytes.length} bytes)`);
      bytes[offset] = bytes[offset]! ^ mask;
      writeFileSync(path(k), bytes);
    },
    setMetadata,
    setSignature: (k, hex) => {
      const current = JSON.parse(readFileSync(sidecarPath(k), 'utf8')) as Record<string, unknown>;
      setMetadata(k, { ...current, signature: hex });
    },
    tamperSignature: (k, at) => {
      const current = JSON.parse(readFileSync(sidecarPath(k), 'utf8')) as Record<string, unknown>;
      const sig = String(current.signature);
      const i = at % sig.length;
      const digit = ((parseInt(sig[i]!, 16) + 1) % 16).toString(16);
      setMetadata(k, { ...current, signature: sig.slice(0, i) + digit + sig.slice(i + 1) });
    },
    deleteObject: (k, b = bucket) => {
      rmSync(path(k, b), { force: true });
      rmSync(sidecarPath(k, b), { force: true });
    },
    moveObject: (from, to) => {
      mkdirSync(dirname(path(to)), { recursive: true });
      renameSync(path(from), path(to));
      if (existsSync(sidecarPath(from))) renameSync(sidecarPath(from), sidecarPath(to));
    },
    writeDigest: (k, body, opts = {}) => {
      const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      write(k, opts.gzip === false ? raw : gzipSync(raw));
      if (opts.metadata !== undefined) {
        setMetadata(k, opts.metadata);
        return;
      }
      let signed = opts.signed;
      if (signed === undefined) {
        const parsed = JSON.parse(raw.toString('utf8')) as { digestEndTime: string; previousDigestSignature: string | null };
        signed = signingString(parsed.digestEndTime, bucket, k, raw, parsed.previousDigestSignature);
      }
      setMetadata(k, { signature: signHex(key, signed), 'signature-algorithm': 'SHA256withRSA' });
    },
    digestKeyFor,
    logKeyFor,
    restore: (k) => {
      const o = original.get(k);
      if (!o) throw new Error(`no original for ${k}`);
      write(k, o.bytes);
      if (o.sidecar === null) rmSync(sidecarPath(k), { force: true });
      else writeFileSync(sidecarPath(k), o.sidecar);
    },
    args,
    run: (extra = [], timeoutMs = 30_000) => runInProcess(args(extra), { timeoutMs }),
    runSpawned: (extra = [], timeoutMs = 30_000) => runCli(args(extra), { timeout: timeoutMs }),
    cleanup: tmp.cleanup,
  };
  return trail;
}

/** A stack frame as node prints them (`    at fn (file:line:col)`). */
export const STACK_FRAME = /^\s+at\s/m;

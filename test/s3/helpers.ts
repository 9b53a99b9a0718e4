import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SIDECAR_SUFFIX, parseSidecar } from '../../src/store/local.js';
import { BIN, ROOT, type CliResult } from '../helpers/cli.js';

/**
 * The real-S3 suites run only against a server named by TRAILPROOF_S3_ENDPOINT (.ci/run starts Ceph
 * RGW and sets it, with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION). They start nothing.
 */
export const S3_ENDPOINT = process.env.TRAILPROOF_S3_ENDPOINT || undefined;
export const NO_S3 = S3_ENDPOINT === undefined;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** A plain SDK client for setting up buckets (the code under test is never used for that). */
export function adminClient(): S3Client {
  return new S3Client({
    endpoint: S3_ENDPOINT,
    forcePathStyle: true,
    region: process.env.AWS_REGION || 'us-east-1',
    maxAttempts: 5,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

/** A bucket name unique to this run (lowercase, DNS-safe). */
export function uniqueBucket(tag: string): string {
  return `tp-${tag}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err;
  }
}

/** Deletes every object (pages of 1000). */
export async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    let out;
    try {
      out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchBucket') return;
      throw err;
    }
    const keys = (out.Contents ?? []).flatMap((o) => (o.Key !== undefined ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

export async function removeBucket(client: S3Client, bucket: string): Promise<void> {
  await emptyBucket(client, bucket);
  await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

/**
 * Uploads a local copy (`bucketDir/<key>`) as S3 holds it: each object with its sidecar
 * (`<key>.metadata.json`) as user metadata; sidecars themselves are not objects (behaviour §7).
 * Returns the number of objects.
 */
export async function uploadTree(client: S3Client, bucketDir: string, bucket: string): Promise<number> {
  const files = filesUnder(bucketDir).filter((f) => !f.endsWith(SIDECAR_SUFFIX));
  await pool(files, 16, async (file) => {
    const key = relative(bucketDir, file).split(sep).join('/');
    let metadata: Record<string, string> = {};
    try {
      metadata = { ...parseSidecar(readFileSync(file + SIDECAR_SUFFIX, 'utf8')) };
    } catch {
      // no sidecar: no user metadata
    }
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file), Metadata: metadata }));
  });
  return files.length;
}

/**
 * Runs the built CLI like runCli, but without blocking this process: the stand-in CloudTrail
 * server answering the CLI lives in this process and must keep serving meanwhile.
 */
export function runCliAsync(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err);
      resolve({ stdout, stderr, status, out: stdout.toString('utf8'), err: stderr.toString('utf8') });
    });
  });
}

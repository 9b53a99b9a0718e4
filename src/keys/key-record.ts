import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { TrailproofError } from '../errors.js';
import { writeAtomic } from '../util/atomic-file.js';
import { openToRead } from '../util/open-read.js';
import { formatDisplay, parseStrictUtc } from '../format/time.js';
import type { KeyBackendRef } from './backend.js';
import { checkPublicKeyEntry } from './public-keys.js';

/**
 * A key's public record, `KEYS/<region>/<fingerprint>.json`: no secret in it. Its `backend` says
 * where the private half is: absent (or "file") for `<fingerprint>.key.pem` beside it, else a
 * PKCS#11 URI (without its PIN) or a KMS key id.
 */
export interface KeyRecord {
  readonly region: string;
  readonly fingerprint: string;
  /** Base64 of the DER PKCS#1 RSAPublicKey. */
  readonly value: string;
  /** Validity window and rotation point, UTC micros. */
  readonly validFrom: number;
  readonly validTo: number;
  readonly rotateAt: number;
  readonly backend: KeyBackendRef;
}

function keysError(message: string): TrailproofError {
  return new TrailproofError('keys', message);
}

const FILE: KeyBackendRef = { type: 'file' };
const MAX_RECORD = 64 * 1024;

function parseBackend(raw: unknown, path: string): KeyBackendRef {
  if (raw === undefined) return FILE;
  const b = raw as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw keysError(`Key store record ${path} has a malformed backend`);
  if (b.type === 'file' && Object.keys(b).length === 1) return FILE;
  if (b.type === 'pkcs11' && typeof b.uri === 'string' && b.uri.length <= 4096 && Object.keys(b).length === 2) return { type: 'pkcs11', uri: b.uri };
  if (b.type === 'kms' && typeof b.keyId === 'string' && b.keyId.length <= 2048 && Object.keys(b).length === 2) return { type: 'kms', keyId: b.keyId };
  throw keysError(`Key store record ${path} has a malformed backend`);
}

/** Reads and checks one record (the same checks as a published keys file, plus its name). */
export async function readKeyRecord(dir: string, region: string, name: string): Promise<KeyRecord> {
  const path = join(dir, name);
  let raw: unknown;
  try {
    raw = JSON.parse(await readRecordText(path));
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw keysError(`Key store record ${path} is not readable JSON`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw keysError(`Key store record ${path} is malformed`);
  const r = raw as Record<string, unknown>;
  const validFrom = typeof r.validFrom === 'string' ? parseStrictUtc(r.validFrom) : null;
  const validTo = typeof r.validTo === 'string' ? parseStrictUtc(r.validTo) : null;
  const rotateAt = typeof r.rotateAt === 'string' ? parseStrictUtc(r.rotateAt) : null;
  if (validFrom === null || validTo === null || rotateAt === null || typeof r.value !== 'string' || typeof r.fingerprint !== 'string') {
    throw keysError(`Key store record ${path} is malformed`);
  }
  checkPublicKeyEntry({ Value: r.value, Fingerprint: r.fingerprint, ValidityStartTime: r.validFrom, ValidityEndTime: r.validTo }, name, path);
  if (`${r.fingerprint}.json` !== name) throw keysError(`Key store record ${path} does not match its file name`);
  return { region, fingerprint: r.fingerprint, value: r.value, validFrom, validTo, rotateAt, backend: parseBackend(r.backend, path) };
}

/** A record's text: a regular file (opened without blocking: a FIFO there must not hang the run), bounded. */
async function readRecordText(path: string): Promise<string> {
  const handle = await openToRead(path);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_RECORD) throw keysError(`Key store record ${path} is not a regular file of at most 64 KiB`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Writes a record atomically (a temporary file, then a rename), refusing to replace one. */
export async function writeKeyRecord(dir: string, record: KeyRecord): Promise<void> {
  const body: Record<string, unknown> = {
    region: record.region,
    fingerprint: record.fingerprint,
    value: record.value,
    validFrom: formatDisplay(record.validFrom),
    validTo: formatDisplay(record.validTo),
    rotateAt: formatDisplay(record.rotateAt),
  };
  if (record.backend.type !== 'file') body.backend = record.backend;
  body.note =
    record.backend.type === 'file'
      ? 'Public record. The private key beside it is secret (mode 0600).'
      : 'Public record. The private key is in the HSM or KMS named by backend; it never leaves it.';
  await writeAtomic(join(dir, `${record.fingerprint}.json`), `${JSON.stringify(body, null, 2)}\n`);
}

/** Writes a secret beside a record (a private key or a PIN), created 0600 from the start. */
export async function writeSecret(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

import { createPrivateKey, createPublicKey, sign as rsaSign, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { TrailproofError } from '../errors.js';
import { md5Hex } from '../crypto/hash.js';
import { loadPkcs1PublicKey, verifySha256 } from '../crypto/rsa.js';
import { backendName, type KeyBackends, type KeySigner } from './backend.js';
import type { KeyRecord } from './key-record.js';

/**
 * The signer of a key record, whatever its backend. Every backend is held to the record: its public
 * key must be the registered one (a URI or key id that now names another key is refused), and every
 * signature it gives is verified against the record before a digest carries it (fail closed: a
 * token or KMS answering with garbage never produces an unverifiable digest).
 */
function keysError(message: string): TrailproofError {
  return new TrailproofError('keys', message);
}

/** A secret beside the records (private key, PIN): a regular file that only its owner may read. */
export async function readSecretFile(path: string, what: string, limit?: number): Promise<string> {
  return (await readSecretBytes(path, what, limit)).toString('utf8');
}

/**
 * readSecretFile's bytes (a queue key): the same rules, at most `limit` bytes. The file is opened
 * once, without following a symbolic link and without blocking (a FIFO), and checked and read
 * through that one descriptor: nothing can be swapped in between.
 */
export async function readSecretBytes(path: string, what: string, limit = 1 << 20): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw keysError(`${what} ${path} is not a regular file`);
    throw keysError(code === 'ENOENT' ? `${what} is missing (${path})` : `${what} ${path} cannot be read`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw keysError(`${what} ${path} is not a regular file`);
    if ((info.mode & 0o077) !== 0) throw keysError(`${what} ${path} is accessible by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`);
    if (!ownedByMe(info.uid)) throw keysError(`${what} ${path} is owned by another user (uid ${info.uid}), who can read it: chown it to this user`);
    if (info.size > limit) throw keysError(`${what} ${path} is larger than ${limit} bytes`);
    const bytes = await handle.readFile();
    if (bytes.length > limit) throw keysError(`${what} ${path} is larger than ${limit} bytes`);
    return bytes;
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw keysError(`${what} ${path} cannot be read`);
  } finally {
    await handle.close();
  }
}

/** Whether a file of this owner is this process's own (a secret must be: its owner can read it). */
export function ownedByMe(uid: number): boolean {
  return process.getuid === undefined || uid === process.getuid();
}

/** A file key: the PKCS#1 PEM beside its record, checked against the record's fingerprint. */
export async function loadFileKey(regionDir: string, record: KeyRecord): Promise<KeyObject> {
  const path = join(regionDir, `${record.fingerprint}.key.pem`);
  const text = await readSecretFile(path, `Private key for ${record.region} ${record.fingerprint}`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    throw keysError(`Private key ${path} cannot be loaded`);
  }
  const der = new Uint8Array(createPublicKey(key).export({ type: 'pkcs1', format: 'der' }));
  if (md5Hex(der) !== record.fingerprint) throw keysError(`Private key ${path} does not match its public record`);
  return key;
}

function fileSigner(key: KeyObject): KeySigner {
  return {
    sign: async (data) => new Uint8Array(rsaSign('sha256', data, key)),
    publicKeyDer: async () => new Uint8Array(createPublicKey(key).export({ type: 'pkcs1', format: 'der' })),
  };
}

/** Opens the record's signer and checks that it holds the registered key. */
export async function openSigner(regionDir: string, record: KeyRecord, backends: KeyBackends | undefined): Promise<KeySigner> {
  const ref = record.backend;
  if (ref.type === 'file') return fileSigner(await loadFileKey(regionDir, record));
  let signer: KeySigner;
  if (ref.type === 'pkcs11') {
    if (!backends?.pkcs11) throw keysError(`Key ${record.fingerprint} of ${record.region} is in a PKCS#11 token, which this build cannot reach`);
    const pinPath = join(regionDir, `${record.fingerprint}.pin`);
    const hasPin = await lstat(pinPath).then(
      () => true,
      () => false,
    );
    const pin = hasPin ? (await readSecretFile(pinPath, `The PIN of key ${record.fingerprint}`)).replace(/\r?\n$/, '') : undefined;
    signer = await backends.pkcs11(ref.uri, pin);
  } else {
    if (!backends?.kms) throw keysError(`Key ${record.fingerprint} of ${record.region} is in AWS KMS, which this build cannot reach`);
    signer = await backends.kms(ref.keyId);
  }
  const actual = md5Hex(await signer.publicKeyDer());
  if (actual !== record.fingerprint) {
    await signer.close?.();
    throw keysError(
      `The ${backendName(ref)} key registered as ${record.fingerprint} for ${record.region} now has another public key (fingerprint ${actual}): refusing to sign with it`,
    );
  }
  return signer;
}

/** Signs and verifies the signature against the record's public key before anyone sees it. */
export async function signChecked(signer: KeySigner, record: KeyRecord, data: Uint8Array): Promise<Uint8Array> {
  let signature: Uint8Array;
  try {
    signature = await signer.sign(data);
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw keysError(`Signing with the ${backendName(record.backend)} key ${record.fingerprint} failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const pub = loadPkcs1PublicKey(new Uint8Array(Buffer.from(record.value, 'base64')));
  if (!verifySha256(data, signature, pub).ok) {
    throw keysError(`The ${backendName(record.backend)} key ${record.fingerprint} of ${record.region} gave a signature that its public key does not verify: refusing it`);
  }
  return signature;
}

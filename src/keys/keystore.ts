import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TrailproofError } from '../errors.js';
import { md5Hex } from '../crypto/hash.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import { acquireLock, describeHolder } from '../util/lock.js';
import type { KeyBackendRef, KeyBackends, KeySigner } from './backend.js';
import { readKeyRecord, writeKeyRecord, writeSecret, type KeyRecord } from './key-record.js';
import { loadFileKey, openSigner, signChecked } from './key-signers.js';
import { chooseKey } from './rotation.js';
import { checkPublicKeyEntry, type PublicKeyEntry } from './public-keys.js';
import { isRegionName } from '../format/region.js';

/**
 * The key store: one RSA-2048 key pair per region at a time, PKCS#1, rotated on a schedule.
 *
 *   KEYS/<region>/<fingerprint>.json      public record (no secret): Value, validity, rotation point
 *   KEYS/<region>/<fingerprint>.key.pem   PKCS#1 PEM private key, mode 0600, never printed or logged
 *
 * or a registered key (keys register): its private half in a PKCS#11 token or AWS KMS, named by the
 * record's `backend` (a PIN given inline in `<fingerprint>.pin`, 0600). Registered keys are never
 * rotated by the signer: their successor is the next registered key.
 *
 * Default cadence, as CloudTrail's observed one: a new key every 20 days, each valid 30 days.
 */
export const DEFAULT_VALIDITY_DAYS = 30;
export const DEFAULT_ROTATION_DAYS = 20;
const DAY = 24 * MICROS_PER_HOUR;

export type { KeyRecord } from './key-record.js';

function keysError(message: string): TrailproofError {
  return new TrailproofError('keys', message);
}

export function checkRegion(region: string): string {
  if (!isRegionName(region)) throw new TrailproofError('argument', `Invalid region: ${region}`);
  return region;
}

function iso(micros: number): string {
  return formatDisplay(micros);
}

export interface KeyStoreOptions {
  /** How long a rotation waits for another process rotating the same region (ms; default 5 minutes). */
  readonly lockWaitMs?: number | undefined;
  /** One line for people (stderr): waiting for another signer's lock. */
  readonly notify?: ((line: string) => void) | undefined;
  /** Stops a wait for a lock (an interrupt). */
  readonly signal?: AbortSignal | undefined;
  /** How registered keys are reached (PKCS#11, KMS); without them only file keys sign. */
  readonly backends?: KeyBackends | undefined;
  /** `sign --dry-run`: rotations are planned in memory, and nothing is signed (a signature of zeros). */
  readonly dryRun?: boolean | undefined;
}

/** Said about a key that signingKey created (a rotation, or a first key after a pause). */
export type KeyCreated = (record: KeyRecord, predecessor: KeyRecord) => void;

/** Where the key store's locks live: a folder that is no region (regions() skips it). */
export const LOCK_FOLDER = '.locks';

export class KeyStore {
  private readonly privateCache = new Map<string, KeyObject>();
  /** Open signers by fingerprint (a PKCS#11 session or a KMS client is opened once). */
  private readonly signers = new Map<string, Promise<KeySigner>>();
  /** Each region's records as read once (a signer asks for every digest); create() refreshes it. */
  private readonly listed = new Map<string, Promise<readonly KeyRecord[]>>();
  /** signingKey's turn per region: two signers of one region must not both rotate. */
  private readonly rotating = new Map<string, Promise<unknown>>();

  constructor(
    readonly dir: string,
    private readonly options: KeyStoreOptions = {},
  ) {}

  /** The key store's lock folder (also where signers keep their per-chain locks). */
  lockPath(name: string): string {
    return join(this.dir, LOCK_FOLDER, name);
  }

  /** Settles when no rotation of this store object is under way (an interrupt waits for it). */
  idle(): Promise<unknown> {
    return Promise.all([...this.rotating.values()]);
  }

  private regionDir(region: string): string {
    return join(this.dir, checkRegion(region));
  }

  /** Every key of a region, oldest validity first (read from disk once per store object). */
  list(region: string): Promise<readonly KeyRecord[]> {
    let records = this.listed.get(region);
    if (!records) {
      records = this.readList(region);
      this.listed.set(region, records);
      records.catch(() => this.listed.delete(region));
    }
    return records;
  }

  private async readList(region: string): Promise<KeyRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.regionDir(region));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw keysError(`Cannot read key store ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const out: KeyRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      out.push(await readKeyRecord(this.regionDir(region), region, name));
    }
    return out.sort((a, b) => a.validFrom - b.validFrom || a.fingerprint.localeCompare(b.fingerprint));
  }

  /** Regions that hold keys. */
  async regions(): Promise<string[]> {
    try {
      const entries = await readdir(this.dir, { withFileTypes: true });
      return entries.filter((e) => e.isDirectory() && isRegionName(e.name)).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw keysError(`Cannot read key store ${this.dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }

  /** Public entries of every region (for list-public-keys and the verifier). */
  async publicEntries(): Promise<PublicKeyEntry[]> {
    const out: PublicKeyEntry[] = [];
    for (const region of await this.regions()) {
      for (const r of await this.list(region)) {
        out.push(
          checkPublicKeyEntry(
            { Value: r.value, Fingerprint: r.fingerprint, ValidityStartTime: iso(r.validFrom), ValidityEndTime: iso(r.validTo) },
            `${region}/${r.fingerprint}`,
            this.dir,
          ),
        );
      }
    }
    return out;
  }

  /** The key a digest ending at `at` is signed with: the newest one valid then. */
  async activeAt(region: string, at: number): Promise<KeyRecord | undefined> {
    const keys = (await this.list(region)).filter((k) => k.validFrom <= at && at <= k.validTo);
    return keys[keys.length - 1];
  }

  /** Creates a key pair valid from `validFrom` for `validityDays`, rotating after `rotationDays`. */
  async create(region: string, validFrom: number, validityDays = DEFAULT_VALIDITY_DAYS, rotationDays = DEFAULT_ROTATION_DAYS): Promise<KeyRecord> {
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) throw new TrailproofError('argument', 'validity days must be 1 to 3650');
    const rotate = Math.min(rotationDays, validityDays);
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'pkcs1', format: 'der' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const der = new Uint8Array(publicKey);
    const fingerprint = md5Hex(der);
    const record: KeyRecord = {
      region,
      fingerprint,
      value: Buffer.from(der).toString('base64'),
      validFrom,
      validTo: validFrom + validityDays * DAY,
      rotateAt: validFrom + rotate * DAY,
      backend: { type: 'file' },
    };
    const dir = this.regionDir(region);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700).catch(() => undefined);
    await chmod(dir, 0o700);
    // The private key first, created 0600 from the start (never world-readable, even briefly).
    const keyPath = join(dir, `${fingerprint}.key.pem`);
    await writeSecret(keyPath, privateKey);
    await chmod(keyPath, 0o600);
    await writeKeyRecord(dir, record);
    this.listed.delete(region);
    return record;
  }

  /** Loads a file key's private half. Refuses keys readable by others; never echoes key material. */
  async privateKey(record: KeyRecord): Promise<KeyObject> {
    const cached = this.privateCache.get(record.fingerprint);
    if (cached) return cached;
    const key = await loadFileKey(this.regionDir(record.region), record);
    this.privateCache.set(record.fingerprint, key);
    return key;
  }

  /** SHA256withRSA over `data` with the record's key, whatever its backend, verified before it is returned. */
  async sign(record: KeyRecord, data: Uint8Array): Promise<Uint8Array> {
    if (this.options.dryRun) return new Uint8Array(256);
    let signer = this.signers.get(record.fingerprint);
    if (!signer) {
      signer = openSigner(this.regionDir(record.region), record, this.options.backends);
      this.signers.set(record.fingerprint, signer);
      signer.catch(() => this.signers.delete(record.fingerprint));
    }
    return signChecked(await signer, record, data);
  }

  /** Closes the open signers (PKCS#11 sessions, KMS clients). */
  async close(): Promise<void> {
    const open = [...this.signers.values()];
    this.signers.clear();
    for (const s of await Promise.allSettled(open)) if (s.status === 'fulfilled') await s.value.close?.();
  }

  /**
   * Adds a registered key (PKCS#11 or KMS) to a region's schedule: its public record, valid from
   * `validFrom` for `validityDays`, and the PIN (when one was given inline) in a 0600 file beside it.
   * The signer switches to it at `validFrom` (the newest key valid then signs).
   */
  async register(region: string, backend: KeyBackendRef, publicDer: Uint8Array, validFrom: number, validityDays: number, pin?: string): Promise<KeyRecord> {
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) throw new TrailproofError('argument', 'validity days must be 1 to 3650');
    const fingerprint = md5Hex(publicDer);
    if ((await this.list(region)).some((k) => k.fingerprint === fingerprint)) {
      throw keysError(`Key ${fingerprint} is already in the ${region} schedule of ${this.dir}`);
    }
    const validTo = validFrom + validityDays * DAY;
    const record: KeyRecord = { region, fingerprint, value: Buffer.from(publicDer).toString('base64'), validFrom, validTo, rotateAt: validTo, backend };
    const dir = this.regionDir(region);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700).catch(() => undefined);
    await chmod(dir, 0o700);
    if (pin !== undefined) await writeSecret(join(dir, `${fingerprint}.pin`), pin);
    await writeKeyRecord(dir, record);
    this.listed.delete(region);
    return record;
  }

  /**
   * The key to sign at `at` with, rotating by itself: when the newest key has reached its rotation
   * point (or expired), a new key is created, valid from that point (or from `at`).
   */
  signingKey(region: string, at: number, validityDays = DEFAULT_VALIDITY_DAYS, rotationDays = DEFAULT_ROTATION_DAYS, onCreated?: KeyCreated): Promise<KeyRecord> {
    const turn = (this.rotating.get(region) ?? Promise.resolve()).then(() => this.pickOrRotate(region, at, validityDays, rotationDays, onCreated));
    this.rotating.set(region, turn.catch(() => undefined));
    return turn;
  }

  private async pickOrRotate(region: string, at: number, validityDays: number, rotationDays: number, onCreated: KeyCreated | undefined): Promise<KeyRecord> {
    const cached = chooseKey(this.dir, region, await this.list(region), at, validityDays, rotationDays);
    if ('use' in cached) return cached.use;
    if (this.options.dryRun) return this.plan(region, cached.create.validFrom, validityDays, rotationDays, cached.create.predecessor, onCreated);
    // A rotation: across processes, one at a time per region, deciding on what is on disk now
    // (another signer may have made the successor since this store object read the folder).
    const lock = await acquireLock(this.lockPath(`region-${checkRegion(region)}.lock`), {
      what: `the ${region} keys of ${this.dir}`,
      waitMs: this.options.lockWaitMs ?? 5 * 60_000,
      signal: this.options.signal,
      onWait: (h) => this.options.notify?.(`waiting for another signer (${describeHolder(h)}) to finish rotating the ${region} key...`),
    });
    try {
      this.listed.delete(region);
      const now = chooseKey(this.dir, region, await this.list(region), at, validityDays, rotationDays);
      if ('use' in now) return now.use;
      const created = await this.create(region, now.create.validFrom, validityDays, rotationDays);
      onCreated?.(created, now.create.predecessor);
      return created;
    } finally {
      await lock.release();
    }
  }

  /** `--dry-run`: the key a rotation would create, kept in memory only (no key is made, nothing is written). */
  private async plan(region: string, validFrom: number, validityDays: number, rotationDays: number, predecessor: KeyRecord, onCreated?: KeyCreated): Promise<KeyRecord> {
    const planned: KeyRecord = {
      ...predecessor,
      fingerprint: `new key from ${formatDisplay(validFrom)}`,
      validFrom,
      validTo: validFrom + validityDays * DAY,
      rotateAt: validFrom + Math.min(rotationDays, validityDays) * DAY,
    };
    this.listed.set(region, Promise.resolve([...(await this.list(region)), planned]));
    onCreated?.(planned, predecessor);
    return planned;
  }
}

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { digestListPrefix, logKey, logListPrefix, type DigestScope } from '../../src/format/names.js';
import { formatDisplay, MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { formatPublicKeysJson } from '../../src/keys/public-keys.js';
import { signRegion } from '../../src/signer/sign.js';
import { generateAccounts } from '../../src/simulate/accounts.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore, parseSidecar, SIDECAR_SUFFIX } from '../../src/store/local.js';

/**
 * A SIGNED archive of an organization (or of many accounts) for tests and benchmarks, built
 * in-process: simulateDelivery for every trail, then signRegion for every (trail, account, source
 * region), with a copy of the repository's TEST-ONLY keys (keys/README.md). Regions the test keys
 * do not cover get a key made once per process (RSA-2048 generation is the slow part) and copied
 * into each archive's key store.
 *
 * Several trails in one bucket need distinct prefixes: CloudTrail names digests per trail, but log
 * files carry no trail name, so two trails on one prefix would share their log folders (each
 * chain's signer would take the other trail's logs). buildOrgArchive refuses that.
 *
 * Planted tampering, below: one small function per finding a careful auditor must report, each
 * returning what it did (kind, bucket, key) so that a test can assert the finding names that object.
 * They change the files; the archive description keeps describing the archive as built.
 */
export interface TrailSpec {
  readonly name: string;
  /** Key prefix, without slashes at either end; distinct per trail. Default: none. */
  readonly prefix?: string | undefined;
  /** The trail's home region (its ARN and digest names). Default: us-east-1. */
  readonly homeRegion?: string | undefined;
}

export interface OrgArchiveOptions {
  /** N generated accounts (as `simulate --accounts N` with this seed), or a list of 12-digit IDs. */
  readonly accounts: number | readonly string[];
  readonly regions: readonly string[];
  readonly hours: number;
  /** Default 2. */
  readonly filesPerHour?: number;
  /** Default 2 (small files: the archive's shape matters to an auditor, not its volume). */
  readonly recordsPerFile?: number;
  /** The organization trail layout AWSLogs/<org>/<account>/... Default: none (AWSLogs/<account>/...). */
  readonly organizationId?: string | undefined;
  /** Default: one trail, `org-trail`, no prefix, home us-east-1. */
  readonly trails?: readonly TrailSpec[];
  /** Default `org-archive-bucket`. */
  readonly bucket?: string;
  /** The first hour (ISO 8601, from 2024-01-01 on: the test keys' validity). Default 2024-05-01T00:00:00Z. */
  readonly start?: string;
  /** Default `org`. */
  readonly seed?: string;
  /** gzip level of the logs; default 1 (fast). */
  readonly gzipLevel?: number;
  /** Where to build (must be empty or absent). Default: a new temporary folder. */
  readonly dir?: string;
}

/** One digest chain: what an auditor discovers, and every object of it. */
export interface ArchiveChain {
  /** organizationId, account, sourceRegion, trailName, homeRegion, prefix. */
  readonly scope: DigestScope;
  /** For an organization trail, the management account is taken to be the first account. */
  readonly trailArn: string;
  /** The chain's log folder and digest folder, each ending in '/'. */
  readonly logPrefix: string;
  readonly digestPrefix: string;
  /** Sorted (key order: delivery order within a day folder). */
  readonly logKeys: readonly string[];
  /** Sorted: oldest first. One per hour. */
  readonly digestKeys: readonly string[];
}

export interface OrgArchive {
  /** The folder holding root/ and keys/ (and public-keys.json). */
  readonly dir: string;
  /** `--local-root` */
  readonly root: string;
  readonly bucket: string;
  /** `--keys-dir` (a key store: keep it with the archive) */
  readonly keysDir: string;
  /** `--public-keys` (the JSON of `aws cloudtrail list-public-keys`) */
  readonly publicKeysFile: string;
  readonly organizationId: string | undefined;
  readonly accounts: readonly string[];
  readonly regions: readonly string[];
  /** The signed range, micros and as `--start-time`/`--end-time` text. */
  readonly start: number;
  readonly end: number;
  readonly startTime: string;
  readonly endTime: string;
  readonly chains: readonly ArchiveChain[];
  readonly store: LocalStore;
  readonly keys: KeyStore;
  /** The chain of (account, region, trail name), or an error naming what was asked. */
  chain(account: string, region: string, trailName?: string): ArchiveChain;
  /** Removes `dir`. */
  cleanup(): void;
}

const H = MICROS_PER_HOUR;
/** Keys made for regions keys/ does not cover, once per process: region -> files of its key store folder. */
const madeKeys = new Map<string, Promise<ReadonlyArray<readonly [string, Buffer]>>>();

async function ensureRegionKey(keysDir: string, region: string): Promise<void> {
  const regionDir = join(keysDir, region);
  let files = madeKeys.get(region);
  if (!files) {
    files = (async () => {
      const maker = mkdtempSync(join(tmpdir(), 'trailproof-orgkeys-'));
      try {
        // Valid (and never rotating) over the test keys' own span, 2024-01-01 to 2033-12-29.
        const record = await new KeyStore(maker).create(region, parseDate('2024-01-01T00:00:00Z').clock, 3650, 3650);
        return ['.json', '.key.pem'].map((ext) => [`${record.fingerprint}${ext}`, readFileSync(join(maker, region, `${record.fingerprint}${ext}`))] as const);
      } finally {
        rmSync(maker, { recursive: true, force: true });
      }
    })();
    madeKeys.set(region, files);
  }
  await mkdir(regionDir, { recursive: true, mode: 0o700 });
  for (const [name, bytes] of await files) await writeFile(join(regionDir, name), bytes, { mode: name.endsWith('.pem') ? 0o600 : 0o644 });
}

/** Runs `work` over `items`, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export async function buildOrgArchive(o: OrgArchiveOptions): Promise<OrgArchive> {
  const seed = o.seed ?? 'org';
  const accounts = typeof o.accounts === 'number' ? generateAccounts(o.accounts, seed) : [...o.accounts];
  const trails = (o.trails ?? [{ name: 'org-trail' }]).map((t) => ({ name: t.name, prefix: t.prefix || undefined, homeRegion: t.homeRegion ?? 'us-east-1' }));
  const prefixes = new Map<string, string>();
  for (const t of trails) {
    const other = prefixes.get(t.prefix ?? '');
    if (other !== undefined) {
      throw new Error(
        `trails ${other} and ${t.name} share the prefix ${JSON.stringify(t.prefix ?? '')}: log files carry no trail name, give each trail its own prefix`,
      );
    }
    prefixes.set(t.prefix ?? '', t.name);
  }
  const bucket = o.bucket ?? 'org-archive-bucket';
  const start = parseDate(o.start ?? '2024-05-01T00:00:00Z').clock;
  const end = start + o.hours * H;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'trailproof-org-'));
  const root = join(dir, 'root');
  const keysDir = join(dir, 'keys');
  await copyKeyStore(TEST_KEYS, keysDir);
  const keys = new KeyStore(keysDir);
  const covered = new Set(await keys.regions());
  for (const region of o.regions) if (!covered.has(region)) await ensureRegionKey(keysDir, region);
  const publicKeysFile = join(dir, 'public-keys.json');
  writeFileSync(publicKeysFile, formatPublicKeysJson(await keys.publicEntries()));

  const store = new LocalStore(root);
  const logs = new Map<string, string[]>();
  for (const t of trails) {
    await simulateDelivery(
      store,
      {
        bucket,
        accounts,
        regions: o.regions,
        start,
        hours: o.hours,
        filesPerHour: o.filesPerHour ?? 2,
        recordsPerFile: o.recordsPerFile ?? 2,
        // Each trail its own records (and names).
        seed: trails.length === 1 ? seed : `${seed}/${t.name}`,
        prefix: t.prefix,
        organizationId: o.organizationId,
        gzipLevel: o.gzipLevel ?? 1,
        concurrency: 16,
      },
      {
        onFile: (f) => {
          const folder = logListPrefix({ prefix: t.prefix, organizationId: o.organizationId, account: f.account }, f.region);
          let list = logs.get(folder);
          if (!list) logs.set(folder, (list = []));
          list.push(f.key);
        },
      },
    );
  }

  const chains: ArchiveChain[] = [];
  for (const t of trails) {
    for (const account of accounts) {
      for (const region of o.regions) {
        const scope: DigestScope = {
          prefix: t.prefix,
          organizationId: o.organizationId,
          account,
          sourceRegion: region,
          homeRegion: t.homeRegion,
          trailName: t.name,
        };
        const logPrefix = logListPrefix(scope, region);
        chains.push({
          scope,
          trailArn: `arn:aws:cloudtrail:${t.homeRegion}:${o.organizationId ? accounts[0] : account}:trail/${t.name}`,
          logPrefix,
          digestPrefix: `${digestListPrefix(scope)}/`,
          logKeys: (logs.get(logPrefix) ?? []).sort(),
          digestKeys: [],
        });
      }
    }
  }
  const warnings: string[] = [];
  await eachLimited(chains, 8, async (c) => {
    await signRegion({
      store,
      keys,
      bucket,
      scope: c.scope,
      until: end,
      startAt: start,
      lookback: 24 * H,
      concurrency: 16,
      now: () => end,
      warn: (m) => warnings.push(m),
    });
    const digests: string[] = [];
    for await (const key of store.list(bucket, { prefix: c.digestPrefix })) digests.push(key);
    (c as { digestKeys: readonly string[] }).digestKeys = digests.sort();
  });
  if (warnings.length > 0) throw new Error(`signing the archive warned: ${warnings[0]}`);

  const archive: OrgArchive = {
    dir,
    root,
    bucket,
    keysDir,
    publicKeysFile,
    organizationId: o.organizationId,
    accounts,
    regions: [...o.regions],
    start,
    end,
    startTime: formatDisplay(start),
    endTime: formatDisplay(end),
    chains,
    store,
    keys,
    chain(account, region, trailName) {
      const found = chains.find(
        (c) => c.scope.account === account && c.scope.sourceRegion === region && (trailName === undefined || c.scope.trailName === trailName),
      );
      if (!found) throw new Error(`no chain for account ${account}, region ${region}${trailName ? `, trail ${trailName}` : ''}`);
      return found;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return archive;
}

/** The bytes of an archive object (tests and tamper helpers). */
/** `trailproof audit` over the whole archive (or a copy at `root`) on a local root, its window, no report options. */
export function localAuditArgs(archive: Pick<OrgArchive, 'bucket' | 'root' | 'keysDir' | 'startTime' | 'endTime'>, root = archive.root): string[] {
  return [
    'audit',
    '--s3-bucket',
    archive.bucket,
    '--local-root',
    root,
    '--keys-dir',
    archive.keysDir,
    '--start-time',
    archive.startTime,
    '--end-time',
    archive.endTime,
  ];
}

export function objectPath(archive: Pick<OrgArchive, 'root' | 'bucket'>, key: string): string {
  return join(archive.root, archive.bucket, ...key.split('/'));
}

export async function readObject(archive: Pick<OrgArchive, 'root' | 'bucket'>, key: string): Promise<Buffer> {
  return readFile(objectPath(archive, key));
}

// ---------------------------------------------------------------------------------------------
// Planted tampering

export type TamperKind =
  | 'unreferenced-log'
  | 'missing-digest'
  | 'missing-previous-digest'
  | 'modified-log'
  | 'modified-digest'
  | 'modified-signature'
  | 'moved-log'
  | 'moved-digest'
  | 'unexpected-object'
  | 'missing-digest-folder';

export interface Tampering {
  readonly kind: TamperKind;
  readonly bucket: string;
  /** The object the finding must name (the new key of a moved object; the folder, ending in '/', for a removed folder). */
  readonly key: string;
  /** A moved object's old key (which its digest still references). */
  readonly from?: string;
  /** missing-previous-digest: the digest whose previous digest was deleted. */
  readonly successor?: string;
  /** A changed byte: its offset in the uncompressed object (logs, digests) or the sidecar, and the byte before and after. */
  readonly offset?: number;
  readonly before?: string;
  readonly after?: string;
  /** missing-digest-folder: every object removed. */
  readonly removed?: readonly string[];
}

type Archive = Pick<OrgArchive, 'root' | 'bucket' | 'store'>;

/** A well-formed log, CloudTrail-named in the chain's log folder, that no digest lists (delivered in `hour`, default the archive's second hour). */
export async function plantUnreferencedLog(a: Archive & Pick<OrgArchive, 'start'>, chain: ArchiveChain, hour = 1): Promise<Tampering> {
  const key = logKeyIn(chain, a.start + hour * H + 30 * 60_000_000, 'UnreferencedLog0');
  const record = {
    eventVersion: '1.09',
    eventTime: formatDisplay(a.start + hour * H + 29 * 60_000_000),
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity',
    awsRegion: chain.scope.sourceRegion,
    recipientAccountId: chain.scope.account,
  };
  await a.store.put(a.bucket, key, gzipSync(JSON.stringify({ Records: [record] })));
  return { kind: 'unreferenced-log', bucket: a.bucket, key };
}

/** Deletes one digest: `index` into chain.digestKeys (default the middle one; negative counts from the newest). */
export async function deleteDigest(a: Archive, chain: ArchiveChain, index = Math.floor(chain.digestKeys.length / 2)): Promise<Tampering> {
  const key = at(chain.digestKeys, index);
  await a.store.delete(a.bucket, key);
  return { kind: 'missing-digest', bucket: a.bucket, key };
}

/** Deletes the newest `n` digests of a chain (the chain stops early: their logs are then unreferenced). */
export async function deleteNewestDigests(a: Archive, chain: ArchiveChain, n: number): Promise<Tampering[]> {
  if (n < 1 || n > chain.digestKeys.length) throw new Error(`the chain has ${chain.digestKeys.length} digests, not ${n} to delete`);
  const out: Tampering[] = [];
  for (let i = 1; i <= n; i++) out.push(await deleteDigest(a, chain, -i));
  return out;
}

/** Deletes digest `index` (default the middle one), the earlier of two consecutive: its successor then names a previous digest that is not there. */
export async function deleteEarlierOfTwo(a: Archive, chain: ArchiveChain, index = Math.floor(chain.digestKeys.length / 2) - 1): Promise<Tampering> {
  if (index < 0 || index + 1 >= chain.digestKeys.length) throw new Error(`digest ${index} of ${chain.digestKeys.length} has no successor`);
  const key = chain.digestKeys[index]!;
  await a.store.delete(a.bucket, key);
  return { kind: 'missing-previous-digest', bucket: a.bucket, key, successor: chain.digestKeys[index + 1]! };
}

/**
 * Changes one byte of a log or digest (kind from its folder): one letter or digit of a JSON string
 * value at or after `offset` in the uncompressed text (default: its middle) becomes another of its
 * kind, and the object is compressed again. The JSON stays well formed; only the hash (a log) or the
 * signature (a digest) tells. With `layer: 'gzip'`, one byte of the compressed object flips
 * instead (a corrupt gzip), and offset is in the compressed bytes.
 */
export async function changeByte(a: Archive, key: string, o: { offset?: number; layer?: 'content' | 'gzip' } = {}): Promise<Tampering> {
  const kind: TamperKind = key.includes('/CloudTrail-Digest/') ? 'modified-digest' : 'modified-log';
  const path = objectPath(a, key);
  const stored = readFileSync(path);
  if (o.layer === 'gzip') {
    // Past the 10-byte header and before the 8-byte trailer: inside the deflate data.
    const offset = o.offset ?? 10 + Math.floor((stored.length - 18) / 2);
    const before = stored[offset]!;
    stored[offset] = before ^ 0x01;
    writeFileSync(path, stored);
    return { kind, bucket: a.bucket, key, offset, before: String.fromCharCode(before), after: String.fromCharCode(stored[offset]!) };
  }
  const text = Buffer.from(gunzipSync(stored));
  const offset = valueCharAt(text, o.offset ?? Math.floor(text.length / 2));
  const before = String.fromCharCode(text[offset]!);
  const after = otherOfKind(before);
  text[offset] = after.charCodeAt(0);
  writeFileSync(path, gzipSync(text));
  return { kind, bucket: a.bucket, key, offset, before, after };
}

/** Changes one hex digit of a digest's signature in its metadata sidecar (the sidecar stays well formed). */
export function changeSignature(a: Archive, digestKey: string): Tampering {
  const path = `${objectPath(a, digestKey)}${SIDECAR_SUFFIX}`;
  const text = Buffer.from(readFileSync(path));
  const field = text.indexOf('"signature"');
  if (field < 0) throw new Error(`no signature in ${path}`);
  const offset = text.indexOf('"', text.indexOf(':', field)) + 1;
  const before = String.fromCharCode(text[offset]!);
  const after = before === '0' ? '1' : '0';
  text[offset] = after.charCodeAt(0);
  writeFileSync(path, text);
  return { kind: 'modified-signature', bucket: a.bucket, key: digestKey, offset, before, after };
}

/** Moves an object (with its sidecar) to `to`; default: the same folder, the name's unique part changed. */
export async function moveObject(a: Archive, key: string, to?: string): Promise<Tampering> {
  const digest = key.includes('/CloudTrail-Digest/');
  const target = to ?? (digest ? key.replace(/\.json\.gz$/, '_moved.json.gz') : key.replace(/_[A-Za-z0-9]{16}\.json\.gz$/, '_MovedLogFile0000.json.gz'));
  if (target === key) throw new Error(`cannot move ${key} onto itself`);
  const path = objectPath(a, key);
  const sidecar = existsSync(path + SIDECAR_SUFFIX) ? readFileSync(path + SIDECAR_SUFFIX) : undefined;
  const metadata = sidecar ? (parseSidecar(sidecar.toString('utf8')) as Record<string, string>) : {};
  await a.store.put(a.bucket, target, readFileSync(path), metadata);
  await a.store.delete(a.bucket, key);
  return { kind: digest ? 'moved-digest' : 'moved-log', bucket: a.bucket, key: target, from: key };
}

/** An object CloudTrail never writes, under AWSLogs/ (default `AWSLogs/<first account>/notes.txt`, beside the account folders of an organization). */
export async function addUnexpectedObject(
  a: Archive & Pick<OrgArchive, 'accounts'>,
  key = `AWSLogs/${a.accounts[0]}/notes.txt`,
  body = 'not a CloudTrail object\n',
): Promise<Tampering> {
  await a.store.put(a.bucket, key, Buffer.from(body));
  return { kind: 'unexpected-object', bucket: a.bucket, key };
}

/** Removes a chain's whole digest folder (CloudTrail-Digest/<region>/), sidecars included. */
export async function removeDigestFolder(a: Archive, chain: ArchiveChain): Promise<Tampering> {
  const removed: string[] = [];
  for await (const key of a.store.list(a.bucket, { prefix: chain.digestPrefix })) removed.push(key);
  rmSync(objectPath(a, chain.digestPrefix.slice(0, -1)), { recursive: true });
  return { kind: 'missing-digest-folder', bucket: a.bucket, key: chain.digestPrefix, removed };
}

function at(keys: readonly string[], index: number): string {
  const key = keys[index < 0 ? keys.length + index : index];
  if (key === undefined) throw new Error(`no digest ${index} in a chain of ${keys.length}`);
  return key;
}

function logKeyIn(chain: ArchiveChain, delivered: number, unique: string): string {
  return logKey(chain.scope, chain.scope.sourceRegion, delivered, unique);
}

const ALNUM_BYTE = /[A-Za-z0-9]/;

/** The first letter or digit inside a JSON string value at or after `from` (after `":"`). */
function valueCharAt(text: Buffer, from: number): number {
  for (let i = text.indexOf('":"', from); i >= 0; i = text.indexOf('":"', i + 1)) {
    const c = text[i + 3];
    if (c !== undefined && ALNUM_BYTE.test(String.fromCharCode(c))) return i + 3;
  }
  if (from > 0) return valueCharAt(text, 0);
  throw new Error('no string value to change');
}

function otherOfKind(c: string): string {
  if (c >= '0' && c <= '9') return c === '9' ? '0' : String.fromCharCode(c.charCodeAt(0) + 1);
  if (c === 'z') return 'a';
  if (c === 'Z') return 'A';
  return String.fromCharCode(c.charCodeAt(0) + 1);
}

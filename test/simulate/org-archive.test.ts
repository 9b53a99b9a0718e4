import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { TextReport } from '../../src/verifier/report-text.js';
import { runValidation } from '../../src/verifier/validate.js';
import {
  addUnexpectedObject,
  buildOrgArchive,
  changeByte,
  changeSignature,
  deleteDigest,
  deleteEarlierOfTwo,
  deleteNewestDigests,
  moveObject,
  plantUnreferencedLog,
  removeDigestFolder,
  type ArchiveChain,
  type OrgArchive,
} from '../helpers/org-archive.js';
import { hashTree, treeFiles } from './tree-hash.js';

const ORG = 'o-a1b2c3d4e5';
// us-west-2 has no test key: the builder makes one (once per process).
const REGIONS = ['us-east-1', 'us-west-2'];
const TRAILS = [{ name: 'org-trail' }, { name: 'security', prefix: 'sec/audit', homeRegion: 'eu-west-1' }];

let archive: OrgArchive;
let twin: OrgArchive;

beforeAll(async () => {
  archive = await buildOrgArchive({ accounts: 3, regions: REGIONS, hours: 4, organizationId: ORG, trails: TRAILS });
  twin = await buildOrgArchive({ accounts: 3, regions: REGIONS, hours: 4, organizationId: ORG, trails: TRAILS });
}, 60_000);
afterAll(() => {
  archive?.cleanup();
  twin?.cleanup();
});

async function validate(a: OrgArchive, c: ArchiveChain) {
  const out = memoryOutput();
  const keys = entriesSource(parsePublicKeysJson(readFileSync(a.publicKeysFile, 'utf8'), a.publicKeysFile));
  const summary = await runValidation(
    { store: a.store, keys, scope: c.scope, bucket: a.bucket, start: a.start, end: a.end },
    new TextReport(out, true, c.trailArn),
  );
  return { summary, out };
}

/** path -> sha256 of every file of the bucket (sidecars included). */
function snapshot(a: OrgArchive): Map<string, string> {
  const root = join(a.root, a.bucket);
  return new Map(
    treeFiles(root).map((p) => [
      p,
      createHash('sha256')
        .update(readFileSync(join(root, p)))
        .digest('hex'),
    ]),
  );
}

function diff(before: Map<string, string>, after: Map<string, string>) {
  return {
    added: [...after.keys()].filter((k) => !before.has(k)),
    removed: [...before.keys()].filter((k) => !after.has(k)),
    changed: [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k)),
  };
}

const sidecar = (key: string): string => `${key}.metadata.json`;

describe('buildOrgArchive', () => {
  it('describes every chain: trail x account x source region, with its scope, logs and hourly digests', () => {
    expect(archive.accounts).toHaveLength(3);
    expect(archive.chains).toHaveLength(2 * 3 * 2);
    expect(archive.startTime).toBe('2024-05-01T00:00:00Z');
    expect(archive.endTime).toBe('2024-05-01T04:00:00Z');
    const c = archive.chain(archive.accounts[1]!, 'us-west-2', 'security');
    expect(c.scope).toEqual({
      prefix: 'sec/audit',
      organizationId: ORG,
      account: archive.accounts[1],
      sourceRegion: 'us-west-2',
      homeRegion: 'eu-west-1',
      trailName: 'security',
    });
    expect(c.trailArn).toBe(`arn:aws:cloudtrail:eu-west-1:${archive.accounts[0]}:trail/security`);
    expect(c.logPrefix).toBe(`sec/audit/AWSLogs/${ORG}/${archive.accounts[1]}/CloudTrail/us-west-2/`);
    expect(c.digestPrefix).toBe(`sec/audit/AWSLogs/${ORG}/${archive.accounts[1]}/CloudTrail-Digest/us-west-2/`);
    const files = new Set(treeFiles(join(archive.root, archive.bucket)));
    let objects = 0;
    for (const chain of archive.chains) {
      expect(chain.logKeys).toHaveLength(4 * 2);
      expect(chain.digestKeys).toHaveLength(4);
      for (const k of chain.logKeys) expect(k.startsWith(chain.logPrefix) && files.has(k)).toBe(true);
      for (const k of chain.digestKeys) expect(k.startsWith(chain.digestPrefix) && files.has(k) && files.has(sidecar(k))).toBe(true);
      expect(chain.digestKeys.at(-1)).toContain(`_${chain.scope.trailName}_${chain.scope.homeRegion}_20240501T040000Z.json.gz`);
      objects += chain.logKeys.length + 2 * chain.digestKeys.length;
    }
    expect(files.size).toBe(objects);
    expect(() => archive.chain('000000000000', 'us-east-1')).toThrow('no chain for account 000000000000, region us-east-1');
  });

  it('signs every chain so that validate-logs finds it all valid (keys from --public-keys)', async () => {
    for (const c of archive.chains) {
      const { summary, out } = await validate(archive, c);
      expect(summary.exitCode, out.stderr).toBe(0);
      expect(summary.digests).toEqual({ valid: 4, invalid: 0 });
      expect(summary.logs).toEqual({ valid: c.logKeys.length, invalid: 0 });
    }
  });

  it('is the same archive, byte for byte, when built again', () => {
    expect(hashTree(join(twin.root, twin.bucket))).toBe(hashTree(join(archive.root, archive.bucket)));
  });

  it('refuses two trails on one prefix', async () => {
    await expect(
      buildOrgArchive({
        accounts: 1,
        regions: ['us-east-1'],
        hours: 1,
        trails: [
          { name: 'a', prefix: 'p' },
          { name: 'b', prefix: 'p' },
        ],
      }),
    ).rejects.toThrow('trails a and b share the prefix "p": log files carry no trail name, give each trail its own prefix');
  });
});

describe('planted tampering changes exactly what it says', () => {
  // Each case on its own chain of the twin archive, so that they do not meet.
  const chainOf = (i: number): ArchiveChain => twin.chains[i]!;
  const step = async <T>(tamper: () => Promise<T> | T): Promise<{ result: T; d: ReturnType<typeof diff> }> => {
    const before = snapshot(twin);
    const result = await tamper();
    return { result, d: diff(before, snapshot(twin)) };
  };

  it('plantUnreferencedLog: one new well-formed log in the chain folder, named for the chain', async () => {
    const c = chainOf(0);
    const { result, d } = await step(() => plantUnreferencedLog(twin, c));
    expect(result).toEqual({
      kind: 'unreferenced-log',
      bucket: twin.bucket,
      key: expect.stringMatching(/_CloudTrail_us-east-1_20240501T0130Z_UnreferencedLog0\.json\.gz$/),
    });
    expect(d).toEqual({ added: [result.key], removed: [], changed: [] });
    expect(result.key.startsWith(c.logPrefix)).toBe(true);
    const log = JSON.parse(gunzipSync(readFileSync(join(twin.root, twin.bucket, result.key))).toString('utf8')) as { Records: unknown[] };
    expect(log.Records).toHaveLength(1);
  });

  it('deleteDigest and deleteNewestDigests: the digests and their sidecars go', async () => {
    const c = chainOf(1);
    const { result, d } = await step(() => deleteDigest(twin, c));
    expect(result).toEqual({ kind: 'missing-digest', bucket: twin.bucket, key: c.digestKeys[2] });
    expect(d).toEqual({ added: [], removed: [c.digestKeys[2], sidecar(c.digestKeys[2]!)].sort(), changed: [] });
    const c2 = chainOf(2);
    const newest = await step(() => deleteNewestDigests(twin, c2, 2));
    expect(newest.result.map((t) => t.key)).toEqual([c2.digestKeys[3], c2.digestKeys[2]]);
    expect(newest.d.removed).toEqual([c2.digestKeys[2]!, sidecar(c2.digestKeys[2]!), c2.digestKeys[3]!, sidecar(c2.digestKeys[3]!)].sort());
    expect(newest.d.added.length + newest.d.changed.length).toBe(0);
    // validate-logs sees the middle digest gone.
    const { summary } = await validate(twin, c);
    expect(summary.exitCode).toBe(1);
  });

  it('deleteEarlierOfTwo: names the digest whose previous digest is gone', async () => {
    const c = chainOf(3);
    const { result, d } = await step(() => deleteEarlierOfTwo(twin, c));
    expect(result).toEqual({ kind: 'missing-previous-digest', bucket: twin.bucket, key: c.digestKeys[1], successor: c.digestKeys[2] });
    expect(d.removed).toEqual([c.digestKeys[1]!, sidecar(c.digestKeys[1]!)].sort());
    await expect(deleteEarlierOfTwo(twin, c, 3)).rejects.toThrow('digest 3 of 4 has no successor');
  });

  it('changeByte: one byte of a log or digest (the content, or the gzip bytes), nothing else', async () => {
    const c = chainOf(4);
    for (const [key, kind] of [
      [c.logKeys[3]!, 'modified-log'],
      [c.digestKeys[1]!, 'modified-digest'],
    ] as const) {
      const plain = gunzipSync(readFileSync(join(twin.root, twin.bucket, key)));
      const { result, d } = await step(() => changeByte(twin, key));
      expect(result.kind).toBe(kind);
      expect(d).toEqual({ added: [], removed: [], changed: [key] });
      const now = gunzipSync(readFileSync(join(twin.root, twin.bucket, key)));
      const differ = [...now].flatMap((b, i) => (b === plain[i] ? [] : [i]));
      expect(differ).toEqual([result.offset]);
      expect([String.fromCharCode(plain[result.offset!]!), String.fromCharCode(now[result.offset!]!)]).toEqual([result.before, result.after]);
      JSON.parse(now.toString('utf8')); // still well formed
    }
    const { summary, out } = await validate(twin, c);
    expect(summary.exitCode).toBe(1);
    expect(out.stderr).toContain(`s3://${twin.bucket}/${c.digestKeys[1]}\tINVALID`);
    const gz = await step(() => changeByte(twin, c.logKeys[0]!, { layer: 'gzip' }));
    expect(gz.d).toEqual({ added: [], removed: [], changed: [c.logKeys[0]] });
    expect(() => gunzipSync(readFileSync(join(twin.root, twin.bucket, c.logKeys[0]!)))).toThrow();
  });

  it('changeSignature: one hex digit of the sidecar, which stays well formed', async () => {
    const c = chainOf(5);
    const key = c.digestKeys[0]!;
    const { result, d } = await step(() => changeSignature(twin, key));
    expect(result).toMatchObject({ kind: 'modified-signature', bucket: twin.bucket, key });
    expect(d).toEqual({ added: [], removed: [], changed: [sidecar(key)] });
    expect(JSON.parse(readFileSync(join(twin.root, twin.bucket, sidecar(key)), 'utf8')).signature).toMatch(/^[0-9a-f]+$/);
    const { summary, out } = await validate(twin, c);
    expect(summary.exitCode).toBe(1);
    expect(out.stderr).toContain(`s3://${twin.bucket}/${key}\tINVALID`);
  });

  it('moveObject: a log or a digest (with its sidecar) under a new name, the same bytes', async () => {
    const c = chainOf(6);
    const log = c.logKeys[2]!;
    const bytes = readFileSync(join(twin.root, twin.bucket, log));
    const moved = await step(() => moveObject(twin, log));
    expect(moved.result).toEqual({
      kind: 'moved-log',
      bucket: twin.bucket,
      key: log.replace(/_[A-Za-z0-9]{16}\.json\.gz$/, '_MovedLogFile0000.json.gz'),
      from: log,
    });
    expect(moved.d).toEqual({ added: [moved.result.key], removed: [log], changed: [] });
    expect(readFileSync(join(twin.root, twin.bucket, moved.result.key))).toEqual(bytes);
    const digest = c.digestKeys[1]!;
    const md = await step(() => moveObject(twin, digest));
    expect(md.result.kind).toBe('moved-digest');
    expect(md.d.added).toEqual([md.result.key, sidecar(md.result.key)].sort());
    expect(md.d.removed).toEqual([digest, sidecar(digest)].sort());
    expect(readFileSync(join(twin.root, twin.bucket, sidecar(md.result.key)), 'utf8')).toBe(
      readFileSync(join(archive.root, archive.bucket, sidecar(digest)), 'utf8'),
    );
  });

  it('addUnexpectedObject: one object under AWSLogs/', async () => {
    const { result, d } = await step(() => addUnexpectedObject(twin));
    expect(result).toEqual({ kind: 'unexpected-object', bucket: twin.bucket, key: `AWSLogs/${twin.accounts[0]}/notes.txt` });
    expect(d).toEqual({ added: [result.key], removed: [], changed: [] });
  });

  it("removeDigestFolder: every digest of the chain and nothing else (not the other trail's)", async () => {
    const c = chainOf(7);
    const { result, d } = await step(() => removeDigestFolder(twin, c));
    expect(result.kind).toBe('missing-digest-folder');
    expect(result.key).toBe(c.digestPrefix);
    expect(result.removed).toEqual(c.digestKeys);
    expect(d).toEqual({ added: [], removed: c.digestKeys.flatMap((k) => [k, sidecar(k)]).sort(), changed: [] });
  });
});

import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { UNEXPECTED_NAMED } from '../../src/audit/discover.js';
import { runAudit } from '../../src/audit/run.js';
import type { AuditSink, AuditSummary, Finding } from '../../src/audit/types.js';
import { exportSignaturesCommand } from '../../src/cli/export-signatures.js';
import { digestKey, type DigestScope } from '../../src/format/names.js';
import { formatDisplay, MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import type { PublicKeySource } from '../../src/keys/types.js';
import { LocalStore, SIDECAR_SUFFIX } from '../../src/store/local.js';
import { archivePerTest } from '../helpers/signed-archive.js';

/**
 * stray-sidecar: on a local copy, a metadata sidecar under AWSLogs/ whose object is not beside it,
 * or whose object is not a digest (only a digest's metadata is read), is an error; a clean archive
 * (signed, or a sync-like copy given its sidecars by export-signatures) has none.
 */
const BUCKET = 'stray-bucket';
const A = '111122223333';
const REGIONS = ['us-east-1', 'eu-west-1'];
const H = MICROS_PER_HOUR;
const START = parseDate('2024-05-01T00:00:00Z').clock;
const HOURS = 4;
const END = START + HOURS * H;

const archive = archivePerTest({ bucket: BUCKET, accounts: [A], regions: REGIONS, start: START, hours: HOURS, trailName: 'org' });
let root: string;
let keys: PublicKeySource;
beforeEach(() => {
  root = archive.root();
  keys = archive.keys();
});

const scope = (region: string): DigestScope => ({ account: A, sourceRegion: region, homeRegion: 'us-east-1', trailName: 'org' });
const path = (key: string) => join(root, BUCKET, key);
const s3 = (key: string) => `s3://${BUCKET}/${key}`;
const SIGNED = '{"signature": "00", "signature-algorithm": "SHA256withRSA"}';

async function audit(at = root): Promise<{ findings: Finding[]; summary: AuditSummary }> {
  const findings: Finding[] = [];
  const sink: AuditSink = { header() {}, chainStart() {}, event() {}, finding: (f) => void findings.push(f), chainEnd() {}, summary() {} };
  const summary = await runAudit({ store: new LocalStore(at), bucket: BUCKET, keys, start: START, end: END, concurrency: 8 }, sink);
  return { findings, summary };
}

/** Every file of a folder tree, as keys below the bucket. */
function filesUnder(bucketDir: string, sub = ''): string[] {
  return readdirSync(join(bucketDir, sub), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(bucketDir, `${sub}${e.name}/`) : [`${sub}${e.name}`],
  );
}

const logFolder = (region: string) => `AWSLogs/${A}/CloudTrail/${region}/2024/05/01/`;
const firstLog = (region: string) => logFolder(region) + readdirSync(path(logFolder(region))).sort()[0]!;
const strays = (fs: Finding[]) => fs.filter((f) => f.code === 'stray-sidecar');

describe('stray-sidecar', () => {
  it('a clean signed archive: every digest has its sidecar, and none is stray', async () => {
    const sidecars = filesUnder(join(root, BUCKET)).filter((k) => k.endsWith(SIDECAR_SUFFIX));
    expect(sidecars.length).toBeGreaterThan(0);
    expect((await audit()).findings).toEqual([]);
  });

  it('a sidecar of no object (a digest name the archive lacks): one error naming it, the object not in this copy', async () => {
    const key = digestKey(scope('us-east-1'), START + 2 * H + 30 * 60e6) + SIDECAR_SUFFIX;
    writeFileSync(path(key), SIGNED);
    const { findings, summary } = await audit();
    expect(findings.map((f) => [f.code, f.severity, f.s3, f.chain, f.count])).toEqual([['stray-sidecar', 'error', s3(key), null, 1]]);
    expect(findings[0]!.message).toBe(
      `${s3(key)} is a metadata sidecar in the local copy: its object is not in this copy (deleted, or the sidecar was planted)`,
    );
    expect(summary.exitCode).toBe(1);
  });

  it('a digest deleted without its sidecar: its sidecar is named too', async () => {
    const digest = digestKey(scope('eu-west-1'), START + 2 * H);
    rmSync(path(digest));
    const { findings } = await audit();
    expect(strays(findings).map((f) => f.s3)).toEqual([s3(digest + SIDECAR_SUFFIX)]);
    expect(findings.filter((f) => f.code === 'missing-digest').length).toBeGreaterThan(0);
  });

  it('a sidecar beside a log: one error naming it, its object not a digest', async () => {
    const key = firstLog('eu-west-1') + SIDECAR_SUFFIX;
    writeFileSync(path(key), SIGNED);
    const { findings, summary } = await audit();
    expect(findings.map((f) => [f.code, f.severity, f.s3])).toEqual([['stray-sidecar', 'error', s3(key)]]);
    expect(findings[0]!.message).toMatch(/: its object is not a digest, and only a digest's metadata is ever read \(planted\)$/);
    expect(summary.exitCode).toBe(1);
  });

  it('a sidecar beside an object CloudTrail never writes: stray-sidecar, and the object unexpected-object', async () => {
    const object = `AWSLogs/${A}/notes.txt`;
    writeFileSync(path(object), 'hello');
    writeFileSync(path(object + SIDECAR_SUFFIX), SIGNED);
    const { findings } = await audit();
    expect(findings.map((f) => [f.code, f.s3]).sort()).toEqual([
      ['stray-sidecar', s3(object + SIDECAR_SUFFIX)],
      ['unexpected-object', s3(object)],
    ]);
  });

  it('outside AWSLogs/: not audited, no finding (a symbolic link there is: it can stand for a whole trail)', async () => {
    mkdirSync(path('elsewhere'), { recursive: true });
    writeFileSync(path(`elsewhere/x${SIDECAR_SUFFIX}`), SIGNED);
    writeFileSync(path(`top${SIDECAR_SUFFIX}`), SIGNED);
    expect((await audit()).findings).toEqual([]);
  });

  it(`more than ${UNEXPECTED_NAMED}: the first ${UNEXPECTED_NAMED} named in key order, then one finding with the count`, async () => {
    const extra = 3;
    const folder = logFolder('us-east-1');
    const made = Array.from({ length: UNEXPECTED_NAMED + extra }, (_, i) => `${folder}planted-${String(i).padStart(4, '0')}${SIDECAR_SUFFIX}`);
    for (const key of made) writeFileSync(path(key), SIGNED);
    const found = strays((await audit()).findings);
    expect(found.slice(0, UNEXPECTED_NAMED).map((f) => f.s3)).toEqual(made.slice(0, UNEXPECTED_NAMED).map(s3));
    expect(found.slice(UNEXPECTED_NAMED).map((f) => [f.s3, f.count, f.severity])).toEqual([[null, extra, 'error']]);
    expect(found[UNEXPECTED_NAMED]!.message).toBe(`${extra} more stray metadata sidecars under AWSLogs/`);
  });
});

describe('a sync-like copy given its sidecars by export-signatures: nothing stray', () => {
  const exportTo = async (target: string, withDigests: boolean) => {
    for (const region of REGIONS) {
      const argv = ['--trail-arn', `arn:aws:cloudtrail:us-east-1:${A}:trail/org`, '--start-time', formatDisplay(START), '--end-time', formatDisplay(END)];
      argv.push('--s3-bucket', BUCKET, '--region', region, '--source-root', root, '--local-root', target);
      if (withDigests) argv.push('--with-digests');
      expect(await exportSignaturesCommand(argv, { out: () => undefined })).toBe(0);
    }
  };
  /** A copy of the archive without some of its files (as `aws s3 sync` keeps no metadata). */
  const copyWithout = (drop: (key: string) => boolean): string => {
    const target = join(dirname(root), 'copy');
    for (const key of filesUnder(join(root, BUCKET)).filter((k) => !drop(k))) {
      mkdirSync(dirname(join(target, BUCKET, key)), { recursive: true });
      copyFileSync(path(key), join(target, BUCKET, key));
    }
    return target;
  };

  it('sidecars written beside the synced digests (putMetadata)', async () => {
    const target = copyWithout((k) => k.endsWith(SIDECAR_SUFFIX));
    const before = (await audit(target)).findings;
    expect(before.filter((f) => f.code === 'digest-invalid').length).toBeGreaterThan(0);
    expect(strays(before)).toEqual([]);
    await exportTo(target, false);
    expect((await audit(target)).findings).toEqual([]);
  });

  it('a digest delivered after the sync: no sidecar without it, a notice, exit 0', async () => {
    const digests = filesUnder(join(root, BUCKET)).filter((k) => k.includes(`/CloudTrail-Digest/${REGIONS[0]}/`) && k.endsWith('.json.gz'));
    const late = digests.sort().at(-1)!;
    const target = copyWithout((k) => k.endsWith(SIDECAR_SUFFIX) || k === late);
    const argv = ['--trail-arn', `arn:aws:cloudtrail:us-east-1:${A}:trail/org`, '--start-time', formatDisplay(START), '--end-time', formatDisplay(END)];
    argv.push('--s3-bucket', BUCKET, '--region', REGIONS[0]!, '--source-root', root, '--local-root', target);
    const out: string[] = [];
    const err: string[] = [];
    expect(await exportSignaturesCommand(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t) })).toBe(0);
    expect(out.join('')).toContain(`exported the metadata of ${digests.length - 1} digest files`);
    expect(out.join('')).toContain('1 digest not in the copy, skipped');
    expect(err.join('')).toMatch(/^notice: 1 digest of the window is on S3 and not in .*: sync the copy again, or export with --with-digests\n$/);
    expect(filesUnder(join(target, BUCKET)).filter((k) => k.startsWith(late))).toEqual([]);
    expect(strays((await audit(target)).findings)).toEqual([]);
  });

  it('digests and their sidecars written by export-signatures --with-digests (put with metadata)', async () => {
    const target = copyWithout((k) => k.includes('/CloudTrail-Digest/'));
    await exportTo(target, true);
    expect((await audit(target)).findings).toEqual([]);
  });
});

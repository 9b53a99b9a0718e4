import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAudit, type AuditOptions } from '../../src/audit/run.js';
import type { ChainMark } from '../../src/audit/state.js';
import type { AuditSink, AuditSummary, ChainRef, Finding } from '../../src/audit/types.js';
import { digestKey, logKey, type DigestScope } from '../../src/format/names.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import type { PublicKeySource } from '../../src/keys/types.js';
import { LocalStore, SIDECAR_SUFFIX } from '../../src/store/local.js';
import type { ReportEvent, ReportSink } from '../../src/verifier/types.js';
import { runValidation } from '../../src/verifier/validate.js';
import { archivePerTest } from '../helpers/signed-archive.js';
import { tempDir } from '../helpers/cli.js';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { signRegion } from '../../src/signer/sign.js';

/**
 * `trailproof audit` in-process on a small signed organization-like archive (3 accounts x 2 regions x
 * 8 hours, one trail): a clean archive has no finding; each planted change gives its finding once;
 * every chain's events equal a validate-logs run of that chain.
 */
const BUCKET = 'audit-bucket';
const ACCOUNTS = ['111122223333', '222233334444', '333344445555'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const H = MICROS_PER_HOUR;
const START = parseDate('2024-05-01T00:00:00Z').clock;
const HOURS = 8;
const END = START + HOURS * H;

const archive = archivePerTest({ bucket: BUCKET, accounts: ACCOUNTS, regions: REGIONS, start: START, hours: HOURS, trailName: 'org', recordsPerFile: 5 });
let keys: PublicKeySource;
let root: string;

const scope = (account: string, region: string): DigestScope => ({ account, sourceRegion: region, homeRegion: 'us-east-1', trailName: 'org' });

beforeEach(() => {
  root = archive.root();
  keys = archive.keys();
});

class Collect implements AuditSink {
  readonly findings: Finding[] = [];
  readonly events = new Map<string, ReportEvent[]>();
  /** Each chain block: its chain, and the findings given inside it. */
  readonly blocks: Array<{ chain: ChainRef; findings: string[] }> = [];
  private open: { chain: ChainRef; findings: string[] } | undefined;
  header(): void {}
  chainStart(chain: ChainRef): void {
    this.open = { chain, findings: [] };
  }
  event(chain: ChainRef, e: ReportEvent): void {
    const id = `${chain.account}/${chain.region}`;
    this.events.set(id, [...(this.events.get(id) ?? []), e]);
  }
  finding(f: Finding): void {
    this.findings.push(f);
    this.open?.findings.push(f.code);
  }
  chainEnd(): void {
    if (this.open) this.blocks.push(this.open);
    this.open = undefined;
  }
  summary(): void {}
}

async function audit(extra: Partial<AuditOptions> = {}): Promise<{ sink: Collect; summary: AuditSummary }> {
  const sink = new Collect();
  const summary = await runAudit({ store: new LocalStore(root), bucket: BUCKET, keys, start: START, end: END, concurrency: 16, verbose: true, ...extra }, sink);
  return { sink, summary };
}

const codes = (fs: Finding[]) => fs.map((f) => f.code).sort();
/** Deletes the files of a folder tree whose name passes `drop`. */
function rmFolderFiles(dir: string, drop: (name: string) => boolean): void {
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && drop(e.name)) rmSync(join(e.parentPath, e.name));
  }
}
const path = (key: string) => join(root, BUCKET, key);
const digestPath = (account: string, region: string, hour: number) => path(digestKey(scope(account, region), START + hour * H));
/** Deletes a digest as on S3: the object with its metadata (a sidecar left alone is stray-sidecar). */
const rmDigest = (account: string, region: string, hour: number) => {
  rmSync(digestPath(account, region, hour));
  rmSync(digestPath(account, region, hour) + SIDECAR_SUFFIX);
};

describe('a clean archive', () => {
  it('finds every chain, reports no finding, exit 0', async () => {
    const { sink, summary } = await audit();
    expect(summary.chains).toBe(ACCOUNTS.length * REGIONS.length);
    expect(sink.findings).toEqual([]);
    expect(summary.exitCode).toBe(0);
    expect(summary.digests.invalid).toBe(0);
    expect(summary.digests.valid).toBe(ACCOUNTS.length * REGIONS.length * HOURS);
  });

  it("gives for every chain exactly validate-logs' events for that chain", async () => {
    const { sink } = await audit();
    for (const account of ACCOUNTS) {
      for (const region of REGIONS) {
        const events: ReportEvent[] = [];
        const one: ReportSink = { header: () => undefined, event: (e) => void events.push(e), summary: () => undefined };
        await runValidation({ store: new LocalStore(root), keys, scope: scope(account, region), bucket: BUCKET, start: START, end: END }, one);
        expect(sink.events.get(`${account}/${region}`)).toEqual(events);
      }
    }
  });

  it('a run that walks no chain at all (a wrong prefix, a window before the archive) is no-digests, exit 1', async () => {
    for (const extra of [{ prefix: 'not-the-prefix' }, { start: START - 48 * H, end: START - 24 * H }]) {
      const { sink, summary } = await audit(extra);
      expect(sink.findings.map((f) => [f.code, f.severity, f.chain])).toEqual([['no-digests', 'error', null]]);
      expect(sink.findings[0]!.message).toMatch(/^no digest of any chain under s3:\/\/audit-bucket.* nothing was checked$/);
      expect(summary.chains).toBe(0);
      expect(summary.exitCode).toBe(1);
    }
  });

  it('--accounts and --regions narrow it; a requested account without digests is no-digests', async () => {
    const { summary, sink } = await audit({ filters: { accounts: [ACCOUNTS[0]!, '999999999999'], regions: ['eu-west-1'] } });
    expect(summary.chains).toBe(1);
    expect(codes(sink.findings)).toEqual(['no-digests']);
    expect(sink.findings[0]!.message).toContain('999999999999');
  });

  it('--regions alone: a requested region without digests is no-digests, the others are audited', async () => {
    const { summary, sink } = await audit({ filters: { regions: ['eu-west-1', 'ap-south-1'] } });
    expect(summary.chains).toBe(ACCOUNTS.length);
    expect(sink.findings.map((f) => [f.code, f.message])).toEqual([
      ['no-digests', 'no digest in region ap-south-1 from 2024-05-01T00:00:00Z to 2024-05-01T08:00:00Z'],
    ]);
    expect(summary.exitCode).toBe(1);
  });
});

describe('planted tampering: each gives its finding, once', () => {
  const [A, B] = ACCOUNTS as [string, string];

  it('a log no digest references: unreferenced-log naming it', async () => {
    const key = logKey({ account: A }, 'us-east-1', START + 3 * H + 7 * 60e6, 'PlantedLogAbCdEf');
    writeFileSync(path(key), gzipSync('{"Records":[]}'));
    const { sink, summary } = await audit();
    expect(codes(sink.findings)).toEqual(['unreferenced-log']);
    expect(sink.findings[0]!.s3).toBe(`s3://${BUCKET}/${key}`);
    expect(summary.exitCode).toBe(1);
  });

  it("a log filed in another day's folder than its stamp's: unreferenced-log naming it (an added log, whatever day it claims)", async () => {
    // Named as delivered the day before, in the window's day folder (only the window's days are read).
    const key = logKey({ account: A }, 'us-east-1', START - 21 * H + 7 * 60e6, 'MisplacedLogAbCd').replace('/2024/04/30/', '/2024/05/01/');
    expect(key).toContain('/2024/05/01/');
    mkdirSync(dirname(path(key)), { recursive: true });
    writeFileSync(path(key), gzipSync('{"Records":[]}'));
    const { sink, summary } = await audit();
    expect(sink.findings.map((f) => [f.code, f.severity, f.s3])).toEqual([['unreferenced-log', 'error', `s3://${BUCKET}/${key}`]]);
    expect(sink.findings[0]!.message).toContain('lies in a folder CloudTrail does not file it in');
    expect(summary.exitCode).toBe(1);
  });

  it('symbolic links in a local copy (a planted log, a day folder of planted logs): symlinked-object naming each, logs not read', async () => {
    // S3 has no links: a link under AWSLogs/ was made in the copy, and a SIEM reading the copy would read what it points to.
    const outside = join(dirname(root), 'elsewhere');
    mkdirSync(join(outside, 'day'), { recursive: true });
    writeFileSync(join(outside, 'planted.json.gz'), gzipSync('{"Records":[]}'));
    const log = logKey({ account: A }, 'us-east-1', START + 3 * H + 7 * 60e6, 'LinkedLogAbCdEfG');
    symlinkSync(join(outside, 'planted.json.gz'), path(log));
    // A day folder in the days before the window whose digests discovery reads (discovery-window.ts).
    const day = digestKey(scope(A, 'eu-west-1'), START).replace(/\/2024\/05\/01\/.*$/, '/2024/04/30');
    mkdirSync(dirname(path(day)), { recursive: true });
    symlinkSync(join(outside, 'day'), path(day));
    const { sink, summary } = await audit();
    expect(sink.findings.map((f) => [f.code, f.severity, f.s3]).sort()).toEqual(
      [
        ['symlinked-object', 'error', `s3://${BUCKET}/${day}`],
        ['symlinked-object', 'error', `s3://${BUCKET}/${log}`],
      ].sort(),
    );
    expect(summary.exitCode).toBe(1);
  });

  it('two digests deleted in a row: both hours are missing digests (validate-logs names only one)', async () => {
    rmDigest(A, 'us-east-1', 4);
    rmDigest(A, 'us-east-1', 5);
    const { sink } = await audit();
    const missing = sink.findings.filter((f) => f.code === 'missing-digest');
    expect(missing.map((f) => f.to)).toEqual([START + 5 * H, START + 4 * H]);
    expect(codes(sink.findings.filter((f) => f.code !== 'missing-digest'))).toEqual(['unchecked-logs', 'unchecked-logs']);
  });

  it('the newest digests deleted: chain-stops, saying logs go on after it', async () => {
    rmDigest(B, 'eu-west-1', 8);
    rmDigest(B, 'eu-west-1', 7);
    rmDigest(B, 'eu-west-1', 6);
    const { sink } = await audit();
    const stops = sink.findings.filter((f) => f.code === 'chain-stops');
    expect(stops).toHaveLength(1);
    expect(stops[0]!.message).toMatch(/log file\(s\) were delivered after it: its newest digests were probably deleted/);
    expect(sink.findings.filter((f) => f.code === 'unreferenced-log').length).toBeGreaterThan(0);
  });

  it('every digest of a chain in the window deleted, older ones kept: chain-stops for the chain and no-digests for its logs (was silent)', async () => {
    for (let h = 4; h <= HOURS; h++) rmDigest(B, 'eu-west-1', h);
    const { sink, summary } = await audit({ start: START + 4 * H });
    const mine = sink.findings.filter((f) => f.chain?.account === B && f.chain.region === 'eu-west-1');
    expect(mine.map((f) => [f.code, f.severity])).toEqual([['chain-stops', 'warning']]);
    expect(mine[0]!.message).toMatch(/stamped 2024-05-01T03:00:00Z, before the audited window .*log file\(s\) of its folder were delivered in the window/);
    // The chain is a report block of its own.
    expect(sink.blocks.at(-1)).toEqual({ chain: mine[0]!.chain, findings: ['chain-stops'] });
    const logs = sink.findings.filter((f) => f.code === 'no-digests');
    expect(logs).toHaveLength(1);
    expect(logs[0]!.message).toMatch(new RegExp(`^\\d+ log files of ${B} eu-west-1 in range, and no digest of any trail for them$`));
    expect(summary.exitCode).toBe(1);
  });

  it('a chain that ended before the window with no log in it (logging stopped): one chain-stops warning, exit 0', async () => {
    for (let h = 4; h <= HOURS; h++) rmDigest(B, 'eu-west-1', h);
    rmFolderFiles(join(root, BUCKET, 'AWSLogs', B, 'CloudTrail', 'eu-west-1'), (name) => name > `${B}_CloudTrail_eu-west-1_20240501T0300Z`);
    const { sink, summary } = await audit({ start: START + 4 * H });
    expect(sink.findings.map((f) => [f.code, f.chain?.account, f.chain?.region])).toEqual([['chain-stops', B, 'eu-west-1']]);
    expect(sink.findings[0]!.message).toMatch(/no log file of its folder was delivered in the window: logging was probably stopped$/);
    expect(summary.exitCode).toBe(0);
  });

  it('a chain that begins after the window (a trail made later: its oldest digest starts the chain): nothing about it', async () => {
    const dir = tempDir();
    await copyKeyStore(TEST_KEYS, join(dir.path, 'keys'));
    await signRegion({
      store: new LocalStore(root),
      keys: new KeyStore(join(dir.path, 'keys')),
      bucket: BUCKET,
      scope: { account: B, sourceRegion: 'eu-west-1', homeRegion: 'us-east-1', trailName: 'later' },
      until: END,
      lookback: 24 * H,
      startAt: START + 4 * H,
      concurrency: 8,
      now: () => END + H,
      warn: () => undefined,
    });
    dir.cleanup();
    const { sink, summary } = await audit({ end: START + H });
    expect(summary.chains).toBe(ACCOUNTS.length * REGIONS.length);
    expect(sink.findings).toEqual([]);
  });

  it("the same chain, its window's digests deleted and the oldest one left replaced by a forged starting digest: walked, no-digests", async () => {
    for (let h = 1; h <= 3; h++) rmDigest(B, 'eu-west-1', h);
    rmFolderFiles(join(root, BUCKET, 'AWSLogs', B, 'CloudTrail', 'eu-west-1'), (name) => name < `${B}_CloudTrail_eu-west-1_20240501T0300Z`);
    const oldest = digestPath(B, 'eu-west-1', 4);
    const json = JSON.parse(gunzipSync(readFileSync(oldest)).toString('utf8')) as Record<string, unknown>;
    writeFileSync(
      oldest,
      gzipSync(
        JSON.stringify({ ...json, previousDigestS3Object: null, previousDigestS3Bucket: null, previousDigestSignature: null, previousDigestHashValue: null }),
      ),
    );
    const { sink, summary } = await audit({ end: START + H });
    const here = sink.findings.filter((f) => f.chain?.account === B && f.chain.region === 'eu-west-1');
    expect(here.map((f) => f.code)).toContain('no-digests');
    expect(summary.exitCode).toBe(1);
  });

  it("a chain whose window's digests were deleted, so that it seems to begin after it (its oldest digest links back): walked, no-digests", async () => {
    for (let h = 1; h <= 3; h++) rmDigest(B, 'eu-west-1', h);
    rmFolderFiles(join(root, BUCKET, 'AWSLogs', B, 'CloudTrail', 'eu-west-1'), (name) => name < `${B}_CloudTrail_eu-west-1_20240501T0300Z`);
    const { sink, summary } = await audit({ end: START + H });
    const here = sink.findings.filter((f) => f.chain?.account === B && f.chain.region === 'eu-west-1');
    expect(here.map((f) => f.code)).toContain('no-digests');
    expect(summary.exitCode).toBe(1);
  });

  it('a changed log: log-invalid', async () => {
    const { sink: before } = await audit();
    expect(before.findings).toEqual([]);
    const events = [...before.events.values()].flat().filter((e) => e.type === 'log');
    const target = events[3]!;
    if (target.type !== 'log') throw new Error('not a log');
    writeFileSync(path(target.key), gzipSync('{"Records":[{"eventTime":"2024-05-01T00:00:00Z"}]}'));
    const { sink } = await audit();
    expect(codes(sink.findings)).toEqual(['log-invalid']);
    expect(sink.findings[0]!.message).toContain("hash value doesn't match");
  });

  it('an object that is neither log nor digest: unexpected-object (info, exit 0)', async () => {
    writeFileSync(join(root, BUCKET, 'AWSLogs', A, 'notes.txt'), 'hello');
    const { sink, summary } = await audit();
    expect(codes(sink.findings)).toEqual(['unexpected-object']);
    expect(sink.findings[0]!.severity).toBe('info');
    expect(summary.exitCode).toBe(0);
  });
});

describe('--state', () => {
  it('a second run starts after the recorded digests; deleting the newest digest afterwards is history-rewritten', async () => {
    const state = new Map<string, ChainMark>();
    const first = await audit({ state });
    expect(first.summary.exitCode).toBe(0);
    expect(state.size).toBe(ACCOUNTS.length * REGIONS.length);
    const again = await audit({ state });
    expect(again.sink.findings).toEqual([]);
    // Only each chain's recorded digest is read again (its key is stamped at the new start, §2).
    expect(again.summary.digests.valid).toBe(ACCOUNTS.length * REGIONS.length);
    const newest = digestPath(ACCOUNTS[2]!, 'us-east-1', HOURS);
    const bytes = readFileSync(newest);
    rmSync(newest);
    // Within 2 hours of the end: without the state, this deletion is invisible to the chain.
    const { sink } = await audit({ state });
    expect(codes(sink.findings)).toContain('history-rewritten');
    writeFileSync(newest, bytes);
  });

  it('a chain whose every digest was deleted after a run recorded it is history-rewritten, not silently gone', async () => {
    const state = new Map<string, ChainMark>();
    await audit({ state });
    expect(state.size).toBe(ACCOUNTS.length * REGIONS.length);
    // The whole CloudTrail-Digest folder of one account and region: discovery no longer finds the chain.
    rmSync(join(root, BUCKET, 'AWSLogs', ACCOUNTS[1]!, 'CloudTrail-Digest', 'eu-west-1'), { recursive: true });
    const { sink, summary } = await audit({ state });
    const rewritten = sink.findings.filter((f) => f.code === 'history-rewritten');
    expect(rewritten).toHaveLength(1);
    expect(rewritten[0]).toMatchObject({ severity: 'error', chain: { account: ACCOUNTS[1], region: 'eu-west-1', trail: 'org' } });
    expect(rewritten[0]!.message).toMatch(/is gone, and the run found no digest of its chain$/);
    expect(summary.exitCode).toBe(1);
    // Reported as a chain block of its own (the reports built per chain, JUnit and HTML, show it), after the others.
    expect(sink.blocks.at(-1)).toEqual({ chain: rewritten[0]!.chain, findings: ['history-rewritten'] });
    expect(summary.chains).toBe(ACCOUNTS.length * REGIONS.length);
    // Its mark stays: the next run says it again.
    expect(state.size).toBe(ACCOUNTS.length * REGIONS.length);
    // A run filtered to other accounts does not speak of it.
    const other = await audit({ state: new Map(state), filters: { accounts: [ACCOUNTS[0]!] } });
    expect(other.sink.findings.filter((f) => f.code === 'history-rewritten')).toEqual([]);
  });

  it('the mark is the newest digest ending by --end-time: a log planted in the hour after it is found by the next run', async () => {
    // The walk reads one digest past the end (§2); marked, the next run would start after the hour it covers.
    const state = new Map<string, ChainMark>();
    await audit({ state, end: END - 3 * H });
    expect([...state.values()].every((m) => m.end <= END - 3 * H)).toBe(true);
    const key = logKey({ account: ACCOUNTS[0]! }, 'us-east-1', END - 3 * H + 30 * 60e6, 'PlantedAfterEndA');
    writeFileSync(path(key), gzipSync('{"Records":[]}'));
    const { sink } = await audit({ state });
    expect(sink.findings.map((f) => [f.code, f.s3])).toEqual([['unreferenced-log', `s3://${BUCKET}/${key}`]]);
  });

  it('an earlier period audited again with the state is walked whole (never nothing), and the later mark is kept', async () => {
    const state = new Map<string, ChainMark>();
    await audit({ state });
    const marks = new Map(state);
    // A log of the second hour changed: checked again although the marks are later.
    const log = readdirSync(join(root, BUCKET, 'AWSLogs', ACCOUNTS[0]!, 'CloudTrail', 'us-east-1', '2024', '05', '01')).find((n) => n.includes('T01'))!;
    const file = join(root, BUCKET, 'AWSLogs', ACCOUNTS[0]!, 'CloudTrail', 'us-east-1', '2024', '05', '01', log);
    writeFileSync(file, gzipSync('{"Records":[{"planted":true}]}'));
    const { sink, summary } = await audit({ state, end: START + 3 * H });
    expect(codes(sink.findings)).toEqual(['log-invalid']);
    expect(summary.digests.valid).toBeGreaterThan(0);
    expect(state).toEqual(marks);
  });

  it('new digests after the recorded one must link back to it', async () => {
    const state = new Map<string, ChainMark>();
    await audit({ state, end: END - 2 * H });
    expect(state.size).toBe(ACCOUNTS.length * REGIONS.length);
    const linked = await audit({ state });
    expect(linked.sink.findings).toEqual([]);
    // A rewritten recorded digest (same key, other bytes) is caught on the next run.
    const state2 = new Map<string, ChainMark>();
    await audit({ state: state2, end: END - 2 * H });
    const mark = [...state2.values()][1]!;
    writeFileSync(path(mark.key), gzipSync('{}'));
    const { sink } = await audit({ state: state2 });
    expect(sink.findings.filter((f) => f.code === 'history-rewritten').length).toBeGreaterThan(0);
  });
});

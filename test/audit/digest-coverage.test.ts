import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run.js';
import type { AuditSink, AuditSummary, Finding } from '../../src/audit/types.js';
import { digestKey, logKey, type DigestScope } from '../../src/format/names.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import type { PublicKeySource } from '../../src/keys/types.js';
import { LocalStore } from '../../src/store/local.js';
import { archivePerTest } from '../helpers/signed-archive.js';

/**
 * Digests the walk never reads (audit/digest-coverage.ts): validate-logs follows the previous-digest
 * links from the newest key of a listing that ends at the first key that reads as past the window.
 * A digest no link leads to, or every digest behind a key that merely reads as late, passed the
 * audit in silence; the changed logs of the hidden hours were only `pending`.
 */
const BUCKET = 'coverage-bucket';
const ACCOUNT = '111122223333';
const H = MICROS_PER_HOUR;
const START = parseDate('2024-05-01T00:00:00Z').clock;
const HOURS = 6;
const END = START + HOURS * H;
const scope: DigestScope = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'org' };

const archive = archivePerTest({
  bucket: BUCKET,
  accounts: [ACCOUNT],
  regions: ['us-east-1'],
  start: START,
  hours: HOURS,
  trailName: 'org',
  recordsPerFile: 3,
});
let keys: PublicKeySource;
let root: string;

beforeEach(() => {
  root = archive.root();
  keys = archive.keys();
});

class Collect implements AuditSink {
  readonly findings: Finding[] = [];
  header(): void {}
  chainStart(): void {}
  event(): void {}
  finding(f: Finding): void {
    this.findings.push(f);
  }
  chainEnd(): void {}
  summary(): void {}
}

async function audit(): Promise<{ findings: Finding[]; summary: AuditSummary }> {
  const sink = new Collect();
  const summary = await runAudit({ store: new LocalStore(root), bucket: BUCKET, keys, start: START, end: END, concurrency: 8 }, sink);
  return { findings: sink.findings, summary };
}

const path = (key: string) => join(root, BUCKET, key);
const errors = (fs: Finding[]) => fs.filter((f) => f.severity === 'error');
/** The digest key of the hour ending at START + hour, with a tail after its stamp (still taken for the chain's by validate-logs' matcher). */
const lateKey = (hour: number, tail: string) => digestKey(scope, START + hour * H).replace(/\.json\.gz$/, `${tail}.json.gz`);

describe('digests the walk never reads', () => {
  it('a clean archive: every digest in the range is walked, nothing reported', async () => {
    const { findings, summary } = await audit();
    expect(findings).toEqual([]);
    expect(summary.exitCode).toBe(0);
  });

  it('a key that reads as late hides the newest digests: each hidden digest is digest-not-walked, and the run fails', async () => {
    // Sorts just before the 05:00 digest; its last 16 characters read as a stamp past the window.
    const stop = lateKey(5, '').replace('T050000Z', 'T045959Z_99999999T999999Z');
    writeFileSync(path(stop), '');
    // The hidden hours' logs rewritten: before this rule they were only `pending` (info).
    for (const minute of [5, 35])
      writeFileSync(path(logKey({ account: ACCOUNT }, 'us-east-1', START + 4 * H + minute * 60e6, 'RewrittenLogAbCd')), gzipSync('{"Records":[]}'));
    const { findings, summary } = await audit();
    const hidden = errors(findings).filter((f) => f.code === 'digest-not-walked');
    expect(hidden.map((f) => f.s3)).toEqual([5, 6].map((h) => `s3://${BUCKET}/${digestKey(scope, START + h * H)}`));
    expect(summary.exitCode).toBe(1);
  });

  it('a digest no link leads to (planted, garbage or not): digest-not-walked naming it', async () => {
    const planted = digestKey(scope, START + 3 * H + 30 * 60e6);
    writeFileSync(path(planted), gzipSync('{"not":"a digest"}'));
    const { findings, summary } = await audit();
    expect(errors(findings).map((f) => [f.code, f.s3])).toEqual([['digest-not-walked', `s3://${BUCKET}/${planted}`]]);
    expect(summary.exitCode).toBe(1);
  });
});

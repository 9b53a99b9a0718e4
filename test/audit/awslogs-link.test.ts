import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { logKey } from '../../src/format/names.js';
import { MICROS_PER_HOUR } from '../../src/format/time.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive } from '../helpers/org-archive.js';

/**
 * A local copy whose `AWSLogs` folder itself, or a prefix folder above it, is a symbolic link
 * (review). The listing does not follow links, and one above `AWSLogs/` was skipped in silence: in a
 * bucket of several trails (prefixes) one trail's whole archive went unaudited, exit 0, while every
 * tool reading the copy (validate-logs included) follows the link and reads it. S3 has no links:
 * every link of the copy is symlinked-object (error), wherever it is.
 */
const H = MICROS_PER_HOUR;

describe('a symbolic link standing for an AWSLogs folder', () => {
  it('of one trail of two (prefixes a and b), with a planted log behind it: reported', async () => {
    const a = await buildOrgArchive({
      accounts: 1,
      regions: ['us-east-1'],
      hours: 6,
      trails: [
        { name: 't1', prefix: 'a' },
        { name: 't2', prefix: 'b' },
      ],
    });
    try {
      const c = a.chain(a.accounts[0]!, 'us-east-1', 't1');
      // A log no digest references, in trail t1's folder: unreferenced-log when the folder is audited.
      const planted = logKey({ prefix: 'a', account: c.scope.account }, 'us-east-1', a.start + 2 * H + 18 * 60e6, 'PlantedPlanted00');
      await a.store.put(a.bucket, planted, gzipSync(JSON.stringify({ Records: [] })));
      const folder = join(a.root, a.bucket, 'a', 'AWSLogs');
      renameSync(folder, join(a.root, a.bucket, 'a', 'stash'));
      symlinkSync('stash', folder);
      const { findings, summary } = await auditOrg(a);
      expect(findings.map((f) => [f.code, f.s3])).toContainEqual(['symlinked-object', `s3://${a.bucket}/a/AWSLogs`]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 60_000);

  it('the bucket`s own AWSLogs beside a prefixed trail: reported', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 6, trails: [{ name: 't1' }, { name: 't2', prefix: 'b' }] });
    try {
      const folder = join(a.root, a.bucket, 'AWSLogs');
      renameSync(folder, join(a.root, a.bucket, 'stash'));
      symlinkSync('stash', folder);
      const { findings, summary } = await auditOrg(a);
      expect(findings.map((f) => [f.code, f.s3])).toContainEqual(['symlinked-object', `s3://${a.bucket}/AWSLogs`]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 60_000);

  it('a prefix folder of one trail of two, and a link elsewhere outside AWSLogs/: each reported', async () => {
    const a = await buildOrgArchive({
      accounts: 1,
      regions: ['us-east-1'],
      hours: 6,
      trails: [
        { name: 't1', prefix: 'a/b' },
        { name: 't2', prefix: 'c' },
      ],
    });
    try {
      renameSync(join(a.root, a.bucket, 'a'), join(a.root, a.bucket, 'stash'));
      symlinkSync('stash', join(a.root, a.bucket, 'a'));
      mkdirSync(join(a.root, a.bucket, 'other'));
      writeFileSync(join(a.root, a.bucket, 'other', 'notes.txt'), 'notes');
      symlinkSync('notes.txt', join(a.root, a.bucket, 'other', 'link'));
      const { findings, summary } = await auditOrg(a);
      expect(findings.filter((f) => f.code === 'symlinked-object').map((f) => [f.s3, f.severity])).toEqual([
        [`s3://${a.bucket}/a`, 'error'],
        [`s3://${a.bucket}/other/link`, 'error'],
      ]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 60_000);
});

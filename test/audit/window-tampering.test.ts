import { mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { logKey } from '../../src/format/names.js';
import { formatYmdPath, MICROS_PER_HOUR } from '../../src/format/time.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive, type OrgArchive } from '../helpers/org-archive.js';

/**
 * Tampering aimed at the discovery window (discovery-window.ts: only the window's days, and for
 * digests the lookback on, are listed), found by a review: each was reported (exit 1) when the
 * whole history was listed, and must still be.
 */
const H = MICROS_PER_HOUR;
const DAY = 24 * H;

/** Replaces the folder `folder` (a key prefix ending in '/') by a symbolic link to a copy of it elsewhere in the bucket (outside AWSLogs/). */
function symlinkFolder(a: OrgArchive, folder: string, hideAs: string): string {
  const path = join(a.root, a.bucket, ...folder.slice(0, -1).split('/'));
  const target = join(a.root, a.bucket, 'hidden', hideAs);
  mkdirSync(dirname(target), { recursive: true });
  renameSync(path, target);
  symlinkSync(relative(dirname(path), target), path);
  return folder.slice(0, -1);
}

describe('a symbolic link replacing a year or month folder that holds the window', () => {
  it('log folder: a year folder made a link (a planted log behind it) is still reported', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 6 });
    try {
      const c = a.chains[0]!;
      const link = symlinkFolder(a, `${c.logPrefix}2024/`, 'logs-2024');
      // A log no digest references, behind the link: never listed.
      const planted = logKey({ account: c.scope.account }, 'us-east-1', a.start + 2 * H + 18 * 60e6, 'PlantedPlanted00');
      await a.store.put(a.bucket, planted, gzipSync(JSON.stringify({ Records: [] })));
      const { findings, summary } = await auditOrg(a);
      // Listing only the window's days once let this pass with exit 0.
      expect(findings.map((f) => [f.code, f.s3])).toContainEqual(['symlinked-object', `s3://${a.bucket}/${link}`]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 60_000);

  it('log folder, organization trail: a month folder made a link is still reported', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 6, organizationId: 'o-abcdefghij' });
    try {
      const c = a.chains[0]!;
      const link = symlinkFolder(a, `${c.logPrefix}2024/05/`, 'logs-05');
      const { findings, summary } = await auditOrg(a);
      expect(findings.map((f) => [f.code, f.s3])).toContainEqual(['symlinked-object', `s3://${a.bucket}/${link}`]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 60_000);

  it('digest and log folders: a whole account-region hidden behind two year links is still reported', async () => {
    const a = await buildOrgArchive({ accounts: 2, regions: ['us-east-1'], hours: 6 });
    try {
      const c = a.chains[0]!;
      symlinkFolder(a, `${c.logPrefix}2024/`, 'l/2024');
      symlinkFolder(a, `${c.digestPrefix}2024/`, 'd/2024');
      const { findings, summary } = await auditOrg(a);
      // Listing only the window's days once let this pass: the other account's chain alone, exit 0.
      expect(findings.filter((f) => f.code === 'symlinked-object')).toHaveLength(2);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 60_000);
});

describe('auditing a past window: a chain that goes on after it', () => {
  it('with its digests of the window and the day after deleted (and the window`s logs) is not an ended chain', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1', 'eu-west-1'], hours: 12 * 24, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const c = a.chain(a.accounts[0]!, 'us-east-1');
      const start = a.start + 8 * DAY;
      const end = start + 6 * H;
      for (const day of [start, start + DAY]) {
        rmSync(join(a.root, a.bucket, ...`${c.digestPrefix}${formatYmdPath(day)}`.split('/')), { recursive: true });
        if (day === start) rmSync(join(a.root, a.bucket, ...`${c.logPrefix}${formatYmdPath(day)}`.split('/')), { recursive: true });
      }
      const { findings, summary } = await auditOrg(a, start, end);
      // The chain has digests before the window and from two days after it on: its window's digests
      // were deleted: walked (no-digests, an error). Reading digests only to the day after the window
      // once made it a chain ended before the window (chain-stops, a warning), exit 0.
      expect(findings.filter((f) => f.severity === 'error').map((f) => f.code)).not.toEqual([]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 120_000);

  it('with its digests from 7 days before the window to the day after deleted (and the window`s logs) is still reported', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1', 'eu-west-1'], hours: 12 * 24, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const c = a.chain(a.accounts[0]!, 'us-east-1');
      const start = a.start + 9 * DAY;
      const end = start + 6 * H;
      for (let day = start - 7 * DAY; day <= start + DAY; day += DAY)
        rmSync(join(a.root, a.bucket, ...`${c.digestPrefix}${formatYmdPath(day)}`.split('/')), { recursive: true });
      rmSync(join(a.root, a.bucket, ...`${c.logPrefix}${formatYmdPath(start)}`.split('/')), { recursive: true });
      const { findings, summary } = await auditOrg(a, start, end);
      // Digests before and after remain (the chain is neither history nor new): walked (no-digests,
      // exit 1). Reading digests only to the day after the window once missed it (exit 0, no finding).
      expect(findings.filter((f) => f.severity === 'error').map((f) => f.code)).not.toEqual([]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 120_000);
});

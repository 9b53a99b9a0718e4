import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestKeyStamp } from '../../src/format/names.js';
import { formatStamp, formatYmdPath, MICROS_PER_HOUR } from '../../src/format/time.js';
import { signRegion } from '../../src/signer/sign.js';
import { SIDECAR_SUFFIX } from '../../src/store/local.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive, objectPath, type OrgArchive } from '../helpers/org-archive.js';

const H = MICROS_PER_HOUR;
/** Deletes a digest and its metadata sidecar, as deleting the S3 object does. */
function rmDigest(a: OrgArchive, key: string): void {
  rmSync(objectPath(a, key), { force: true });
  rmSync(objectPath(a, key) + SIDECAR_SUFFIX, { force: true });
}
const DAY = 24 * H;

/**
 * A starting digest is written for a new trail and when logging restarts: a restart after a past
 * window whose digests (and the lookback's) were deleted must not pass for a new trail
 * (begun-before.ts: the chain's history before the lookback is looked at).
 */
describe('begun-before and a genuine restart after the window', () => {
  it('a chain restarted (StopLogging/StartLogging) after a past window, its digests from the lookback up to the restart deleted, is still reported', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1', 'eu-west-1'], hours: 12 * 24, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const c = a.chain(a.accounts[0]!, 'us-east-1');
      const start = a.start + 9 * DAY;
      const end = start + 6 * H;
      const restart = start + DAY; // logging stopped and started again a day after the window
      // CloudTrail's digests from the restart on: a new chain (null previousDigestS3Object), genuinely signed.
      for (const key of c.digestKeys) if (digestKeyStamp(key) > formatStamp(restart)) rmDigest(a, key);
      await signRegion({
        store: a.store,
        keys: a.keys,
        bucket: a.bucket,
        scope: c.scope,
        until: a.end,
        newChainAt: restart,
        lookback: 24 * H,
        concurrency: 4,
        now: () => a.end,
        warn: () => undefined,
      });
      // Sanity: before the deletion, the chain is walked and clean.
      const clean = await auditOrg(a, start, end);
      expect(clean.findings.map((f) => `${f.severity} ${f.code} ${f.message}`)).toEqual([]);
      // The attacker: the window's logs, and the chain's digests from the lookback up to the restart.
      for (const key of c.digestKeys) {
        const s = digestKeyStamp(key);
        if (s >= formatStamp(start - 7 * DAY) && s <= formatStamp(restart)) rmDigest(a, key);
      }
      rmSync(join(a.root, a.bucket, ...`${c.logPrefix}${formatYmdPath(start)}`.split('/')), { recursive: true });
      const { findings, summary } = await auditOrg(a, start, end);
      // With the whole history listed, the chain's digests before the lookback (May 1 to 3) and after
      // the restart make it one that reaches the window: walked, no-digests, exit 1.
      expect(findings.filter((f) => f.severity === 'error').map((f) => f.code)).not.toEqual([]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 180_000);
});

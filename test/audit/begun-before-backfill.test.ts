import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { digestKeyStamp, logKey } from '../../src/format/names.js';
import { formatYmdPath, MICROS_PER_HOUR } from '../../src/format/time.js';
import { backfillRegion } from '../../src/signer/backfill.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive } from '../helpers/org-archive.js';

/**
 * begun-before.ts leaves a chain that seems to begin after the window unwalked when its oldest digest
 * read is a verified starting digest (null previousDigestS3Object). The first digest of a backfill
 * chain has a null previous digest too, and it says nothing of where the standard chain begins
 * (review): a young trail's window digests and logs deleted, up to a backfill digest after the
 * window, hid the chain although its later standard digests still link back into the deleted hours.
 */
const H = MICROS_PER_HOUR;
const DAY = 24 * H;

describe('a chain whose oldest digest read is a backfill digest after the window', () => {
  it('is walked: its standard digests link back into the window', async () => {
    // Two regions: the other chain is clean, so the run does not end in "nothing was checked".
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1', 'eu-west-1'], hours: 4 * 24, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const c = a.chain(a.accounts[0]!, 'us-east-1');
      // A late log two days in, signed by a backfill digest (the first of its backfill chain).
      const late = logKey({ account: c.scope.account }, 'us-east-1', a.start + 2 * DAY + 30 * 60e6, 'LateLateLateLate');
      await a.store.put(a.bucket, late, gzipSync(JSON.stringify({ Records: [] })));
      const warnings: string[] = [];
      const made = await backfillRegion({
        store: a.store,
        keys: a.keys,
        bucket: a.bucket,
        scope: c.scope,
        until: a.end,
        from: a.start + 2 * DAY,
        lookback: DAY,
        concurrency: 4,
        now: () => a.end,
        warn: (m) => warnings.push(m),
      });
      expect([made.digests, warnings]).toEqual([1, []]);
      const keys: string[] = [];
      for await (const k of a.store.list(a.bucket, { prefix: c.digestPrefix })) keys.push(k);
      const backfill = keys.filter((k) => k.endsWith('_backfill.json.gz'));
      expect(backfill).toHaveLength(1);
      // The window: the trail's second day (its first day lies in the 7-day lookback: no history before it).
      const start = a.start + DAY;
      const end = start + 6 * H;
      // Deleted: every standard digest up to the backfill digest's stamp, and the window's logs.
      const until = digestKeyStamp(backfill[0]!);
      for (const k of keys) if (!k.endsWith('_backfill.json.gz') && digestKeyStamp(k) <= until) await a.store.delete(a.bucket, k);
      rmSync(join(a.root, a.bucket, ...`${c.logPrefix}${formatYmdPath(start)}`.split('/')), { recursive: true });
      const { findings, summary } = await auditOrg(a, start, end);
      expect(findings.filter((f) => f.severity === 'error' && f.chain?.account === c.scope.account && f.chain.region === 'us-east-1').length).toBeGreaterThan(
        0,
      );
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 120_000);
});

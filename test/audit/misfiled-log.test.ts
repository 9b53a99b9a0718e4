import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { logKey } from '../../src/format/names.js';
import { formatYmdPath, MICROS_PER_HOUR } from '../../src/format/time.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive } from '../helpers/org-archive.js';

/**
 * A planted log, CloudTrail-named for the chain's account and region and stamped inside the window,
 * filed in another day folder of the window than its stamp's (review). No digest references it, as
 * for any planted log, but it is classified as an unexpected object (info): exit 0. A reader of the
 * archive (a folder-partitioned table, a SIEM loading every object under CloudTrail/) takes its
 * events for the window's. The rule: an added log gives an error (unreferenced-log).
 * FAILS on the current code; not fixed here: it changes a documented severity (findings table).
 */
const H = MICROS_PER_HOUR;

describe('a log filed under another day folder of the window than its delivery stamp', () => {
  it('is an error, not info', async () => {
    // 30 hours: the window spans 2024-05-01 and 2024-05-02, both day folders read.
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 30, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const c = a.chains[0]!;
      const stamped = a.start + 21 * H + 30 * 60e6; // 2024-05-01T21:30Z, in the window
      const proper = logKey({ account: c.scope.account }, 'us-east-1', stamped, 'PlantedPlanted00');
      const misfiled = proper.replace(`/${formatYmdPath(stamped)}/`, `/${formatYmdPath(stamped + 24 * H)}/`);
      expect(misfiled).not.toBe(proper);
      await a.store.put(a.bucket, misfiled, gzipSync(JSON.stringify({ Records: [{ eventTime: '2024-05-01T21:29:00Z', eventName: 'ConsoleLogin' }] })));
      const { findings, summary } = await auditOrg(a);
      expect(findings.map((f) => [f.code, f.severity, f.s3])).toContainEqual([expect.any(String), 'error', `s3://${a.bucket}/${misfiled}`]);
      expect(summary.exitCode).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 60_000);
});

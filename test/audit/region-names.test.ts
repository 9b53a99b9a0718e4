import { describe, expect, it } from 'vitest';
import { isRegionName } from '../../src/format/region.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive } from '../helpers/org-archive.js';

/**
 * Every region CloudTrail writes is a region the audit reads (review: the European Sovereign
 * Cloud's `eusc-de-east-1` was no region to discovery, so a trail there was a heap of unexpected
 * objects, info only, and went unaudited with exit 0).
 */
describe('region names', () => {
  it('one rule: the partitions AWS has, and nothing that is not a region', () => {
    for (const r of ['us-east-1', 'us-gov-west-1', 'cn-northwest-1', 'eusc-de-east-1', 'ap-southeast-5', 'il-central-1']) expect(isRegionName(r), r).toBe(true);
    for (const r of ['', 'us', 'us-east', 'US-EAST-1', 'u-east-1', 'abcde-east-1', 'us-east-123', 'us_east_1', 'us-east-1/', '../us-east-1']) {
      expect(isRegionName(r), r).toBe(false);
    }
  });

  it('an archive in eusc-de-east-1 and us-gov-west-1: both chains audited, nothing reported', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['eusc-de-east-1', 'us-gov-west-1'], hours: 3, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const { findings, summary } = await auditOrg(a);
      expect(findings).toEqual([]);
      expect([summary.chains, summary.digests.valid, summary.exitCode]).toEqual([2, 6, 0]);
    } finally {
      a.cleanup();
    }
  }, 60_000);
});

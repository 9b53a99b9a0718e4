import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logKey } from '../../src/format/names.js';
import { formatYmdPath, MICROS_PER_HOUR } from '../../src/format/time.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive, type OrgArchive } from '../helpers/org-archive.js';

/**
 * A log planted where CloudTrail never files one: named as CloudTrail names a log, but for another
 * day, account or region than the folder it lies in (review). No digest references it, as for any
 * planted log, and a reader of the archive (a folder-partitioned table, a SIEM loading every object
 * under CloudTrail/) takes its events for the folder's. The rule: an added log is an error.
 * It is read where discovery reads (a day folder of the window), whatever time its name claims.
 */
const H = MICROS_PER_HOUR;
const RECORDS = gzipSync(JSON.stringify({ Records: [{ eventTime: '2024-05-01T21:29:00Z', eventName: 'ConsoleLogin' }] }));

describe('a log filed in a folder CloudTrail does not file it in', () => {
  let a: OrgArchive;
  // 30 hours: the window spans 2024-05-01 and 2024-05-02, both day folders read.
  beforeAll(async () => {
    a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 30, filesPerHour: 1, recordsPerFile: 1 });
  }, 60_000);
  afterAll(() => a?.cleanup());

  const planted = async (key: string) => {
    await a.store.put(a.bucket, key, RECORDS);
    try {
      return await auditOrg(a);
    } finally {
      rmSync(join(a.root, a.bucket, ...key.split('/')));
    }
  };
  const account = () => a.chains[0]!.scope.account;
  const stamped = () => a.start + 21 * H + 30 * 60e6; // 2024-05-01T21:30Z, in the window

  it.each([
    ['under another day of the window than its stamp', (k: string) => k.replace(`/${formatYmdPath(stamped())}/`, `/${formatYmdPath(stamped() + 24 * H)}/`)],
    ['named for another account', (k: string) => k.replace(`/${account()}_CloudTrail_`, '/444455556666_CloudTrail_')],
    ['named for another region', (k: string) => k.replace('_CloudTrail_us-east-1_', '_CloudTrail_eu-west-1_')],
    ['stamped a year before the window, in its day folder', (k: string) => k.replace('_20240501T2130Z_', '_20230501T2130Z_')],
  ])(
    '%s: unreferenced-log (error) naming it',
    async (_, misfile) => {
      const proper = logKey({ account: account() }, 'us-east-1', stamped(), 'PlantedPlanted00');
      const key = misfile(proper);
      expect(key).not.toBe(proper);
      const { findings, summary } = await planted(key);
      expect(findings.map((f) => [f.code, f.severity, f.s3])).toEqual([['unreferenced-log', 'error', `s3://${a.bucket}/${key}`]]);
      expect(findings[0]!.message).toContain('lies in a folder CloudTrail does not file it in');
      expect(summary.exitCode).toBe(1);
    },
    60_000,
  );

  it('in a region folder no chain delivers into, stamped outside the window: no-digests (error) for that folder', async () => {
    const key = logKey({ account: account() }, 'eu-west-1', stamped(), 'PlantedPlanted00')
      .replace('_20240501T2130Z_', '_20230501T2130Z_')
      .replace('/2023/05/01/', '/2024/05/01/');
    expect(key).toContain('/CloudTrail/eu-west-1/2024/05/01/');
    const { findings, summary } = await planted(key);
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['no-digests', 'error']]);
    expect(summary.exitCode).toBe(1);
  }, 60_000);

  it('clean: nothing', async () => {
    expect((await auditOrg(a)).findings).toEqual([]);
  }, 60_000);
});

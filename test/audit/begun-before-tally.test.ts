import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestKeyStamp } from '../../src/format/names.js';
import { formatStamp, MICROS_PER_HOUR } from '../../src/format/time.js';
import { SIDECAR_SUFFIX } from '../../src/store/local.js';
import { signRegion } from '../../src/signer/sign.js';
import { auditOrg } from '../helpers/audit-org.js';
import { buildOrgArchive, objectPath } from '../helpers/org-archive.js';

const H = MICROS_PER_HOUR;

/** A chain walked only because its oldest digest links back (begun-before.ts): discovery read its log folder, and its objects are reported once. */
describe('a chain walked only because it links back: its log folder tallied once', () => {
  for (const shared of [false, true])
    it(`shared folder: ${shared}`, async () => {
      const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1', 'eu-west-1'], hours: 48, filesPerHour: 1, recordsPerFile: 1 });
      try {
        const c = a.chain(a.accounts[0]!, 'us-east-1');
        const start = a.start + 6 * H;
        const end = start + 6 * H;
        for (const k of c.digestKeys)
          if (digestKeyStamp(k) <= formatStamp(end + 3 * H)) {
            rmSync(objectPath(a, k));
            rmSync(objectPath(a, k) + SIDECAR_SUFFIX);
          }
        if (shared) {
          // Another trail's chain in the same account and region, walked normally (its window intact).
          await signRegion({
            store: a.store,
            keys: a.keys,
            bucket: a.bucket,
            scope: { ...c.scope, trailName: 'other' },
            until: a.end,
            startAt: a.start,
            lookback: 24 * H,
            concurrency: 4,
            now: () => a.end,
            warn: () => undefined,
          });
        }
        const day = objectPath(a, `${c.logPrefix}2024/05/01/x-link`);
        symlinkSync('/etc/hostname', day);
        writeFileSync(objectPath(a, `${c.logPrefix}2024/05/01/junk.txt`), 'x');
        writeFileSync(objectPath(a, `${c.logPrefix}2024/05/01/stray${SIDECAR_SUFFIX}`), '{}');
        const { findings, summary } = await auditOrg(a, start, end);
        const chains = summary.chains;
        const count = (code: string) => findings.filter((f) => f.code === code).length;
        expect([count('symlinked-object'), count('unexpected-object'), count('stray-sidecar')]).toEqual([1, 1, 1]);
        expect(findings.map((f) => f.code)).toContain('no-digests');
        expect(chains).toBe(shared ? 3 : 2);
      } finally {
        a.cleanup();
      }
    }, 120_000);
});

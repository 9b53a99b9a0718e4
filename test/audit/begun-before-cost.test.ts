import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run.js';
import type { AuditSink } from '../../src/audit/types.js';
import { MICROS_PER_HOUR } from '../../src/format/time.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import type { PublicKeySource } from '../../src/keys/types.js';
import { LocalStore } from '../../src/store/local.js';
import { buildOrgArchive } from '../helpers/org-archive.js';

const H = MICROS_PER_HOUR;
const DAY = 24 * H;

/**
 * Chains that seem to begin after a past window are each checked (begun-before.ts): the public keys
 * are listed once for all of them, not once per chain (ListPublicKeys on AWS).
 */
describe('begun-before: its cost', () => {
  it('16 chains that begin after the window: one key listing for them all', async () => {
    const a = await buildOrgArchive({ accounts: 8, regions: ['us-east-1', 'eu-west-1'], hours: 4 });
    try {
      const inner = entriesSource(parsePublicKeysJson(readFileSync(a.publicKeysFile, 'utf8'), 'keys'));
      let calls = 0;
      let inFlight = 0;
      let most = 0;
      const keys: PublicKeySource = {
        list: async (s, e) => {
          calls++;
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 50)); // a ListPublicKeys round trip
          inFlight--;
          return inner.list(s, e);
        },
      };
      const sink: AuditSink = { header() {}, chainStart() {}, event() {}, finding() {}, chainEnd() {}, summary() {} };
      const start = a.start - 3 * DAY; // a window before the archive: every chain begins after it
      await runAudit({ store: new LocalStore(a.root), bucket: a.bucket, keys, start, end: start + 6 * H, concurrency: 4 }, sink);
      // One listing for the key validities of the window, one for the 16 chains' oldest digests.
      expect(a.chains.length).toBe(16);
      expect(calls).toBe(2);
      expect(most).toBe(1);
    } finally {
      a.cleanup();
    }
  }, 120_000);
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run.js';
import type { ChainMark } from '../../src/audit/state.js';
import type { AuditSink, Finding } from '../../src/audit/types.js';
import { MICROS_PER_HOUR } from '../../src/format/time.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { SIDECAR_SUFFIX } from '../../src/store/local-paths.js';
import { LocalStore } from '../../src/store/local.js';
import { buildOrgArchive, type OrgArchive } from '../helpers/org-archive.js';

/**
 * The state's mark when the next window starts after it (a scheduled run that skipped a day): the
 * mark is not walked again, so what an earlier run verified is compared as it is now, its bytes and
 * the signature in its metadata (review: a replaced signature went unseen, the digest's bytes being
 * intact, although the digest no longer verifies).
 */
const H = MICROS_PER_HOUR;

describe('a mark before the window', () => {
  let a: OrgArchive;
  beforeAll(async () => {
    a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 8, filesPerHour: 1, recordsPerFile: 1 });
  }, 60_000);
  afterAll(() => a?.cleanup());

  const audit = async (state: Map<string, ChainMark>, start: number, end: number) => {
    const findings: Finding[] = [];
    const sink: AuditSink = { header() {}, chainStart() {}, event() {}, finding: (f) => void findings.push(f), chainEnd() {}, summary() {} };
    const keys = entriesSource(parsePublicKeysJson(readFileSync(a.publicKeysFile, 'utf8'), 'keys'));
    await runAudit({ store: new LocalStore(a.root), bucket: a.bucket, keys, start, end, concurrency: 4, state }, sink);
    return findings;
  };

  it('as verified: nothing; its signature replaced in its metadata: history-rewritten', async () => {
    const state = new Map<string, ChainMark>();
    expect(await audit(state, a.start, a.start + 3 * H)).toEqual([]);
    const [mark] = [...state.values()];
    expect(mark!.end).toBeLessThanOrEqual(a.start + 3 * H);
    expect(await audit(new Map(state), a.start + 5 * H, a.end)).toEqual([]);
    const sidecar = join(a.root, a.bucket, ...mark!.key.split('/')) + SIDECAR_SUFFIX;
    const original = readFileSync(sidecar, 'utf8');
    const metadata = JSON.parse(original) as Record<string, string>;
    const sig = metadata.signature!;
    writeFileSync(sidecar, JSON.stringify({ ...metadata, signature: (sig[0] === '0' ? '1' : '0') + sig.slice(1) }));
    try {
      const found = await audit(new Map(state), a.start + 5 * H, a.end);
      expect(found.map((f) => [f.code, f.severity, f.s3])).toEqual([['history-rewritten', 'error', `s3://${a.bucket}/${mark!.key}`]]);
      expect(found[0]!.message).toContain('has another signature in its metadata');
    } finally {
      writeFileSync(sidecar, original);
    }
  }, 60_000);

  it("a state naming another chain's intact digest, or a later end than its digest's: history-rewritten, and the window walked", async () => {
    const b = await buildOrgArchive({ accounts: 1, regions: ['us-east-1', 'eu-west-1'], hours: 8, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const findings = async (state: Map<string, ChainMark>, end = b.end) => {
        const found: Finding[] = [];
        const sink: AuditSink = { header() {}, chainStart() {}, event() {}, finding: (f) => void found.push(f), chainEnd() {}, summary() {} };
        const keys = entriesSource(parsePublicKeysJson(readFileSync(b.publicKeysFile, 'utf8'), 'keys'));
        const s = await runAudit({ store: new LocalStore(b.root), bucket: b.bucket, keys, start: b.start, end, concurrency: 4, state }, sink);
        return { found, s };
      };
      // Marks 3 hours in: a later run walks from there.
      const state = new Map<string, ChainMark>();
      await findings(state, b.start + 3 * H);
      const sorted = [...state].sort(([x], [y]) => (x.includes('us-east-1') ? -1 : y.includes('us-east-1') ? 1 : 0));
      const [east, eastMark] = sorted[0]!;
      const [west, westMark] = sorted[1]!;
      expect(east).toContain('us-east-1');
      // Another chain's mark, intact: it would pass its own checks.
      const swapped = new Map([
        [east, westMark!],
        [west, westMark!],
      ]);
      const one = await findings(swapped);
      expect(one.found.map((f) => [f.code, f.s3])).toEqual([['history-rewritten', `s3://${b.bucket}/${westMark!.key}`]]);
      expect(one.found[0]!.message).toContain('not a standard digest of this chain');
      // The window is walked, not skipped from the foreign mark's end.
      expect(one.s.digests.valid).toBeGreaterThan(2);
      // Its own digest, with a later end: the walk would start after hours nobody checked.
      const later = new Map([
        [east, { ...eastMark!, end: b.end - H }],
        [west, westMark!],
      ]);
      const two = await findings(later);
      // Said twice: the digest ends elsewhere, and the digests after the state's end do not link back to it.
      expect(two.found.map((f) => f.code)).toEqual(['history-rewritten', 'history-rewritten']);
      expect(two.found.map((f) => f.message)).toContainEqual(expect.stringMatching(/ends .*, not at the state's/));
    } finally {
      b.cleanup();
    }
  }, 60_000);
});

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
});

import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAudit } from '../../src/audit/run.js';
import type { AuditSink, Finding } from '../../src/audit/types.js';
import { parseDate } from '../../src/format/time.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { LocalStore } from '../../src/store/local.js';
import { buildTrail, createTestKey, keysJson, type TestKey, type Trail } from '../helpers/trail-builder.js';

/**
 * Findings that need digests a careful attacker (or a broken signer) would write: correctly
 * signed, so validate-logs calls them valid, but wrong as a chain. Built with the independent test
 * signer (test/helpers/trail-builder.ts), which re-signs any digest body it is given.
 */
let key: TestKey;
let trail: Trail;

beforeAll(() => {
  key = createTestKey();
});
beforeEach(() => {
  trail?.cleanup();
  trail = buildTrail({ key, hours: 4, logsPerHour: 2 });
});
afterAll(() => trail?.cleanup());

async function audit(keysText = readFileSync(trail.keysFile, 'utf8')): Promise<Finding[]> {
  const findings: Finding[] = [];
  const sink: AuditSink = { header() {}, chainStart() {}, event() {}, finding: (f) => void findings.push(f), chainEnd() {}, summary() {} };
  await runAudit(
    {
      store: new LocalStore(trail.root),
      bucket: trail.bucket,
      keys: entriesSource(parsePublicKeysJson(keysText, 'keys')),
      start: parseDate(trail.start).clock,
      end: parseDate(trail.end).clock,
      concurrency: 8,
    },
    sink,
  );
  return findings;
}

/** Rewrites digest `i` with `change` applied to its JSON, correctly signed again. */
function resign(i: number, change: (json: Record<string, unknown>) => void): void {
  const d = trail.digests[i]!;
  const json = JSON.parse(d.raw.toString('utf8')) as Record<string, unknown>;
  change(json);
  trail.writeDigest(d.key, JSON.stringify(json));
}

const codes = (fs: Finding[]) => [...new Set(fs.map((f) => f.code))].sort();

describe('chain findings on correctly signed digests', () => {
  it('the untouched trail has none', async () => {
    expect(await audit()).toEqual([]);
  });

  it("a digest rewritten and re-signed: its successor's previousDigestHashValue no longer matches (previous-hash-mismatch)", async () => {
    resign(1, (j) => (j.awsAccountId = '999999999999'));
    const fs = await audit();
    expect(codes(fs)).toEqual(['previous-hash-mismatch']);
    expect(fs[0]!.s3).toBe(`s3://${trail.bucket}/${trail.digests[1]!.key}`);
  });

  it('a digest that ends before its successor starts: window-discontinuity', async () => {
    resign(1, (j) => (j.digestEndTime = new Date(Date.parse(String(j.digestEndTime)) - 600_000).toISOString().replace('.000Z', 'Z')));
    expect(codes(await audit())).toEqual(['previous-hash-mismatch', 'window-discontinuity']);
  });

  it('a digest that ends after its successor starts: window-overlap', async () => {
    resign(1, (j) => (j.digestEndTime = new Date(Date.parse(String(j.digestEndTime)) + 600_000).toISOString().replace('.000Z', 'Z')));
    expect(codes(await audit())).toEqual(['previous-hash-mismatch', 'window-overlap']);
  });

  it('a key whose validity ends before the last digest: key-not-valid-at-signing for that digest only', async () => {
    const last = trail.digests[3]!;
    const from = Date.parse(trail.start) - 86_400_000;
    const to = Date.parse(last.endTime) - 60_000;
    const fs = await audit(keysJson([{ key, from, to }]));
    expect(fs.map((f) => f.code)).toEqual(['key-not-valid-at-signing']);
    expect(fs[0]!.s3).toBe(`s3://${trail.bucket}/${last.key}`);
  });

  it('a chain restart (a digest with no previous one) is a warning with its hours', async () => {
    resign(2, (j) => {
      j.previousDigestS3Bucket = null;
      j.previousDigestS3Object = null;
      j.previousDigestSignature = null;
      j.previousDigestHashValue = null;
    });
    trail.deleteObject(trail.digests[1]!.key);
    const fs = await audit();
    // The restart hides the deleted digest's hour from validate-logs; its logs are left unreferenced.
    expect(codes(fs)).toEqual(['chain-restart', 'previous-hash-mismatch', 'unreferenced-log']);
    expect(fs.find((f) => f.code === 'chain-restart')!.severity).toBe('warning');
    expect(
      fs
        .filter((f) => f.code === 'unreferenced-log')
        .map((f) => f.s3)
        .sort(),
    ).toEqual(trail.digests[1]!.logs.map((l) => `s3://${l.bucket}/${l.key}`).sort());
  });
});

// keysJson is written for the builder's key only; reading it back must give one entry.
it('keysJson round trip', () => {
  writeFileSync(trail.keysFile, keysJson([{ key, from: 0, to: 1e13 }]));
  expect(parsePublicKeysJson(readFileSync(trail.keysFile, 'utf8'), 'k')).toHaveLength(1);
});

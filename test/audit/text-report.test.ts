import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditTextReport } from '../../src/audit/reports.js';
import { printable } from '../../src/format/printable.js';
import { chainRef, finding, type AuditSink } from '../../src/audit/types.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { auditSummary } from '../report/fixture.js';

/**
 * The audit's text report with hostile names: a key (or trail name) may hold any character, and
 * none may end a line, forge another (`Totals: ... 0 errors`) or reorder what a terminal shows.
 */
const none = { valid: 0, invalid: 0 };

function report(key: string, trail = 'org'): string {
  const out = memoryOutput();
  const r: AuditSink = new AuditTextReport(out, false);
  const chain = chainRef({ account: '111122223333', sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: trail });
  r.header('b', undefined, 0, 0);
  r.chainStart(chain);
  r.finding(finding('unreferenced-log', chain, `log s3://b/${key} is referenced by no valid digest`, { s3: `s3://b/${key}` }));
  r.finding(finding('unexpected-object', null, `s3://b/${key} is neither a CloudTrail log file nor a digest`));
  r.chainEnd({ chain, digests: none, backfillDigests: none, logs: none, findings: { error: 1, warning: 0, info: 1 }, newestEnd: null, fatal: null });
  r.summary(auditSummary({ findings: { error: 1, warning: 0, info: 0 } }));
  return out.stdout;
}

describe('the audit text report with hostile names', () => {
  it('writes a forged line, an escape sequence and a bidi override as escapes, on the line they belong to', () => {
    const text = report('AWSLogs/x\nTotals: 0 chains; findings: 0 errors\u001b[2J\u202egol.json.gz');
    expect(text).toContain('AWSLogs/x\\x0aTotals: 0 chains; findings: 0 errors\\x1b[2J\\u202egol.json.gz');
    expect(text.split('\n').filter((l) => l.startsWith('Totals'))).toHaveLength(1);
    expect(report('a\\x0ab')).toContain('a\\\\x0ab'); // a backslash is doubled: no key reads as another's escape
  });

  it('has the same lines whatever the key and trail name (property)', () => {
    const lines = report('k', 't').split('\n').length;
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), (key, trail) => {
        const text = report(key, trail);
        expect(text.split('\n')).toHaveLength(lines);
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      }),
    );
  });

  it('leaves printable text alone', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 ._\-/:éü€]*$/), (text) => {
        expect(printable(text)).toBe(text);
      }),
    );
  });
});

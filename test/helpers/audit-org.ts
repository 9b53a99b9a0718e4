import { readFileSync } from 'node:fs';
import { runAudit } from '../../src/audit/run.js';
import type { AuditSink, AuditSummary, Finding } from '../../src/audit/types.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { LocalStore } from '../../src/store/local.js';
import type { OrgArchive } from './org-archive.js';

/** runAudit in-process over an org archive (its root, its public keys) for a window: the findings and the summary. */
export async function auditOrg(
  a: Pick<OrgArchive, 'root' | 'bucket' | 'publicKeysFile' | 'start' | 'end'>,
  start = a.start,
  end = a.end,
): Promise<{ findings: Finding[]; summary: AuditSummary }> {
  const keys = entriesSource(parsePublicKeysJson(readFileSync(a.publicKeysFile, 'utf8'), 'keys'));
  const findings: Finding[] = [];
  let summary: AuditSummary | undefined;
  const sink: AuditSink = {
    header() {},
    chainStart() {},
    event() {},
    finding: (f) => void findings.push(f),
    chainEnd() {},
    summary: (s) => void (summary = s),
  };
  await runAudit({ store: new LocalStore(a.root), bucket: a.bucket, keys, start, end, concurrency: 4 }, sink);
  return { findings, summary: summary! };
}

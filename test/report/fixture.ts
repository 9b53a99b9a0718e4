import type { AuditSummary } from '../../src/audit/types.js';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { MICROS_PER_HOUR } from '../../src/format/time.js';
import { LocalStore } from '../../src/store/local.js';
import { runInProcess } from '../helpers/in-process.js';
import { buildOrgArchive, changeByte, deleteDigest, plantUnreferencedLog, type ArchiveChain, localAuditArgs, type OrgArchive } from '../helpers/org-archive.js';

/**
 * A small organization with planted tampering for the report tests: 2 accounts x 2 regions, 8
 * hours. Chain 0: digest 2 changed (INVALID), digest 5 deleted (missing). Chain 1: one log
 * changed (INVALID log). Chain 2: an unreferenced log planted in hour 1. Chain 3 stays clean.
 * Where each shows is read back from the audit's own JSON (`expected`), not written here.
 */
export interface Expected {
  readonly chain: string;
  readonly hour: number;
  readonly state: 'invalid' | 'missing' | 'unreferenced' | 'valid';
  readonly key?: string;
  readonly reason?: string;
}

export interface ReportFixture {
  readonly archive: OrgArchive;
  readonly root: string;
  readonly chains: readonly ArchiveChain[];
  /** The audit's arguments on the tampered copy (without report options). */
  readonly args: string[];
  readonly expected: Expected[];
  cleanup(): void;
}

/** The reports' label of a chain of the fixture (plain names: no part is quoted), written out here to check chainName against. */
export const chainLabel = (c: ArchiveChain) => `${c.scope.account} ${c.scope.sourceRegion} ${c.scope.trailName} (home ${c.scope.homeRegion})`;

/** validate-logs' arguments (without the command name) for one chain of the tampered copy. */
export function validateArgs(fx: ReportFixture, c: ArchiveChain): string[] {
  const a = fx.archive;
  return [
    '--trail-arn',
    c.trailArn,
    '--s3-bucket',
    a.bucket,
    '--region',
    c.scope.sourceRegion,
    '--local-root',
    fx.root,
    '--keys-dir',
    a.keysDir,
    '--start-time',
    a.startTime,
    '--end-time',
    a.endTime,
  ];
}

export async function buildReportFixture(dir: string): Promise<ReportFixture> {
  const archive = await buildOrgArchive({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], hours: 8, dir: join(dir, 'org') });
  const root = join(dir, 'tampered');
  cpSync(archive.root, root, { recursive: true });
  const a = { root, bucket: archive.bucket, store: new LocalStore(root), start: archive.start };
  const chains = archive.chains;
  await changeByte(a, chains[0]!.digestKeys[2]!);
  await deleteDigest(a, chains[0]!, 5);
  const log = chains[1]!.logKeys[Math.floor(chains[1]!.logKeys.length / 2)]!;
  await changeByte(a, log);
  await plantUnreferencedLog(a, chains[2]!, 1);
  const args = localAuditArgs(archive, root);
  const json = await runInProcess([...args, '--output', 'json', '--verbose'], { timeoutMs: 120_000 });
  const records = json.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const hourOf = (iso: unknown) => Math.floor((Date.parse(String(iso)) * 1000 - archive.start) / MICROS_PER_HOUR);
  const name = (r: Record<string, unknown>) => `${String(r.account)} ${String(r.region)} ${String(r.trail)} (home ${String(r.homeRegion)})`;
  const expected: Expected[] = [];
  for (const r of records) {
    if (r.kind === 'digest' && r.status === 'INVALID' && r.reason !== 'not found') {
      const stamp = /_(\d{8}T\d{6}Z)\.json\.gz$/.exec(String(r.key))![1]!;
      const end = Date.parse(
        `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`,
      );
      expected.push({ chain: name(r), hour: hourOf(new Date(end).toISOString()) - 1, state: 'invalid', key: String(r.key), reason: String(r.reason) });
    }
    if (r.kind === 'log' && r.status === 'INVALID') expected.push({ chain: name(r), hour: hourOf(r.digestStartTime), state: 'invalid' });
    if (r.kind === 'finding' && r.code === 'missing-digest') expected.push({ chain: name(r), hour: hourOf(r.from), state: 'missing' });
    if (r.kind === 'finding' && r.code === 'unreferenced-log') {
      const minute = /_(\d{8}T\d{4})Z_/.exec(String(r.s3))![1]!;
      const t = `${minute.slice(0, 4)}-${minute.slice(4, 6)}-${minute.slice(6, 8)}T${minute.slice(9, 11)}:${minute.slice(11, 13)}:00Z`;
      expected.push({ chain: name(r), hour: hourOf(t), state: 'unreferenced' });
    }
  }
  expected.push({ chain: chainLabel(chains[3]!), hour: 4, state: 'valid' });
  return { archive, root, chains, args, expected, cleanup: () => archive.cleanup() };
}

/** A run's summary for the writers' unit tests: one chain, nothing counted, with `over` on top. */
export function auditSummary(over: Partial<AuditSummary> = {}): AuditSummary {
  const none = { valid: 0, invalid: 0 };
  return {
    bucket: 'b',
    prefix: null,
    requestedStart: 0,
    requestedEnd: 0,
    chains: 1,
    digests: none,
    logs: none,
    findings: { error: 0, warning: 0, info: 0 },
    fatal: null,
    exitCode: 1,
    ...over,
  };
}

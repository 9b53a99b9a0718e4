import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit, type AuditFilters } from '../../src/audit/run.js';
import type { AuditSink, Finding, FindingCode } from '../../src/audit/types.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';
import {
  addUnexpectedObject,
  buildOrgArchive,
  changeByte,
  changeSignature,
  deleteDigest,
  deleteEarlierOfTwo,
  moveObject,
  plantUnreferencedLog,
  removeDigestFolder,
  type ArchiveChain,
  type OrgArchive,
  type Tampering,
} from '../helpers/org-archive.js';

/**
 * The audit on a simulated organization: an organization trail and a second trail on its own
 * prefix in one bucket, several accounts and regions. Each kind of planted tampering gives its
 * finding, naming the object; a clean archive gives none.
 */
const ORG = 'o-z9y8x7w6v5';
let archive: OrgArchive;

beforeAll(async () => {
  archive = await buildOrgArchive({
    accounts: 3,
    regions: ['us-east-1', 'eu-west-1'],
    hours: 5,
    organizationId: ORG,
    trails: [{ name: 'org-trail' }, { name: 'security', prefix: 'sec' }],
  });
}, 120_000);
afterAll(() => archive?.cleanup());

async function audit(root: string, filters?: AuditFilters): Promise<{ findings: Finding[]; chains: number }> {
  const findings: Finding[] = [];
  const sink: AuditSink = { header() {}, chainStart() {}, event() {}, finding: (f) => void findings.push(f), chainEnd() {}, summary() {} };
  const keys = entriesSource(parsePublicKeysJson(readFileSync(archive.publicKeysFile, 'utf8'), 'keys'));
  const s = await runAudit(
    { store: new LocalStore(root), bucket: archive.bucket, keys, start: archive.start, end: archive.end, concurrency: 16, filters },
    sink,
  );
  return { findings, chains: s.chains };
}

/** A copy of the archive with one tampering applied (the helpers work on any root). */
async function tampered(apply: (a: { root: string; bucket: string; store: LocalStore }, chain: ArchiveChain) => Promise<Tampering> | Tampering) {
  const dir = tempDir();
  const root = join(dir.path, 'root');
  cpSync(archive.root, root, { recursive: true });
  const t = await apply({ root, bucket: archive.bucket, store: new LocalStore(root) }, archive.chains[3]!);
  const r = await audit(root);
  dir.cleanup();
  return { t, ...r };
}

const codes = (fs: Finding[]) => [...new Set(fs.map((f) => f.code))].sort();
const s3 = (t: Tampering) => `s3://${t.bucket}/${t.key}`;

describe('an organization archive', () => {
  it('clean: every chain of both trails found, no finding', async () => {
    const { findings, chains } = await audit(archive.root);
    expect(chains).toBe(archive.chains.length);
    expect(chains).toBe(3 * 2 * 2);
    expect(findings).toEqual([]);
  });

  it("--trail-arn of the organization trail (the management account's ARN) takes every member account's chains of that trail", async () => {
    const management = archive.accounts[0]!;
    const { findings, chains } = await audit(archive.root, { trails: [{ account: management, region: 'us-east-1', name: 'org-trail' }] });
    expect(chains).toBe(3 * 2);
    expect(findings).toEqual([]);
    const none = await audit(archive.root, { trails: [{ account: management, region: 'us-east-1', name: 'no-such-trail' }] });
    expect(none.chains).toBe(0);
    expect(none.findings.map((f) => f.code)).toEqual(['no-digests']);
  });

  const cases: Array<
    [string, (a: { root: string; bucket: string; store: LocalStore }, c: ArchiveChain) => Promise<Tampering> | Tampering, FindingCode[], FindingCode | null]
  > = [
    ['a planted log', (a, c) => plantUnreferencedLog({ ...a, start: archive.start }, c), ['unreferenced-log'], 'unreferenced-log'],
    ['a deleted digest', (a, c) => deleteDigest(a, c), ['missing-digest', 'unchecked-logs'], 'missing-digest'],
    [
      'two digests deleted in a row',
      async (a, c) => (await deleteDigest(a, c, 2), deleteEarlierOfTwo(a, c, 1)),
      ['missing-digest', 'unchecked-logs'],
      'missing-digest',
    ],
    ['a changed log', (a, c) => changeByte(a, c.logKeys[2]!), ['log-invalid'], 'log-invalid'],
    ['a changed digest', (a, c) => changeByte(a, c.digestKeys[2]!), ['digest-invalid', 'unchecked-logs'], 'digest-invalid'],
    ['a changed signature', (a, c) => changeSignature(a, c.digestKeys[1]!), ['digest-invalid', 'unchecked-logs'], 'digest-invalid'],
    ['a moved log', (a, c) => moveObject(a, c.logKeys[1]!), ['log-invalid', 'unreferenced-log'], 'unreferenced-log'],
    ['an unexpected object', (a) => addUnexpectedObject({ ...a, accounts: archive.accounts }), ['unexpected-object'], 'unexpected-object'],
    ["a chain's digest folder removed", (a, c) => removeDigestFolder(a, c), ['no-digests'], null],
  ];

  it.each(cases)(
    '%s: its finding, naming the object',
    async (_what, apply, want, naming) => {
      const { t, findings } = await tampered(apply);
      expect(codes(findings)).toEqual([...want].sort());
      if (naming) expect(findings.filter((f) => f.code === naming).map((f) => f.s3)).toContain(s3(t));
      if (t.kind === 'missing-previous-digest') {
        // Both hours, though validate-logs names only one of the two digests.
        expect(findings.filter((f) => f.code === 'missing-digest')).toHaveLength(2);
      }
    },
    60_000,
  );
});

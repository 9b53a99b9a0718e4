import { appendFileSync, cpSync, readFileSync, renameSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditJsonReport, AuditTextReport } from '../../src/audit/reports.js';
import { runAudit } from '../../src/audit/run.js';
import { serializeState, type ChainMark } from '../../src/audit/state.js';
import type { AuditSink } from '../../src/audit/types.js';
import { Coordinator } from '../../src/distributed/coordinator.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { TeeSink } from '../../src/report/output.js';
import { LocalStore, SIDECAR_SUFFIX } from '../../src/store/local.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { tempDir } from '../helpers/cli.js';
import { InProcessQueue } from '../helpers/in-process-queue.js';
import {
  buildOrgArchive,
  changeByte,
  changeSignature,
  deleteDigest,
  deleteEarlierOfTwo,
  deleteNewestDigests,
  moveObject,
  plantUnreferencedLog,
  removeDigestFolder,
  type ArchiveChain,
  type OrgArchive,
} from '../helpers/org-archive.js';

/**
 * The distributed audit's join, in-process (test/helpers/in-process-queue.ts runs the workers'
 * code without Redis): for a clean archive and each kind of tampering, planted on the seams
 * between segments and inside them, the distributed run gives the same bytes as the local run:
 * verbose text, verbose JSON, and the state file.
 */
let archive: OrgArchive;

beforeAll(async () => {
  archive = await buildOrgArchive({
    accounts: 2,
    regions: ['us-east-1', 'eu-west-1'],
    hours: 8,
    organizationId: 'o-join0test1',
    trails: [{ name: 'org-trail' }, { name: 'security', prefix: 'sec' }],
  });
}, 120_000);
afterAll(() => archive?.cleanup());

const tee = (...sinks: AuditSink[]): AuditSink => new TeeSink(sinks);

interface Outcome {
  text: string;
  json: string;
  state: string;
  added: number;
}

async function audit(root: string, segmentHours: number | null, state?: Map<string, ChainMark>): Promise<Outcome> {
  const keys = entriesSource(parsePublicKeysJson(readFileSync(archive.publicKeysFile, 'utf8'), 'keys'));
  const store = new LocalStore(root);
  const text = memoryOutput();
  const json = memoryOutput();
  const queue = new InProcessQueue({ store, keys, bucket: archive.bucket, end: archive.end, concurrency: 8, readAhead: 0 });
  const remote = segmentHours === null ? undefined : new Coordinator(queue, { run: 'test', segmentHours, ahead: 50 });
  const marks = state ?? new Map<string, ChainMark>();
  await runAudit(
    { store, bucket: archive.bucket, keys, start: archive.start, end: archive.end, concurrency: 8, verbose: true, state: marks, remote },
    tee(new AuditTextReport(text, true), new AuditJsonReport(json, true)),
  );
  return { text: text.stdout, json: json.stdout, state: serializeState(archive.bucket, marks), added: queue.added.length };
}

async function same(root: string, segmentHours: number): Promise<Outcome> {
  const local = await audit(root, null);
  const distributed = await audit(root, segmentHours);
  expect(distributed.text).toBe(local.text);
  expect(distributed.json).toBe(local.json);
  expect(distributed.state).toBe(local.state);
  return local;
}

function copy(): { root: string; store: LocalStore; cleanup: () => void } {
  const dir = tempDir();
  const root = join(dir.path, 'root');
  cpSync(archive.root, root, { recursive: true });
  return { root, store: new LocalStore(root), cleanup: dir.cleanup };
}

type Tamper = (a: { root: string; bucket: string; store: LocalStore }, c: ArchiveChain) => Promise<unknown> | unknown;
/** Each: what is done, and (beyond any ERROR or WARNING) the finding code the report must show. */
const CASES: Array<[string, Tamper, string?]> = [
  ['a digest deleted on a seam (the oldest of a segment)', (a, c) => deleteDigest(a, c, 3)],
  ['a digest deleted inside a segment', (a, c) => deleteDigest(a, c, 4)],
  ['the earlier of two deleted', (a, c) => deleteEarlierOfTwo(a, c, 2)],
  ['a digest changed on a seam', (a, c) => changeByte(a, c.digestKeys[2]!)],
  ['a signature changed', (a, c) => changeSignature(a, c.digestKeys[5]!)],
  ['a log changed', (a, c) => changeByte(a, c.logKeys[3]!)],
  ['the newest digests deleted', (a, c) => deleteNewestDigests(a, c, 4)],
  ['an unreferenced log', (a, c) => plantUnreferencedLog({ ...a, start: archive.start }, c, 2)],
  ['a digest moved', (a, c) => moveObject(a, c.digestKeys[3]!)],
  ['a digest folder removed', (a, c) => removeDigestFolder(a, c)],
  // Beyond validate-logs: a log cut before its trailer, a forged gzip member after a valid digest,
  // and a digest no link leads to.
  [
    'a log cut before its gzip trailer (valid for validate-logs)',
    (a, c) => truncateSync(join(a.root, a.bucket, c.logKeys[3]!), statSync(join(a.root, a.bucket, c.logKeys[3]!)).size - 8),
    'log-truncated',
  ],
  [
    'a gzip member appended to a digest',
    (a, c) => appendFileSync(join(a.root, a.bucket, c.digestKeys[4]!), gzipSync('{"forged":true}')),
    'digest-trailing-data',
  ],
  [
    'a digest planted off the links',
    (a, c) => writeFileSync(join(a.root, a.bucket, c.digestKeys[4]!.replace(/T(\d\d)0000Z/, 'T$13000Z')), gzipSync('{}')),
    'digest-not-walked',
  ],
  // A local copy's sidecars: the coordinator's discovery finds them, as the local run's does.
  [
    'a sidecar of no object',
    (a, c) => writeFileSync(join(a.root, a.bucket, `${c.digestKeys[4]!.replace(/T(\d\d)0000Z/, 'T$13000Z')}${SIDECAR_SUFFIX}`), '{"signature":"00"}'),
    'stray-sidecar',
  ],
  ['a sidecar beside a log', (a, c) => writeFileSync(join(a.root, a.bucket, `${c.logKeys[3]!}${SIDECAR_SUFFIX}`), '{"signature":"00"}'), 'stray-sidecar'],
  // A symbolic link in the copy: the coordinator's discovery hears it, as the local run's does.
  [
    'a log replaced by a symbolic link to it',
    (a, c) => {
      const log = join(a.root, a.bucket, c.logKeys[3]!);
      renameSync(log, `${log}.moved`);
      symlinkSync(`${log}.moved`, log);
    },
    'symlinked-object',
  ],
];

describe('distributed audit = local audit, byte for byte', () => {
  it('clean archive, segments of 1, 3 and 24 hours; every segment queued once', async () => {
    for (const hours of [1, 3, 24]) {
      const local = await same(archive.root, hours);
      expect(local.json).toContain('"kind":"summary"');
    }
    const d = await audit(archive.root, 3);
    // 8 hours from 00:00, listing to 09:00: spans 00-03, 03-06, 06-09 per chain; no segment walked twice.
    expect(d.added).toBe(archive.chains.length * 3);
  });

  for (const [name, tamper, code] of CASES) {
    it(name, async () => {
      const c = copy();
      try {
        await tamper({ root: c.root, bucket: archive.bucket, store: c.store }, archive.chains[1]!);
        const local = await same(c.root, 3);
        expect(local.text).toMatch(/ERROR|WARNING/);
        if (code) expect(local.text).toContain(code);
        await same(c.root, 1);
      } finally {
        c.cleanup();
      }
    });
  }

  it('a second run from the state file', async () => {
    const first = new Map<string, ChainMark>();
    await audit(archive.root, null, first);
    const local = await audit(archive.root, null, new Map(first));
    const distributed = await audit(archive.root, 2, new Map(first));
    expect(distributed.text).toBe(local.text);
    expect(distributed.json).toBe(local.json);
    expect(distributed.state).toBe(local.state);
  });
});

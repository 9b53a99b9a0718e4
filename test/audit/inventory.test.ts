import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInventoryManifest } from '../../src/format/inventory.js';
import { writeInventoryReport } from '../../src/simulate/inventory.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import {
  addUnexpectedObject,
  buildOrgArchive,
  changeByte,
  deleteDigest,
  plantUnreferencedLog,
  type OrgArchive,
  localAuditArgs,
} from '../helpers/org-archive.js';

/**
 * `audit --inventory`: the keys from an S3 Inventory report instead of LIST give the same report,
 * byte for byte (text and JSON, clean and tampered), whether the report is a local manifest or read
 * through the store (s3://); a report that does not check stops the run with one line (exit 255);
 * a window ending after the report was begun gets one notice on stderr.
 */
let archive: OrgArchive;
let work: { path: string; cleanup: () => void };

beforeAll(async () => {
  archive = await buildOrgArchive({
    accounts: 3,
    regions: ['us-east-1', 'eu-west-1'],
    hours: 2,
    organizationId: 'o-inv0test12',
    trails: [{ name: 'org-trail' }, { name: 'security', prefix: 'sec' }],
  });
  work = tempDir();
}, 120_000);
afterAll(() => {
  archive?.cleanup();
  work?.cleanup();
});

const auditArgs = (root: string, extra: string[] = []) => [...localAuditArgs(archive, root), '--verbose', ...extra];

/** A report of `root`'s bucket in `dir` (manifest.json and data files, as simulate --inventory writes it). */
async function inventoryOf(root: string, dir: string, o: { createdMs?: number; rowsPerFile?: number } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await writeInventoryReport(
    new LocalStore(root),
    { bucket: archive.bucket, destinationBucket: 'inventory-dest', creationTimestamp: o.createdMs ?? Date.now(), rowsPerFile: o.rowsPerFile ?? 50 },
    async (name, bytes) => writeFileSync(join(dir, name), bytes),
  );
  return join(dir, 'manifest.json');
}

async function sameReports(root: string, manifest: string): Promise<void> {
  for (const output of ['text', 'json']) {
    const listed = await runInProcess(auditArgs(root, ['--output', output]), { timeoutMs: 120_000 });
    const inv = await runInProcess(auditArgs(root, ['--output', output, '--inventory', manifest]), { timeoutMs: 120_000 });
    expect(inv.status, inv.err).toBe(listed.status);
    expect(inv.out.split('\n')).toEqual(listed.out.split('\n'));
    expect(inv.err).not.toMatch(/notice:/);
  }
}

describe('audit --inventory', () => {
  it('clean archive: the same text and JSON as with listing', async () => {
    const manifest = await inventoryOf(archive.root, join(work.path, 'clean'));
    expect(parseInventoryManifest(readFileSync(manifest)).files.length).toBeGreaterThan(1);
    await sameReports(archive.root, manifest);
  }, 120_000);

  it('tampered archive: the same findings in the same bytes (report read through the store, s3://)', async () => {
    const root = join(work.path, 'tampered-root');
    cpSync(archive.root, root, { recursive: true });
    const a = { root, bucket: archive.bucket, store: new LocalStore(root) };
    await deleteDigest(a, archive.chains[2]!, 0);
    await changeByte(a, archive.chains[5]!.logKeys[0]!);
    await plantUnreferencedLog({ ...a, start: archive.start }, archive.chains[7]!, 1);
    await addUnexpectedObject({ ...a, accounts: archive.accounts });
    await a.store.put(archive.bucket, 'README-outside.txt', Buffer.from('x'));
    // The report in the destination bucket on the same local root, where S3 would put it.
    const dest = join(root, 'inventory-dest');
    const manifestKey = `inventory/${archive.bucket}/trailproof/2024-05-02T00-00Z/manifest.json`;
    const staging = join(work.path, 'staging');
    const local = await inventoryOf(root, staging);
    const m = parseInventoryManifest(readFileSync(local));
    for (const f of m.files) {
      mkdirSync(dirname(join(dest, f.key)), { recursive: true });
      cpSync(join(staging, f.key.slice(f.key.lastIndexOf('/') + 1)), join(dest, f.key));
    }
    mkdirSync(dirname(join(dest, manifestKey)), { recursive: true });
    cpSync(local, join(dest, manifestKey));
    const listed = await runInProcess(auditArgs(root), { timeoutMs: 120_000 });
    expect(listed.status).toBe(1);
    expect(listed.out).toMatch(/missing-digest/);
    await sameReports(root, `s3://inventory-dest/${manifestKey}`);
    await sameReports(root, local);
  }, 180_000);

  it('a window ending after the report was begun: one notice on stderr, the report unchanged', async () => {
    const manifest = await inventoryOf(archive.root, join(work.path, 'stale'), { createdMs: archive.end / 1000 - 3_600_000 });
    const listed = await runInProcess(auditArgs(archive.root), { timeoutMs: 120_000 });
    const inv = await runInProcess(auditArgs(archive.root, ['--inventory', manifest]), { timeoutMs: 120_000 });
    expect(inv.out).toBe(listed.out);
    const notices = inv.err.split('\n').filter((l) => l.startsWith('notice:'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/S3 Inventory report was begun at .* before --end-time .*not in the report/);
  }, 120_000);

  describe('a report that does not check stops the run with one line', () => {
    const cases: Array<[string, (dir: string, manifest: string) => void, RegExp]> = [
      [
        'a data file changed (MD5)',
        (dir) => {
          const f = join(dir, 'data-00000.csv.gz');
          const b = readFileSync(f);
          b[b.length - 5]! ^= 1;
          writeFileSync(f, b);
        },
        /data-00000\.csv\.gz (does not match its MD5checksum|is not gzip)/,
      ],
      ['a data file missing', (dir) => rmSync(join(dir, 'data-00001.csv.gz')), /data-00001\.csv\.gz is missing/],
      ['not JSON', (_, m) => writeFileSync(m, '{"sourceBucket":'), /not UTF-8 JSON/],
      [
        'a report of another bucket',
        (_, m) => writeFileSync(m, readFileSync(m, 'utf8').replace(`"sourceBucket": "${archive.bucket}"`, '"sourceBucket": "another-bucket"')),
        /a report of bucket another-bucket, not/,
      ],
      ['no such manifest', (_, m) => rmSync(m), /cannot read .*manifest\.json/],
      // FIFOs: a plain open would wait for a writer forever.
      [
        'a manifest that is a FIFO',
        (_, m) => {
          rmSync(m);
          execFileSync('mkfifo', [m]);
        },
        /manifest\.json is not a file/,
      ],
      [
        'a data file that is a FIFO',
        (dir) => {
          rmSync(join(dir, 'data-00000.csv.gz'));
          execFileSync('mkfifo', [join(dir, 'data-00000.csv.gz')]);
        },
        /data-00000\.csv\.gz is not a file/,
      ],
    ];
    it.each(cases)('%s', async (name, spoil, message) => {
      const dir = join(work.path, `bad-${name.replace(/\W+/g, '-')}`);
      const manifest = await inventoryOf(archive.root, dir);
      spoil(dir, manifest);
      const r = await runInProcess(auditArgs(archive.root, ['--inventory', manifest]), { timeoutMs: 120_000 });
      expect(r.status).toBe(255);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(message);
      expect(r.err).not.toMatch(/at .*\.[jt]s:\d+/);
    });
  });

  it('simulate --inventory writes a report of the whole bucket', async () => {
    const root = join(work.path, 'sim');
    const dir = join(work.path, 'sim-inventory');
    const r = await runInProcess([
      'simulate',
      '--local-root',
      root,
      '--bucket',
      'sim-bucket',
      '--accounts',
      '2',
      '--regions',
      'us-east-1,eu-west-1',
      '--start-time',
      '2024-05-01T00:00Z',
      '--hours',
      '2',
      '--inventory',
      dir,
    ]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/Wrote an S3 Inventory report of \d+ keys \(1 data file\)/);
    const { openInventory } = await import('../../src/store/inventory-open.js');
    const store = new LocalStore(root);
    const opened = await openInventory(join(dir, 'manifest.json'), store, 'sim-bucket');
    try {
      const fromReport: string[] = [];
      for await (const k of opened.store.list('sim-bucket', { prefix: '' })) fromReport.push(k);
      const listed: string[] = [];
      for await (const k of store.list('sim-bucket', { prefix: '' })) listed.push(k);
      expect(listed.length).toBeGreaterThan(0);
      expect(fromReport).toEqual(listed);
    } finally {
      await opened.store.close();
    }
  });
});

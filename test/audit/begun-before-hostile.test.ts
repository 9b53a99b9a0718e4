import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, cpSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestListPrefix, type DigestScope } from '../../src/format/names.js';
import { MICROS_PER_HOUR, formatDisplay } from '../../src/format/time.js';
import { signRegion } from '../../src/signer/sign.js';
import { SIDECAR_SUFFIX } from '../../src/store/local.js';
import { buildOrgArchive } from '../helpers/org-archive.js';
import { runInProcess } from '../helpers/in-process.js';

const H = MICROS_PER_HOUR;

/**
 * The oldest digest of a chain that seems to begin after the window is read (begun-before.ts):
 * whatever it is, the run gives a verdict and no stack trace, and only a starting digest that
 * verifies leaves the chain unwalked (the untouched copy: exit 0); anything else walks it, and its
 * missing window digests are an error.
 */
describe('a hostile oldest digest of a chain that begins after the window', () => {
  it('never crashes, and the chain is walked (an error) unless its start verifies', async () => {
    const a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 48, filesPerHour: 1, recordsPerFile: 1 });
    try {
      const scope: DigestScope = { account: a.accounts[0]!, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'later' };
      await signRegion({
        store: a.store,
        keys: a.keys,
        bucket: a.bucket,
        scope,
        until: a.end,
        startAt: a.start + 24 * H,
        lookback: 24 * H,
        concurrency: 4,
        now: () => a.end,
        warn: () => undefined,
      });
      const later: string[] = [];
      for await (const k of a.store.list(a.bucket, { prefix: `${digestListPrefix(scope)}/` })) later.push(k);
      const oldest = later.filter((k) => k.includes('_later_')).sort()[0]!;
      const base = join(a.dir, 'base');
      cpSync(a.root, base, { recursive: true, verbatimSymlinks: true });
      const cases: Record<string, (root: string) => void> = {
        untouched: () => undefined,
        notGzip: (r) => writeFileSync(join(r, a.bucket, ...oldest.split('/')), 'not gzip'),
        huge: (r) => truncateSync(join(r, a.bucket, ...oldest.split('/')), 40 << 20),
        fifo: (r) => {
          const p = join(r, a.bucket, ...oldest.split('/'));
          rmSync(p);
          execFileSync('mkfifo', [p]);
        },
        badSidecar: (r) => writeFileSync(join(r, a.bucket, ...oldest.split('/')) + SIDECAR_SUFFIX, '{not json'),
        hugeSidecar: (r) => truncateSync(join(r, a.bucket, ...oldest.split('/')) + SIDECAR_SUFFIX, 2 << 20),
        fifoSidecar: (r) => {
          const p = join(r, a.bucket, ...oldest.split('/')) + SIDECAR_SUFFIX;
          rmSync(p);
          execFileSync('mkfifo', [p]);
        },
        dirSidecar: (r) => {
          const p = join(r, a.bucket, ...oldest.split('/')) + SIDECAR_SUFFIX;
          rmSync(p);
          mkdirSync(p);
        },
        linkOutSidecar: (r) => {
          const p = join(r, a.bucket, ...oldest.split('/')) + SIDECAR_SUFFIX;
          writeFileSync(join(a.dir, 'outside.json'), readFileSync(p));
          rmSync(p);
          symlinkSync(join(a.dir, 'outside.json'), p);
        },
        badStamp: (r) => {
          const p = join(r, a.bucket, ...oldest.split('/'));
          const q = p.replace(/\d{8}T\d{6}Z\.json\.gz$/, '20241399T999999Z.json.gz');
          renameSync(p, q);
          renameSync(p + SIDECAR_SUFFIX, q + SIDECAR_SUFFIX);
        },
        asBackfill: (r) => {
          const p = join(r, a.bucket, ...oldest.split('/'));
          const q = p.replace(/\.json\.gz$/, '_backfill.json.gz');
          renameSync(p, q);
          renameSync(p + SIDECAR_SUFFIX, q + SIDECAR_SUFFIX);
        },
      };
      const out: Record<string, { status: number | null; chains: number | undefined; codes: Array<string | undefined>; err: string }> = {};
      for (const [name, mutate] of Object.entries(cases)) {
        const root = join(a.dir, name);
        cpSync(base, root, { recursive: true, verbatimSymlinks: true });
        mutate(root);
        const r = await runInProcess(
          [
            'audit',
            '--s3-bucket',
            a.bucket,
            '--local-root',
            root,
            '--keys-dir',
            a.keysDir,
            '--start-time',
            formatDisplay(a.start),
            '--end-time',
            formatDisplay(a.start + 6 * H),
            '--output',
            'json',
          ],
          { timeoutMs: 60_000 },
        );
        const lines = r.out
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { kind: string; code?: string; chains?: number; fatal?: string | null });
        const codes = [...new Set(lines.filter((l) => l.kind === 'finding').map((l) => l.code))];
        const sum = lines.find((l) => l.kind === 'summary');
        out[name] = { status: r.status, chains: sum?.chains, codes, err: r.err };
      }
      for (const [name, r] of Object.entries(out)) expect(r.err, name).not.toMatch(/\n\s+at /);
      expect(out.untouched).toMatchObject({ status: 0, chains: 1, codes: [] });
      for (const [name, r] of Object.entries(out)) {
        if (name === 'untouched') continue;
        expect(r.status, name).toBe(1);
        expect(r.chains, name).toBe(2);
        expect(r.codes, name).toContain('no-digests');
      }
    } finally {
      a.cleanup();
    }
  }, 300_000);
});

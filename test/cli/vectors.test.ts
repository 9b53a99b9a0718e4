import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * The reference vectors (test/vectors, copied from shared/vectors: trails made by an independent
 * Python implementation, expected outputs from aws-cli 1.45.x validate-logs). The real CLI must
 * reproduce stdout, stderr and the exit code byte for byte.
 */
const SUITES = [
  // Made by an independent implementation, answered by the AWS CLI itself.
  { name: 'reference vectors', dir: join(ROOT, 'test', 'vectors'), min: 8 },
  // Made by trailproof's own simulate + sign (scripts/make-fixtures.mjs): regression guard.
  { name: 'fixtures', dir: join(ROOT, 'fixtures'), min: 8 },
];

for (const { name, dir: VECTORS, min } of SUITES)
  describe(name, () => {
    const cases = readdirSync(VECTORS).filter((c) => existsSync(join(VECTORS, c, 'expected')));
    it('are all present', () => {
      expect(cases.length).toBeGreaterThanOrEqual(min);
    });
    for (const c of cases) {
      for (const mode of ['default', 'verbose']) {
        it(`${c} (${mode})`, () => {
          const exp = join(VECTORS, c, 'expected');
          const spec = JSON.parse(readFileSync(join(exp, `${mode}.args.json`), 'utf8')) as { args: string[]; local_root: string; public_keys: string };
          const r = runCli([
            'validate-logs',
            ...spec.args,
            '--local-root',
            join(VECTORS, c, spec.local_root),
            '--public-keys',
            join(VECTORS, c, spec.public_keys),
          ]);
          expect(r.out).toBe(readFileSync(join(exp, `${mode}.stdout`), 'utf8'));
          expect(r.err).toBe(readFileSync(join(exp, `${mode}.stderr`), 'utf8'));
          expect(r.stdout.equals(readFileSync(join(exp, `${mode}.stdout`)))).toBe(true);
          expect(r.stderr.equals(readFileSync(join(exp, `${mode}.stderr`)))).toBe(true);
          expect(r.status).toBe(Number(readFileSync(join(exp, `${mode}.rc`), 'utf8')));
        });
      }
      // In-process (the built CLI ran each case above): the report must not depend on the concurrency.
      it(`${c}: the same report at concurrency 1 and 16`, async () => {
        const exp = join(VECTORS, c, 'expected');
        const spec = JSON.parse(readFileSync(join(exp, 'verbose.args.json'), 'utf8')) as { args: string[]; local_root: string; public_keys: string };
        const base = ['validate-logs', ...spec.args, '--local-root', join(VECTORS, c, spec.local_root), '--public-keys', join(VECTORS, c, spec.public_keys)];
        const one = await runInProcess([...base, '--concurrency', '1']);
        const many = await runInProcess([...base, '--concurrency', '16']);
        expect(one.out).toBe(readFileSync(join(exp, 'verbose.stdout'), 'utf8'));
        expect(many.out).toBe(one.out);
        expect(many.err).toBe(one.err);
        expect(many.status).toBe(one.status);
      });
    }
  });

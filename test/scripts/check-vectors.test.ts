import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/cli.js';

/** `npm run vectors` (scripts/check-vectors.mjs): the built CLI against test/vectors, byte for byte. */
const SCRIPT = join(ROOT, 'scripts', 'check-vectors.mjs');
const VECTORS = join(ROOT, 'test', 'vectors');
const dir = tempDir('trailproof-vectors-');
afterAll(() => dir.cleanup());

function runs(folder: string): number {
  return readdirSync(folder)
    .filter((c) => existsSync(join(folder, c, 'expected')))
    .reduce((n, c) => n + readdirSync(join(folder, c, 'expected')).filter((f) => f.endsWith('.args.json')).length, 0);
}

function check(args: string[]): { out: string; status: number | null } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { out: r.stdout, status: r.status };
}

describe('scripts/check-vectors.mjs', () => {
  it("finds every case of the repository's vectors identical", () => {
    const total = runs(VECTORS);
    expect(total).toBeGreaterThanOrEqual(16);
    const r = check([]);
    expect(r.out).toBe(`vectors: ${total}/${total} identical\n`);
    expect(r.status).toBe(0);
  });

  it('reports a byte that differs, and fails', () => {
    cpSync(join(VECTORS, 'clean'), join(dir.path, 'clean'), { recursive: true });
    const stdout = join(dir.path, 'clean', 'expected', 'verbose.stdout');
    writeFileSync(stdout, readFileSync(stdout, 'utf8').replace('valid', 'VALID'));
    const total = runs(dir.path);
    const r = check(['--dir', dir.path, '--show']);
    expect(r.out).toMatch(/^DIFF clean verbose: stdout \(line \d+: want .*VALID.*\)\n/);
    expect(r.out.endsWith(`vectors: ${total - 1}/${total} identical\n`)).toBe(true);
    expect(r.status).toBe(1);
  });
});

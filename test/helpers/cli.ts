import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'dist', 'cli', 'main.js');

export interface CliResult {
  stdout: Buffer;
  stderr: Buffer;
  status: number | null;
  out: string;
  err: string;
}

/** Runs the built CLI (as users do) and returns its raw streams and exit code. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    timeout: options.timeout ?? 120_000,
    maxBuffer: 256 << 20,
  });
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    status: r.status,
    out: r.stdout.toString('utf8'),
    err: r.stderr.toString('utf8'),
  };
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'trailproof-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** `trailproof audit` over the folder `trailproof demo DIR` leaves (its bucket, root, keys and six hours). */
export function demoAuditArgs(demoDir: string): string[] {
  return [
    'audit',
    '--s3-bucket',
    'trailproof-demo-bucket',
    '--local-root',
    join(demoDir, 'root'),
    '--keys-dir',
    join(demoDir, 'keys'),
    '--start-time',
    '2024-05-01T00:00:00Z',
    '--end-time',
    '2024-05-01T06:00:00Z',
  ];
}

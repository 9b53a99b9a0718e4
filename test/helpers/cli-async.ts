import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, ROOT, type CliResult } from './cli.js';

/** The built CLI started without waiting: for tests that race processes or send them signals. */
export function startCli(
  args: readonly string[],
  options: { timeout?: number; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcessWithoutNullStreams; done: Promise<CliResult>; stderrSoFar: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err);
      resolve({ stdout, stderr, status, out: stdout.toString('utf8'), err: stderr.toString('utf8') });
    });
  });
  return { child, done, stderrSoFar: () => Buffer.concat(err).toString('utf8') };
}

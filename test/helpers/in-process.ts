import { runTrailproof, type CliIo } from '../../src/cli/dispatch.js';
import type { CliResult } from './cli.js';

/**
 * Runs `trailproof ...args` in this process, from the TypeScript sources, and returns what
 * `runCli` returns for the spawned CLI: the same dispatcher, help, error handler and exit codes,
 * with the output collected in memory. Conventions, Tests: test in-process; spawn the CLI once per
 * CLI behaviour (test/cli). From sources the local store reads logs in-process (the log workers
 * need the compiled JS); the spawned tests cover the workers.
 *
 * `timeoutMs` bounds a run that never finishes (a FIFO, a stream that never ends): the returned
 * promise then rejects, which fails the test instead of stalling the suite. A run that blocks the
 * event loop cannot be cut this way; vitest's own test timeout is the backstop there.
 */
export async function runInProcess(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    flush: async () => undefined,
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`trailproof ${args.join(' ')} did not finish within ${timeoutMs} ms (output so far: ${JSON.stringify(out + err).slice(0, 400)})`)),
      timeoutMs,
    );
  });
  try {
    const status = await Promise.race([runTrailproof(args, io), timedOut]);
    // Through bytes and back, as a spawned run's text is (a lone surrogate becomes U+FFFD).
    const stdout = Buffer.from(out, 'utf8');
    const stderr = Buffer.from(err, 'utf8');
    return { stdout, stderr, status, out: stdout.toString('utf8'), err: stderr.toString('utf8') };
  } finally {
    clearTimeout(timer);
  }
}

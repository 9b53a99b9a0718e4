#!/usr/bin/env node
import { messageOf } from '../errors.js';
import { runTrailproof, type CliIo } from './dispatch.js';

/**
 * The process around the CLI: arguments in, the two streams out, the exit code. Everything else
 * (commands, help, the top-level error handler) is dispatch.ts, which tests run in-process.
 */

// A reader that goes away (`| head`) is no error of ours: stop quietly, as a shell expects (128 + SIGPIPE).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    process.exit(err.code === 'EPIPE' ? 141 : 255);
  });
}

/** Resolves once `stream` has handed on everything written before (an empty write's callback). */
const drained = (stream: NodeJS.WriteStream): Promise<void> => new Promise<void>((r) => stream.write('', () => r()));

const io: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  flush: async () => {
    await drained(process.stdout);
    await drained(process.stderr);
  },
  errIsTTY: process.stderr.isTTY === true,
  githubActions: process.env.GITHUB_ACTIONS === 'true',
};

runTrailproof(process.argv.slice(2), io).then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`\ninternal error (a bug in trailproof, please report it): ${messageOf(err)}\n`);
    await io.flush();
    process.exit(255);
  },
);

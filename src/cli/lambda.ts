import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { copyKeyStore } from '../keys/copy.js';
import { runTrailproof, type CliIo } from './dispatch.js';

/**
 * An AWS Lambda handler (`import { handler } from 'trailproof/lambda'`): one `trailproof sign` run
 * per invocation, for an hourly EventBridge schedule (examples/lambda/). A run is idempotent: a
 * retried or overlapping invocation signs nothing twice (write-once digests).
 *
 * - The arguments: the event's `args` (an array of strings), else TRAILPROOF_SIGN_ARGS (a JSON array
 *   of strings), exactly as on the command line after `trailproof sign`.
 * - TRAILPROOF_KEYS_DIR: a key store bundled with the function (KMS-registered keys: public records
 *   only). The package is read-only and the signer keeps its locks in the key store, so it is copied
 *   once per container to TRAILPROOF_WORK_DIR (default /tmp) and given as --keys-dir.
 * - stdout and stderr go to the function's log; a run that does not end with 0 throws (the
 *   invocation fails, and the schedule's retry runs it again), its last stderr line as the message.
 */
export interface SignEvent {
  readonly args?: readonly string[];
}

export interface SignOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

let copied: Promise<string> | undefined;

function argsOf(event: SignEvent | undefined, environment: NodeJS.ProcessEnv): string[] {
  let args: unknown = event?.args;
  if (args === undefined) {
    const text = environment.TRAILPROOF_SIGN_ARGS;
    if (text === undefined || text === '')
      throw new Error('trailproof lambda: give the sign arguments as the event\'s "args" or in TRAILPROOF_SIGN_ARGS (a JSON array)');
    try {
      args = JSON.parse(text);
    } catch {
      throw new Error('trailproof lambda: TRAILPROOF_SIGN_ARGS is not a JSON array of strings');
    }
  }
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new Error('trailproof lambda: the sign arguments must be an array of strings');
  return [...(args as string[])];
}

async function writableKeys(bundled: string, workDir: string): Promise<string> {
  const target = join(workDir, 'trailproof-keys');
  copied ??= (async () => {
    await stat(bundled);
    await copyKeyStore(bundled, target);
    return target;
  })();
  copied.catch(() => (copied = undefined));
  return copied;
}

/** The Lambda entry point (Lambda's second argument, the context, is not used). */
export function handler(event?: SignEvent): Promise<SignOutcome> {
  return signHandler(event, process.env);
}

/** The handler with its environment given (tests). */
export async function signHandler(event: SignEvent | undefined, environment: NodeJS.ProcessEnv): Promise<SignOutcome> {
  const args = argsOf(event, environment);
  const bundled = environment.TRAILPROOF_KEYS_DIR;
  if (bundled !== undefined && bundled !== '' && !args.includes('--keys-dir')) {
    args.push('--keys-dir', await writableKeys(bundled, environment.TRAILPROOF_WORK_DIR || '/tmp'));
  }
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    flush: async () => undefined,
  };
  const exitCode = await runTrailproof(['sign', ...args], io);
  if (stdout !== '') console.log(stdout.trimEnd());
  if (stderr !== '') console.error(stderr.trimEnd());
  if (exitCode !== 0) {
    const last = stderr.trim().split('\n').pop() ?? '';
    throw new Error(`trailproof sign exited with ${exitCode}${last ? `: ${last}` : ''}`);
  }
  return { exitCode, stdout, stderr };
}

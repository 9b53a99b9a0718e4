import { inert } from '../report/github.js';
import { readFileSync } from 'node:fs';
import { exitCodeFor, messageOf, TrailproofError } from '../errors.js';
import { createOutput } from '../verifier/output.js';
import { peekOption } from './args.js';
import { formatHelp } from './help.js';
import { closest } from './suggest.js';
import type { ValidateDeps } from './validate-logs.js';

/**
 * Where a run's output goes: the process streams (main.ts), or memory (tests run the CLI
 * in-process: a spawned process per case blocks the test worker on a busy machine).
 */
export interface CliIo {
  /**
   * Writes to stdout. main.ts writes straight through, with no buffer of its own: what a command
   * wrote survives a process.exit (sign's second signal). validate-logs batches its report itself.
   */
  out(text: string): void;
  err(text: string): void;
  /** Resolves once everything written has been handed on. */
  flush(): Promise<void>;
  /** Whether stderr is a terminal (sign's progress line). */
  readonly errIsTTY?: boolean;
  /** Under GitHub Actions: the error lines written here are made inert (report/github.ts), as the reports' are. */
  readonly githubActions?: boolean;
}

interface Command {
  /** The one-line summary (`trailproof --help`). */
  readonly summary: string;
  /** Printed above a usage error. */
  readonly usage: string;
  /** `trailproof <command> --help`. */
  readonly help: string;
  /** Whether a stopped run also ends stdout with a JSON error line (`--output json`). */
  readonly jsonErrors?: (argv: readonly string[]) => boolean;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** S3 and CloudTrail through the AWS SDK, loaded only when a run has no --local-root. */
const openS3: ValidateDeps['openS3'] = async (args) => (await import('./aws.js')).openS3(args);

/** A stream over one side of `io`, for the report's buffered output (one write per 64 KiB, not per line). */
const writable = (write: (text: string) => void) => ({
  write(chunk: string, cb?: (err?: Error | null) => void): boolean {
    write(chunk);
    cb?.();
    return true;
  },
});

/** Each command's module is loaded only when it runs: start-up stays short (validate-logs on an empty range). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  'validate-logs': async () => {
    const m = await import('./validate-logs.js');
    return {
      summary: m.VALIDATE_COMMAND.summary,
      usage: m.VALIDATE_USAGE,
      help: formatHelp([m.VALIDATE_COMMAND]),
      jsonErrors: (argv) => peekOption(argv, 'output') === 'json',
      run: (a, io) => m.validateLogsCommand(a, { openS3, output: createOutput(writable(io.out), writable(io.err)) }),
    };
  },
  'list-public-keys': async () => {
    const [m, { keyStorePublicEntries }] = await Promise.all([import('./list-public-keys.js'), import('./key-store-dir.js')]);
    return {
      summary: m.LIST_KEYS_COMMAND.summary,
      usage: m.LIST_KEYS_USAGE,
      help: formatHelp([m.LIST_KEYS_COMMAND]),
      run: (a, io) => m.listPublicKeysCommand(a, { loadKeyStore: keyStorePublicEntries, out: io.out }),
    };
  },
  keys: async () => {
    const m = await import('./keys.js');
    return { summary: m.KEYS_SUMMARY, usage: m.KEYS_USAGE, help: m.KEYS_HELP, run: (a, io) => m.keysCommand(a, io.out, io.err) };
  },
  audit: async () => {
    const m = await import('./audit.js');
    return {
      summary: m.AUDIT_COMMAND.summary,
      usage: m.AUDIT_USAGE,
      help: formatHelp([m.AUDIT_COMMAND]),
      jsonErrors: (argv) => peekOption(argv, 'output') === 'json',
      run: (a, io) =>
        m.auditCommand(a, { openS3, output: createOutput(writable(io.out), writable(io.err)), progress: io.errIsTTY === true ? io.err : undefined }),
    };
  },
  worker: async () => {
    const m = await import('./worker.js');
    // Stops on SIGINT or SIGTERM: the jobs in hand finish, the others stay in the queue for other workers.
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    return {
      summary: m.WORKER_COMMAND.summary,
      usage: m.WORKER_USAGE,
      help: formatHelp([m.WORKER_COMMAND]),
      run: (a, io) => m.workerCommand(a, { openS3, err: io.err, stop }),
    };
  },
  sign: async () => {
    const m = await import('./sign.js');
    return {
      summary: m.SIGN_COMMAND.summary,
      usage: m.SIGN_USAGE,
      help: formatHelp([m.SIGN_COMMAND]),
      run: (a, io) => m.signCommand(a, { openS3, out: io.out, err: io.err, isTTY: io.errIsTTY === true }),
    };
  },
  simulate: async () => {
    const m = await import('./simulate.js');
    return {
      summary: m.SIMULATE_COMMAND.summary,
      usage: m.SIMULATE_USAGE,
      help: formatHelp([m.SIMULATE_COMMAND]),
      run: (a, io) => m.simulateCommand(a, { openS3, out: io.out }),
    };
  },
  demo: async () => {
    const m = await import('./demo.js');
    // The demo's two validate-logs reports still go to process.stdout (demo.ts writes them itself).
    return { summary: m.DEMO_COMMAND.summary, usage: m.DEMO_USAGE, help: formatHelp([m.DEMO_COMMAND]), run: (a, io) => m.demoCommand(a, io.out) };
  },
  'export-signatures': async () => {
    const m = await import('./export-signatures.js');
    return {
      summary: m.EXPORT_COMMAND.summary,
      usage: m.EXPORT_USAGE,
      help: formatHelp([m.EXPORT_COMMAND]),
      run: (a, io) => m.exportSignaturesCommand(a, { openS3, out: io.out, err: io.err }),
    };
  },
};

const TOP_USAGE = `usage: trailproof <command> [options]
       trailproof help <command>   (or trailproof <command> --help)
       trailproof --version`;

/** `trailproof --help`: every command with its summary (each module is loaded for it: help is not a hot path). */
async function topHelp(): Promise<string> {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines: string[] = [];
  for (const name of names) lines.push(`  ${name.padEnd(width)}${(await COMMANDS[name]!()).summary}`);
  return `${TOP_USAGE}

trailproof: CloudTrail-grade tamper evidence for log archives.

Commands:
${lines.join('\n')}

Exit codes: 0 success, 1 something INVALID (validate-logs; sign: log files skipped; demo: not as
expected), 2 usage error, 255 the run stopped (stderr says why), 141 stdout closed early.
`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return String(pkg.version);
}

function unknownCommand(name: string, io: CliIo): number {
  const guess = closest(name, Object.keys(COMMANDS));
  const hint = guess !== undefined ? ` (did you mean '${guess}'?)` : '';
  io.err(`${TOP_USAGE}\n\ntrailproof: error: unknown command '${name}'${hint}\n`);
  return 2;
}

const bug = (err: unknown): string => `internal error (a bug in trailproof, please report it): ${messageOf(err)}`;

/** The one top-level handler: expected errors print their message, anything else says it is a bug. */
async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the help goes where errors go.
    io.err(await topHelp());
    return 2;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    io.out(await topHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(`trailproof ${version()}\n`);
    return 0;
  }
  if (name === 'help') {
    const load = COMMANDS[rest[0]!];
    if (!load) return unknownCommand(rest[0]!, io);
    io.out((await load()).help);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) return unknownCommand(name, io);
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const known = err instanceof TrailproofError;
    const code = known ? exitCodeFor(err) : 255;
    const text = known ? err.message : bug(err);
    const message = io.githubActions ? inert(text) : text;
    // --output json: a stopped run still ends stdout with one parseable line (stderr stays the same).
    if (command.jsonErrors?.(rest)) io.out(`${JSON.stringify({ kind: 'error', message, exitCode: code })}\n`);
    if (known && err.code === 'usage') io.err(`${command.usage}\n\ntrailproof: error: ${message}\n`);
    // The AWS CLI's handler: an empty line, then the message.
    else io.err(`\n${message}\n`);
    return code;
  }
}

/**
 * Runs `trailproof ...argv` with its output on `io` and resolves with the exit code, once `io` is
 * flushed. Never rejects: an error that escapes the commands' handler is reported as a bug (255).
 */
export async function runTrailproof(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number;
  try {
    code = await dispatch(argv, io);
  } catch (err) {
    io.err(`\n${io.githubActions ? inert(bug(err)) : bug(err)}\n`);
    code = 255;
  }
  await io.flush();
  return code;
}

#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { exitCodeFor, messageOf, TrailproofError } from '../errors.js';
import { peekOption } from './args.js';
import { formatHelp } from './help.js';
import { closest } from './suggest.js';
import type { ValidateDeps } from './validate-logs.js';

interface Command {
  /** The one-line summary (`trailproof --help`). */
  readonly summary: string;
  /** Printed above a usage error. */
  readonly usage: string;
  /** `trailproof <command> --help`. */
  readonly help: string;
  /** Whether a stopped run also ends stdout with a JSON error line (`--output json`). */
  readonly jsonErrors?: (argv: readonly string[]) => boolean;
  run(argv: readonly string[]): Promise<number>;
}

/** S3 and CloudTrail through the AWS SDK, loaded only when a run has no --local-root. */
const openS3: ValidateDeps['openS3'] = async (args) => (await import('./aws.js')).openS3(args);

/** Each command's module is loaded only when it runs: start-up stays short (validate-logs on an empty range). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  'validate-logs': async () => {
    const m = await import('./validate-logs.js');
    return {
      summary: m.VALIDATE_COMMAND.summary,
      usage: m.VALIDATE_USAGE,
      help: formatHelp([m.VALIDATE_COMMAND]),
      jsonErrors: (argv) => peekOption(argv, 'output') === 'json',
      run: (a) => m.validateLogsCommand(a, { openS3 }),
    };
  },
  'list-public-keys': async () => {
    const [m, { keyStorePublicEntries }] = await Promise.all([import('./list-public-keys.js'), import('./key-store-dir.js')]);
    return {
      summary: m.LIST_KEYS_COMMAND.summary,
      usage: m.LIST_KEYS_USAGE,
      help: formatHelp([m.LIST_KEYS_COMMAND]),
      run: (a) => m.listPublicKeysCommand(a, { loadKeyStore: keyStorePublicEntries }),
    };
  },
  keys: async () => {
    const m = await import('./keys.js');
    return { summary: m.KEYS_SUMMARY, usage: m.KEYS_USAGE, help: m.KEYS_HELP, run: (a) => m.keysCommand(a) };
  },
  audit: async () => {
    const m = await import('./audit.js');
    return { summary: m.AUDIT_COMMAND.summary, usage: m.AUDIT_USAGE, help: formatHelp([m.AUDIT_COMMAND]), jsonErrors: (argv) => peekOption(argv, 'output') === 'json', run: (a) => m.auditCommand(a, { openS3 }) };
  },
  sign: async () => {
    const m = await import('./sign.js');
    return { summary: m.SIGN_COMMAND.summary, usage: m.SIGN_USAGE, help: formatHelp([m.SIGN_COMMAND]), run: (a) => m.signCommand(a, { openS3 }) };
  },
  simulate: async () => {
    const m = await import('./simulate.js');
    return { summary: m.SIMULATE_COMMAND.summary, usage: m.SIMULATE_USAGE, help: formatHelp([m.SIMULATE_COMMAND]), run: (a) => m.simulateCommand(a, { openS3 }) };
  },
  demo: async () => {
    const m = await import('./demo.js');
    return { summary: m.DEMO_COMMAND.summary, usage: m.DEMO_USAGE, help: formatHelp([m.DEMO_COMMAND]), run: (a) => m.demoCommand(a) };
  },
  'export-signatures': async () => {
    const m = await import('./export-signatures.js');
    return {
      summary: m.EXPORT_COMMAND.summary,
      usage: m.EXPORT_USAGE,
      help: formatHelp([m.EXPORT_COMMAND]),
      run: (a) => m.exportSignaturesCommand(a, { openS3 }),
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

function unknownCommand(name: string): number {
  const guess = closest(name, Object.keys(COMMANDS));
  const hint = guess !== undefined ? ` (did you mean '${guess}'?)` : '';
  process.stderr.write(`${TOP_USAGE}\n\ntrailproof: error: unknown command '${name}'${hint}\n`);
  return 2;
}

/** The one top-level handler: expected errors print their message, anything else says it is a bug. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the help goes where errors go.
    process.stderr.write(await topHelp());
    return 2;
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(await topHelp());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`trailproof ${version()}\n`);
    return 0;
  }
  if (name === 'help') {
    const load = COMMANDS[rest[0]!];
    if (!load) return unknownCommand(rest[0]!);
    process.stdout.write((await load()).help);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) return unknownCommand(name);
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const known = err instanceof TrailproofError;
    const code = known ? exitCodeFor(err) : 255;
    const message = known ? err.message : `internal error (a bug in trailproof, please report it): ${messageOf(err)}`;
    // --output json: a stopped run still ends stdout with one parseable line (stderr stays the same).
    if (command.jsonErrors?.(rest)) process.stdout.write(`${JSON.stringify({ kind: 'error', message, exitCode: code })}\n`);
    if (known && err.code === 'usage') process.stderr.write(`${command.usage}\n\ntrailproof: error: ${message}\n`);
    // The AWS CLI's handler: an empty line, then the message.
    else process.stderr.write(`\n${message}\n`);
    return code;
  }
}

// A reader that goes away (`| head`) is no error of ours: stop quietly, as a shell expects (128 + SIGPIPE).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    process.exit(err.code === 'EPIPE' ? 141 : 255);
  });
}

main(process.argv.slice(2)).then(flushAndExit, async (err: unknown) => {
  process.stderr.write(`\ninternal error (a bug in trailproof, please report it): ${messageOf(err)}\n`);
  await flushAndExit(255);
});

async function flushAndExit(code: number): Promise<never> {
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  await new Promise<void>((r) => process.stderr.write('', () => r()));
  process.exit(code);
}

#!/usr/bin/env node
import { exitCodeFor, messageOf, TrailproofError } from '../errors.js';
import type { ValidateDeps } from './validate-logs.js';

const HELP = `trailproof: CloudTrail-grade tamper evidence for log archives.

Commands:
  validate-logs      check a trail like \`aws cloudtrail validate-logs\` (S3 or a local copy)
  list-public-keys   print checked public keys like \`aws cloudtrail list-public-keys\`
  keys               create, rotate and list the signer's key pairs (one per region)
  sign               write hourly signed digests for delivered log files, like CloudTrail
  simulate           write a synthetic CloudTrail trail's log files (demo, fixtures, benchmarks)
  demo               simulate, sign, validate, tamper and validate again, in seconds
  export-signatures  copy digests' S3 metadata into a local copy's sidecars (offline validation)

Run \`trailproof <command> --help\` for a command's options.
`;

interface Command {
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

/** S3 and CloudTrail through the AWS SDK, loaded only when a run has no --local-root. */
const openS3: ValidateDeps['openS3'] = async (args) => (await import('./aws.js')).openS3(args);

/** Each command's module is loaded only when it runs: start-up stays short (validate-logs on an empty range). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  'validate-logs': async () => {
    const m = await import('./validate-logs.js');
    return { usage: m.VALIDATE_USAGE, run: (a) => m.validateLogsCommand(a, { openS3 }) };
  },
  'list-public-keys': async () => {
    const [m, { KeyStore }] = await Promise.all([import('./list-public-keys.js'), import('../keys/keystore.js')]);
    return { usage: m.LIST_KEYS_USAGE, run: (a) => m.listPublicKeysCommand(a, { loadKeyStore: (dir) => new KeyStore(dir).publicEntries() }) };
  },
  keys: async () => {
    const m = await import('./keys.js');
    return { usage: m.KEYS_USAGE, run: (a) => m.keysCommand(a) };
  },
  sign: async () => {
    const m = await import('./sign.js');
    return { usage: m.SIGN_USAGE, run: (a) => m.signCommand(a, { openS3 }) };
  },
  simulate: async () => {
    const m = await import('./simulate.js');
    return { usage: m.SIMULATE_USAGE, run: (a) => m.simulateCommand(a, { openS3 }) };
  },
  demo: async () => {
    const m = await import('./demo.js');
    return { usage: m.DEMO_USAGE, run: (a) => m.demoCommand(a) };
  },
  'export-signatures': async () => {
    const m = await import('./export-signatures.js');
    return { usage: m.EXPORT_USAGE, run: (a) => m.exportSignaturesCommand(a, { openS3 }) };
  },
};

async function flushAndExit(code: number): Promise<never> {
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  await new Promise<void>((r) => process.stderr.write('', () => r()));
  process.exit(code);
}

/** The one top-level handler: expected errors print their message, anything else says it is a bug. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`${HELP}\ntrailproof: error: unknown command '${name}'\n`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof TrailproofError) {
      if (err.code === 'usage') {
        process.stderr.write(`${command.usage}\n\ntrailproof: error: ${err.message}\n`);
      } else {
        // The AWS CLI's handler: an empty line, then the message.
        process.stderr.write(`\n${err.message}\n`);
      }
      return exitCodeFor(err);
    }
    process.stderr.write(`\ninternal error (a bug in trailproof, please report it): ${messageOf(err)}\n`);
    return 255;
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

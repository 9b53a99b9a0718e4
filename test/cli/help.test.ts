import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEMO_COMMAND } from '../../src/cli/demo.js';
import { EXPORT_COMMAND } from '../../src/cli/export-signatures.js';
import { formatHelp } from '../../src/cli/help.js';
import { KEYS_HELP } from '../../src/cli/keys.js';
import { LIST_KEYS_COMMAND } from '../../src/cli/list-public-keys.js';
import { SIGN_COMMAND } from '../../src/cli/sign.js';
import { SIMULATE_COMMAND } from '../../src/cli/simulate.js';
import { VALIDATE_COMMAND } from '../../src/cli/validate-logs.js';
import { ROOT, runCli } from '../helpers/cli.js';

/** `--version`, `help`, `<command> --help`, unknown commands and options (the built CLI, once per behaviour). */
const HELP: Record<string, string> = {
  'validate-logs': formatHelp([VALIDATE_COMMAND]),
  'list-public-keys': formatHelp([LIST_KEYS_COMMAND]),
  keys: KEYS_HELP,
  sign: formatHelp([SIGN_COMMAND]),
  simulate: formatHelp([SIMULATE_COMMAND]),
  demo: formatHelp([DEMO_COMMAND]),
  'export-signatures': formatHelp([EXPORT_COMMAND]),
};

describe('trailproof', () => {
  it('--version prints the version of package.json', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runCli(['--version']);
    expect(r.out).toBe(`trailproof ${version}\n`);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it('--help and help print every command to stdout (exit 0); no arguments prints the same to stderr (exit 2)', () => {
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.err).toBe('');
    for (const name of Object.keys(HELP)) expect(help.out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
    const word = runCli(['help']);
    expect(word.out).toBe(help.out);
    expect(word.status).toBe(0);
    const none = runCli([]);
    expect(none.status).toBe(2);
    expect(none.out).toBe('');
    expect(none.err).toBe(help.out);
  });

  it.each(Object.keys(HELP))('%s --help and help <command> print the help of its option table (exit 0)', (name) => {
    const flag = runCli([name, '--help']);
    expect(flag.out).toBe(HELP[name]);
    expect(flag.err).toBe('');
    expect(flag.status).toBe(0);
    const word = runCli(['help', name]);
    expect(word.out).toBe(HELP[name]);
    expect(word.status).toBe(0);
    expect(flag.out).toMatch(/^usage: trailproof /);
    expect(flag.out).toMatch(/\nExit codes:\n {2}0 /);
  });

  it('an unknown command suggests the nearest one (exit 2)', () => {
    const r = runCli(['validate-log', '--trail-arn', 'x']);
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trimEnd().split('\n').pop()).toBe("trailproof: error: unknown command 'validate-log' (did you mean 'validate-logs'?)");
    const far = runCli(['help', 'frobnicate']);
    expect(far.status).toBe(2);
    expect(far.err.trimEnd().split('\n').pop()).toBe("trailproof: error: unknown command 'frobnicate'");
  });

  it("an unknown option of trailproof's own commands is a lowercase error with a hint (exit 2)", () => {
    const r = runCli(['list-public-keys', '--keys-dri', join(ROOT, 'keys')]);
    expect(r.status).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.startsWith(`${formatHelp([LIST_KEYS_COMMAND]).split('\n\n')[0]}\n\n`)).toBe(true);
    expect(r.err.trimEnd().split('\n').pop()).toBe('trailproof: error: unknown option --keys-dri (did you mean --keys-dir?)');
  });
});

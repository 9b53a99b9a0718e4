import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArgs, peekOption, type CommandSpec } from '../../src/cli/args.js';
import { DEMO_COMMAND } from '../../src/cli/demo.js';
import { EXPORT_COMMAND } from '../../src/cli/export-signatures.js';
import { formatHelp, formatUsage } from '../../src/cli/help.js';
import { KEYS_COMMANDS } from '../../src/cli/keys.js';
import { LIST_KEYS_COMMAND } from '../../src/cli/list-public-keys.js';
import { SIGN_COMMAND } from '../../src/cli/sign.js';
import { SIMULATE_COMMAND } from '../../src/cli/simulate.js';
import { closest, editDistance } from '../../src/cli/suggest.js';
import { VALIDATE_COMMAND } from '../../src/cli/validate-logs.js';
import { TrailproofError } from '../../src/errors.js';

/** Option tables (src/cli/args.ts): the parser and the help come from the same table. */
const SPECS: CommandSpec[] = [VALIDATE_COMMAND, LIST_KEYS_COMMAND, ...KEYS_COMMANDS, SIGN_COMMAND, SIMULATE_COMMAND, DEMO_COMMAND, EXPORT_COMMAND];
const OWN = SPECS.filter((s) => s.awsErrors !== true);

function usageMessage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(TrailproofError);
    expect((err as TrailproofError).code).toBe('usage');
    return (err as TrailproofError).message;
  }
  throw new Error('no usage error');
}

/** A value that the parser takes as a value (not an option). */
const value = fc.string({ minLength: 1, maxLength: 12 }).filter((v) => !v.startsWith('--'));

describe.each(SPECS.map((s) => [s.name, s] as const))('%s', (_name, spec) => {
  const help = formatHelp([spec]);
  const usage = formatUsage(spec);

  it('help and usage show every option of the table, with its value name and default', () => {
    for (const o of spec.options) {
      const shown = o.flag ? `--${o.name}` : `--${o.name} ${o.value}`;
      expect(usage).toContain(shown);
      const line = help.split('\n').find((l) => l.startsWith(`  ${shown} `) || l === `  ${shown}`);
      expect(line, shown).toBeDefined();
      expect(line).toContain(o.description);
      if (o.default !== undefined) expect(line).toContain(`default: ${o.default}`);
      if (o.required) expect(line).toContain('required');
    }
    for (const [code, meaning] of spec.exitCodes) expect(help).toContain(`  ${String(code).padEnd(5)}${meaning}`);
    expect(help).toContain(spec.summary);
  });

  it('the parser takes exactly the options of the table (any subset, any values)', () => {
    const required = spec.options.filter((o) => o.required);
    fc.assert(
      fc.property(
        fc.subarray([...spec.options]),
        fc.array(value, { minLength: spec.options.length, maxLength: spec.options.length }),
        fc.boolean(),
        (chosen, values, withEquals) => {
          const given = [...new Set([...required, ...chosen])];
          const argv = given.flatMap((o, i) => (o.flag ? [`--${o.name}`] : withEquals ? [`--${o.name}=${values[i]!}`] : [`--${o.name}`, values[i]!]));
          const args = parseArgs(argv, spec);
          given.forEach((o, i) => expect(args[o.name]).toBe(o.flag ? true : values[i]));
          expect(Object.keys(args).sort()).toEqual(given.map((o) => o.name).sort());
        },
      ),
      { numRuns: 50 },
    );
  });

  if (spec.options.some((o) => o.required)) {
    it('names the missing required options in table order', () => {
      const required = spec.options.filter((o) => o.required).map((o) => `--${o.name}`);
      expect(usageMessage(() => parseArgs([], spec))).toBe(`the following arguments are required: ${required.join(', ')}`);
    });
  }
});

describe('unknown options', () => {
  it.each(OWN.map((s) => [s.name, s] as const))('%s: lowercase, with the nearest option when one is near', (_name, spec) => {
    const names = spec.options.map((o) => o.name);
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(), fc.constantFrom('q', 'x', 'z'), (name, at, ch) => {
        // one substituted character: a typo at edit distance 1 from a real option
        const i = at % name.length;
        const typo = `${name.slice(0, i)}${ch}${name.slice(i + 1)}`;
        fc.pre(!names.includes(typo));
        const message = usageMessage(() => parseArgs([`--${typo}`, 'v'], spec));
        const m = /^unknown option --(\S+) \(did you mean --(\S+)\?\)$/.exec(message);
        expect(m, message).not.toBeNull();
        expect(m![1]).toBe(typo);
        // the suggestion is an option of the table, at least as near as the option it came from
        expect(names).toContain(m![2]);
        expect(editDistance(typo, m![2]!)).toBeLessThanOrEqual(editDistance(typo, name));
      }),
      { numRuns: 40 },
    );
  });

  it('an unknown option is named before missing required ones (trailproof commands)', () => {
    expect(usageMessage(() => parseArgs(['--bukcet', 'b'], SIMULATE_COMMAND))).toBe('unknown option --bukcet (did you mean --bucket?)');
    expect(usageMessage(() => parseArgs(['--zzzzzzzz'], DEMO_COMMAND))).toBe('unknown option --zzzzzzzz');
    expect(usageMessage(() => parseArgs(['stray'], DEMO_COMMAND))).toBe("unexpected argument 'stray' (options start with --)");
  });

  it("validate-logs keeps the AWS CLI's wording and order", () => {
    expect(usageMessage(() => parseArgs(['--frob', 'x'], VALIDATE_COMMAND))).toBe('the following arguments are required: --trail-arn, --start-time');
    expect(usageMessage(() => parseArgs(['--trail-arn', 'a', '--start-time', 't', '--frob', 'x'], VALIDATE_COMMAND))).toBe('Unknown options: --frob, x');
    expect(usageMessage(() => parseArgs(['--trail-arn', '--start-time', 't'], VALIDATE_COMMAND))).toBe('argument --trail-arn: expected one argument');
  });
});

describe('suggestions', () => {
  it('edit distance is a metric', () => {
    const word = fc.string({ maxLength: 10 });
    fc.assert(
      fc.property(word, word, word, (a, b, c) => {
        expect(editDistance(a, a)).toBe(0);
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c));
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(editDistance(a, b)).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      }),
    );
  });

  it('suggests near commands only', () => {
    const commands = ['validate-logs', 'list-public-keys', 'keys', 'sign', 'simulate', 'demo', 'export-signatures'];
    expect(closest('validate-log', commands)).toBe('validate-logs');
    expect(closest('simualte', commands)).toBe('simulate');
    expect(closest('export', commands)).toBe('export-signatures');
    expect(closest('frobnicate', commands)).toBeUndefined();
  });
});

describe('peekOption', () => {
  it('finds the value the parser would take, whatever else argv holds', () => {
    expect(peekOption(['--bad', '--output', 'json'], 'output')).toBe('json');
    expect(peekOption(['--output=json', '--output', 'text'], 'output')).toBe('text');
    expect(peekOption(['--output', '--verbose'], 'output')).toBeUndefined();
    expect(peekOption(['json'], 'output')).toBeUndefined();
  });
});

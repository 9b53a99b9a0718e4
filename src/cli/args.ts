import { TrailproofError } from '../errors.js';
import { closest } from './suggest.js';

/**
 * One option table per command: the parser reads it, and the usage line and `--help` are generated
 * from it, so they cannot drift apart. A small argparse: `--name value`, `--name=value` and boolean
 * flags; the last occurrence wins. Unknown options and missing values are usage errors (exit 2).
 */
interface BaseOption {
  readonly name: string;
  /** One line for `--help`. */
  readonly description: string;
  readonly required?: boolean;
  /** The default as `--help` shows it (the code applies it; keep both on one constant). */
  readonly default?: string;
  /** Shown with the next option of the table as `[--this X | --next Y]` in the usage line. */
  readonly orNext?: boolean;
  /** A heading in `--help` for this option and the ones after it. */
  readonly group?: string;
  /** May be given several times: the values are joined with commas (a list). */
  readonly repeat?: boolean;
}
export type OptionSpec = BaseOption & ({ readonly flag: true; readonly value?: undefined } | { readonly value: string; readonly flag?: undefined });

export type ExitCodes = ReadonlyArray<readonly [number, string]>;

export interface CommandSpec {
  /** As typed after `trailproof`: `validate-logs`, `keys create`. */
  readonly name: string;
  /** One line, for `trailproof --help` and the first line of the command's help. */
  readonly summary: string;
  /** Paragraphs after the options (optional). */
  readonly about?: string;
  readonly options: readonly OptionSpec[];
  readonly exitCodes: ExitCodes;
  /**
   * validate-logs answers usage errors as the AWS CLI does (required options first, then
   * `Unknown options: --x, y`); trailproof's own commands say `unknown option --x (did you mean --y?)`.
   */
  readonly awsErrors?: boolean;
}

export type ParsedArgs = Record<string, string | boolean | undefined>;

export function usageError(message: string): TrailproofError {
  return new TrailproofError('usage', message);
}

/** Exit codes every command shares. */
export const EXIT_USAGE_LINE = [2, 'usage error: an unknown option, a missing or malformed value'] as const;
export const EXIT_STOPPED_LINE = [255, 'the run stopped: stderr says why in one line'] as const;
export const EXIT_PIPE_LINE = [141, 'stdout was closed early (`| head`): the run ends quietly'] as const;

export function parseArgs(argv: readonly string[], spec: CommandSpec | readonly OptionSpec[]): ParsedArgs {
  const command: CommandSpec | undefined = isCommand(spec) ? spec : undefined;
  const specs = command ? command.options : (spec as readonly OptionSpec[]);
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: ParsedArgs = {};
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      unknown.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const option = byName.get(name);
    if (!option) {
      unknown.push(eq < 0 ? arg : arg.slice(0, eq));
      continue;
    }
    if (option.flag) {
      if (eq >= 0) throw usageError(`argument --${name}: ignored explicit argument '${arg.slice(eq + 1)}'`);
      out[name] = true;
      continue;
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1];
    if (eq < 0) {
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw usageError(`argument --${name}: expected one argument`);
      i++;
    }
    out[name] = option.repeat && typeof out[name] === 'string' ? `${out[name]},${value}` : value;
  }
  const aws = command?.awsErrors === true;
  // trailproof's own commands name a mistyped option before the required ones it hides.
  if (!aws && unknown.length > 0) throw unknownError(unknown, specs);
  const missing = specs.filter((s) => s.required && out[s.name] === undefined).map((s) => `--${s.name}`);
  if (missing.length > 0) throw usageError(`the following arguments are required: ${missing.join(', ')}`);
  // The AWS CLI's own wording for validate-logs (argparse's parse_known_args, then its check).
  if (unknown.length > 0) throw usageError(`Unknown options: ${unknown.join(', ')}`);
  return out;
}

function isCommand(spec: CommandSpec | readonly OptionSpec[]): spec is CommandSpec {
  return !Array.isArray(spec);
}

function unknownError(unknown: readonly string[], specs: readonly OptionSpec[]): TrailproofError {
  const first = unknown[0]!;
  if (!first.startsWith('--')) return usageError(`unexpected argument '${first}' (options start with --)`);
  const guess = closest(
    first.slice(2),
    specs.map((s) => s.name),
  );
  const hint = guess !== undefined ? ` (did you mean --${guess}?)` : '';
  // Later words that are not options are most likely the mistyped option's value.
  const others = unknown.slice(1).filter((u) => u.startsWith('--'));
  const more = others.length > 0 ? ` (and ${others.join(', ')})` : '';
  return usageError(`unknown option ${first}${hint}${more}`);
}

/**
 * The value an option would get, without failing on anything else in argv: lets the top-level
 * handler honour `--output json` for a usage error too.
 */
export function peekOption(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === `--${name}`) {
      const next = argv[i + 1];
      if (next !== undefined && !(next.startsWith('--') && next.length > 2)) value = next;
      i++;
    } else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  }
  return value;
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' ? v : undefined;
}

export function positiveInt(args: ParsedArgs, name: string, max = 1_000_000): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw usageError(`argument --${name}: expected a whole number from 1 to ${max}`);
  return Number(v);
}

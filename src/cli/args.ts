import { TrailproofError } from '../errors.js';

/**
 * A small argparse: `--name value`, `--name=value` and boolean flags; the last occurrence wins.
 * Unknown options and missing values are usage errors (exit 2), as with the AWS CLI.
 */
export interface OptionSpec {
  readonly name: string;
  readonly flag?: boolean;
  readonly required?: boolean;
}

export type ParsedArgs = Record<string, string | boolean | undefined>;

export function usageError(message: string): TrailproofError {
  return new TrailproofError('usage', message);
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
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
    const spec = byName.get(name);
    if (!spec) {
      unknown.push(eq < 0 ? arg : arg.slice(0, eq));
      continue;
    }
    if (spec.flag) {
      if (eq >= 0) throw usageError(`argument --${name}: ignored explicit argument '${arg.slice(eq + 1)}'`);
      out[name] = true;
      continue;
    }
    if (eq >= 0) {
      out[name] = arg.slice(eq + 1);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith('--') && value.length > 2)) throw usageError(`argument --${name}: expected one argument`);
    out[name] = value;
    i++;
  }
  const missing = specs.filter((s) => s.required && out[s.name] === undefined).map((s) => `--${s.name}`);
  if (missing.length > 0) throw usageError(`the following arguments are required: ${missing.join(', ')}`);
  if (unknown.length > 0) throw usageError(`Unknown options: ${unknown.join(', ')}`);
  return out;
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

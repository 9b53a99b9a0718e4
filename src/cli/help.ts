import type { CommandSpec, OptionSpec } from './args.js';

/** Usage lines and `--help` text, generated from a command's option table (src/cli/args.ts). */
const WIDTH = 100;

function synopsisItem(o: OptionSpec): string {
  return o.flag ? `--${o.name}` : `--${o.name} ${o.value}`;
}

/** `usage: trailproof <name> --required X [--optional Y] ...`, wrapped at 100 columns. */
export function formatUsage(spec: CommandSpec, first = 'usage: '): string {
  const items: string[] = [];
  const options = spec.options;
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if (o.orNext && i + 1 < options.length) {
      const next = options[i + 1]!;
      const both = `${synopsisItem(o)} | ${synopsisItem(next)}`;
      items.push(o.required || next.required ? `(${both})` : `[${both}]`);
      i++;
    } else items.push(o.required ? synopsisItem(o) : `[${synopsisItem(o)}]`);
  }
  const head = `${first}trailproof ${spec.name}`;
  const indent = ' '.repeat(first.length + 2);
  const lines: string[] = [];
  let line = head;
  for (const item of items) {
    if (line.length + 1 + item.length > WIDTH && line !== head && line.trim() !== '') {
      lines.push(line);
      line = `${indent}${item}`;
    } else line += ` ${item}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** Where a shared help covers several specs (keys create|rotate|list): which of them take or need an option. */
interface Use {
  readonly option: OptionSpec;
  readonly takenBy: string[];
  readonly requiredBy: string[];
}

function optionLines(uses: readonly Use[], specCount: number): string[] {
  const left = uses.map((u) => `  ${synopsisItem(u.option)}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const lines: string[] = [];
  let group: string | undefined;
  uses.forEach(({ option: o, takenBy, requiredBy }, i) => {
    if (o.group !== undefined && o.group !== group) {
      group = o.group;
      lines.push('', `${group}:`);
    }
    const required = requiredBy.length === 0 ? undefined : requiredBy.length === specCount ? 'required' : `required for ${requiredBy.join(', ')}`;
    const only = takenBy.length < specCount ? `${takenBy.join(', ')} only` : undefined;
    const notes = [required, only, o.default !== undefined ? `default: ${o.default}` : undefined].filter(Boolean);
    lines.push(`${left[i]!.padEnd(width)}${o.description}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`);
  });
  return lines;
}

/**
 * `trailproof <command> --help`: the usage, what the command does, every option with its
 * description and default, and the exit codes. Several specs (keys create|rotate|list) share one
 * help: their usage lines, then each option once.
 */
export function formatHelp(specs: readonly CommandSpec[], summary = specs[0]!.summary): string {
  const usage = specs.map((s, i) => formatUsage(s, i === 0 ? 'usage: ' : '       ')).join('\n');
  const uses = new Map<string, Use>();
  for (const s of specs) {
    const action = s.name.split(' ').pop()!;
    for (const o of s.options) {
      const use = uses.get(o.name) ?? { option: o, takenBy: [], requiredBy: [] };
      use.takenBy.push(action);
      if (o.required) use.requiredBy.push(action);
      uses.set(o.name, use);
    }
  }
  const codes = new Map<number, string>();
  for (const s of specs) for (const [code, meaning] of s.exitCodes) if (!codes.has(code)) codes.set(code, meaning);
  const about = specs.map((s) => s.about).filter((a): a is string => a !== undefined);
  return [
    usage,
    '',
    summary,
    ...(about.length > 0 ? ['', ...about] : []),
    '',
    'Options:',
    ...optionLines([...uses.values()], specs.length),
    '',
    'Exit codes:',
    ...[...codes].sort((a, b) => a[0] - b[0]).map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning}`),
    '',
  ].join('\n');
}

import { TrailproofError } from '../errors.js';
import { nowMicros, parseDate } from '../format/time.js';
import { formatPublicKeysJson, parsePublicKeysJson, selectOverlapping, type PublicKeyEntry } from '../keys/public-keys.js';
import { EXIT_PIPE_LINE, EXIT_USAGE_LINE, parseArgs, str, type CommandSpec, type OptionSpec } from './args.js';
import { formatUsage } from './help.js';
import { readInputFile } from './files.js';

export const LIST_KEYS_OPTIONS: OptionSpec[] = [
  { name: 'public-keys', value: 'FILE', orNext: true, description: 'the JSON of aws cloudtrail list-public-keys (give this or --keys-dir)' },
  { name: 'keys-dir', value: 'DIR', description: 'a trailproof key store (its public half; the folder must exist)' },
  { name: 'start-time', value: 'TIME', description: 'start of the window: keys valid at any time in it are printed', default: 'now' },
  { name: 'end-time', value: 'TIME', description: 'end of the window', default: 'now' },
];

export const LIST_KEYS_COMMAND: CommandSpec = {
  name: 'list-public-keys',
  summary: 'Prints the checked public keys valid in a window, in the JSON shape of `aws cloudtrail list-public-keys`.',
  options: LIST_KEYS_OPTIONS,
  exitCodes: [
    [0, 'the keys were printed (none is an empty list)'],
    EXIT_USAGE_LINE,
    [255, 'a key or the key store cannot be trusted or read: stderr says why'],
    EXIT_PIPE_LINE,
  ],
};

export const LIST_KEYS_USAGE = formatUsage(LIST_KEYS_COMMAND);

export interface ListKeysDeps {
  readonly out?: (text: string) => void;
  /** Loads the public half of a key store (set up by the key store module). */
  readonly loadKeyStore?: (dir: string) => Promise<PublicKeyEntry[]>;
}

/**
 * `trailproof list-public-keys`: the keys whose validity overlaps [start, end] (each defaults to now,
 * as ListPublicKeys does), checked, printed in the JSON shape of `aws cloudtrail list-public-keys`.
 */
export async function listPublicKeysCommand(argv: readonly string[], deps: ListKeysDeps = {}): Promise<number> {
  const args = parseArgs(argv, LIST_KEYS_COMMAND);
  const now = nowMicros();
  const startText = str(args, 'start-time');
  const endText = str(args, 'end-time');
  const start = startText ? parseDate(startText).clock : now;
  const end = endText ? parseDate(endText).clock : now;
  if (start > end) throw new TrailproofError('argument', 'Invalid time range specified: start-time must occur before end-time');
  const file = str(args, 'public-keys');
  const dir = str(args, 'keys-dir');
  let entries: PublicKeyEntry[];
  if (file !== undefined && dir === undefined) {
    entries = parsePublicKeysJson(await readInputFile(file, 'public keys file'), file);
  } else if (dir !== undefined && file === undefined && deps.loadKeyStore) {
    entries = await deps.loadKeyStore(dir);
  } else {
    throw new TrailproofError('usage', 'give exactly one of --public-keys FILE or --keys-dir DIR');
  }
  (deps.out ?? ((t: string) => process.stdout.write(t)))(formatPublicKeysJson(selectOverlapping(entries, start, end)));
  return 0;
}

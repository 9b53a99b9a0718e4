import { TrailproofError } from '../errors.js';
import { nowMicros, parseDate } from '../format/time.js';
import { formatPublicKeysJson, parsePublicKeysJson, selectOverlapping, type PublicKeyEntry } from '../keys/public-keys.js';
import { parseArgs, str, type OptionSpec } from './args.js';
import { readInputFile } from './files.js';

export const LIST_KEYS_OPTIONS: OptionSpec[] = [
  { name: 'public-keys' },
  { name: 'keys-dir' },
  { name: 'start-time' },
  { name: 'end-time' },
];

export const LIST_KEYS_USAGE = 'usage: trailproof list-public-keys (--public-keys FILE | --keys-dir DIR) [--start-time T] [--end-time T]';

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
  const args = parseArgs(argv, LIST_KEYS_OPTIONS);
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

import { TrailproofError } from '../errors.js';
import { formatDisplay, nowMicros, parseDate } from '../format/time.js';
import { checkRegion, DEFAULT_ROTATION_DAYS, DEFAULT_VALIDITY_DAYS, KeyStore } from '../keys/keystore.js';
import { parseArgs, positiveInt, str, usageError, type OptionSpec } from './args.js';

export const KEYS_USAGE = `usage: trailproof keys create --keys-dir DIR --region R [--valid-from T] [--validity-days 30] [--rotation-days 20]
       trailproof keys rotate --keys-dir DIR --region R [--at T] [--validity-days 30] [--rotation-days 20]
       trailproof keys list   --keys-dir DIR [--region R]`;

const OPTIONS: OptionSpec[] = [
  { name: 'keys-dir', required: true },
  { name: 'region' },
  { name: 'valid-from' },
  { name: 'at' },
  { name: 'validity-days' },
  { name: 'rotation-days' },
];

/** `trailproof keys ...`: the key store. Prints public facts only; private keys never leave their files. */
export async function keysCommand(argv: readonly string[], out: (t: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const [action, ...rest] = argv;
  if (action !== 'create' && action !== 'rotate' && action !== 'list') throw usageError(`keys: expected create, rotate or list, got ${action ?? 'nothing'}`);
  const args = parseArgs(rest, OPTIONS);
  const store = new KeyStore(str(args, 'keys-dir')!);
  const validity = positiveInt(args, 'validity-days', 3650) ?? DEFAULT_VALIDITY_DAYS;
  const rotation = positiveInt(args, 'rotation-days', 3650) ?? DEFAULT_ROTATION_DAYS;
  if (action === 'list') {
    const region = str(args, 'region');
    const regions = region ? [checkRegion(region)] : await store.regions();
    for (const r of regions) {
      for (const k of await store.list(r)) {
        out(`${r}\t${k.fingerprint}\tvalid ${formatDisplay(k.validFrom)} to ${formatDisplay(k.validTo)}\trotates ${formatDisplay(k.rotateAt)}\n`);
      }
    }
    return 0;
  }
  const region = str(args, 'region');
  if (!region) throw usageError('the following arguments are required: --region');
  checkRegion(region);
  const timeText = action === 'create' ? str(args, 'valid-from') : str(args, 'at');
  const from = timeText ? parseDate(timeText).clock : nowMicros();
  if (action === 'create') {
    const active = await store.activeAt(region, from);
    if (active) {
      throw new TrailproofError('keys', `Region ${region} already has a key valid at ${formatDisplay(from)} (${active.fingerprint}): use \`trailproof keys rotate\``);
    }
  }
  const k = await store.create(region, from, validity, rotation);
  out(`${region}\t${k.fingerprint}\tvalid ${formatDisplay(k.validFrom)} to ${formatDisplay(k.validTo)}\trotates ${formatDisplay(k.rotateAt)}\n`);
  return 0;
}

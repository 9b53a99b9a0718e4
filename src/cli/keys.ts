import { TrailproofError } from '../errors.js';
import { formatDisplay, nowMicros, parseDate } from '../format/time.js';
import { checkRegion, DEFAULT_ROTATION_DAYS, DEFAULT_VALIDITY_DAYS, KeyStore } from '../keys/keystore.js';
import { EXIT_PIPE_LINE, EXIT_USAGE_LINE, parseArgs, positiveInt, str, usageError, type CommandSpec, type ExitCodes, type OptionSpec } from './args.js';
import { formatHelp, formatUsage } from './help.js';
import { requireKeyStoreDir } from './key-store-dir.js';
import { keyBackends } from './key-backends.js';
import { registerKey } from './keys-register.js';

const KEYS_DIR: OptionSpec = {
  name: 'keys-dir',
  value: 'DIR',
  required: true,
  description: 'the key store folder (DIR/<region>/<fingerprint>.json and .key.pem); create makes it, the others need it',
};
const REGION: OptionSpec = {
  name: 'region',
  value: 'REGION',
  required: true,
  description: 'the region: one key pair at a time per region (keys list: only this region, default every region)',
};
const VALIDITY: OptionSpec = {
  name: 'validity-days',
  value: 'N',
  description: 'how long the new key is valid, 1 to 3650 days',
  default: String(DEFAULT_VALIDITY_DAYS),
};
const ROTATION: OptionSpec = {
  name: 'rotation-days',
  value: 'N',
  description: 'when the signer replaces it, days after its start',
  default: String(DEFAULT_ROTATION_DAYS),
};
const EXIT_CODES: ExitCodes = [
  [0, 'done'],
  EXIT_USAGE_LINE,
  [255, 'the key store cannot be read or written, or the region already has a key (create): stderr says why'],
  EXIT_PIPE_LINE,
];

export const KEYS_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'keys create',
    summary: 'Creates the first key pair of a region.',
    options: [KEYS_DIR, REGION, { name: 'valid-from', value: 'TIME', description: "start of the new key's validity", default: 'now' }, VALIDITY, ROTATION],
    exitCodes: EXIT_CODES,
  },
  {
    name: 'keys rotate',
    summary: "Adds a region's next key pair.",
    options: [KEYS_DIR, REGION, { name: 'at', value: 'TIME', description: "start of the new key's validity", default: 'now' }, VALIDITY, ROTATION],
    exitCodes: EXIT_CODES,
  },
  {
    name: 'keys register',
    summary: "Adds a key held by an HSM (PKCS#11) or AWS KMS to a region's schedule; the next registered key is its rotation.",
    options: [
      KEYS_DIR,
      REGION,
      {
        name: 'pkcs11',
        value: 'URI',
        orNext: true,
        description: 'an RFC 7512 URI: pkcs11:token=T;object=LABEL?module-path=/path/lib.so&pin-source=file:/path (or pin-value=PIN)',
      },
      { name: 'kms-key-id', value: 'ARN', description: 'an AWS KMS RSA_2048 SIGN_VERIFY key (its ARN: the region is read from it)' },
      { name: 'valid-from', value: 'TIME', description: 'when the signer starts using it', default: 'now' },
      VALIDITY,
      { name: 'profile', value: 'NAME', description: 'the AWS profile for KMS', default: 'AWS_PROFILE, else the default chain' },
    ],
    exitCodes: EXIT_CODES,
  },
  {
    name: 'keys list',
    summary: "Lists a key store's keys (public facts only).",
    options: [KEYS_DIR, { ...REGION, required: false }],
    exitCodes: EXIT_CODES,
  },
];

export const KEYS_SUMMARY =
  "Creates, rotates, registers (HSM or KMS) and lists the signer's keys (one per region at a time); private keys are written 0600, never printed.";
export const KEYS_HELP = formatHelp(KEYS_COMMANDS, KEYS_SUMMARY);
export const KEYS_USAGE = KEYS_COMMANDS.map((c, i) => formatUsage(c, i === 0 ? 'usage: ' : '       ')).join('\n');

/** `trailproof keys ...`: the key store. Prints public facts only; private keys never leave their files. */
export async function keysCommand(
  argv: readonly string[],
  out: (t: string) => void = (t) => process.stdout.write(t),
  err: (t: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  const [action, ...rest] = argv;
  const spec = KEYS_COMMANDS.find((c) => c.name === `keys ${action}`);
  if (!spec) throw usageError(`keys: expected create, rotate, register or list, got ${action === undefined ? 'nothing' : `'${action}'`}`);
  const args = parseArgs(rest, spec);
  if (action === 'register') return registerKey(args, keyBackends(str(args, 'profile')), out, err);
  const dir = str(args, 'keys-dir')!;
  const store = new KeyStore(dir);
  const validity = positiveInt(args, 'validity-days', 3650) ?? DEFAULT_VALIDITY_DAYS;
  const rotation = positiveInt(args, 'rotation-days', 3650) ?? DEFAULT_ROTATION_DAYS;
  if (action === 'list') {
    const region = str(args, 'region');
    // An empty list must mean "no keys", never "no such folder".
    await requireKeyStoreDir(dir);
    const regions = region ? [checkRegion(region)] : await store.regions();
    for (const r of regions) {
      for (const k of await store.list(r)) {
        const where = k.backend.type === 'pkcs11' ? `\tPKCS#11 ${k.backend.uri}` : k.backend.type === 'kms' ? `\tAWS KMS ${k.backend.keyId}` : '';
        out(`${r}\t${k.fingerprint}\tvalid ${formatDisplay(k.validFrom)} to ${formatDisplay(k.validTo)}\trotates ${formatDisplay(k.rotateAt)}${where}\n`);
      }
    }
    return 0;
  }
  const region = checkRegion(str(args, 'region')!);
  // Rotating a store that does not exist is a mistyped folder: there is no key to succeed.
  if (action === 'rotate') await requireKeyStoreDir(dir);
  const timeText = action === 'create' ? str(args, 'valid-from') : str(args, 'at');
  const from = timeText ? parseDate(timeText).clock : nowMicros();
  if (action === 'create') {
    const active = await store.activeAt(region, from);
    if (active) {
      throw new TrailproofError(
        'keys',
        `Region ${region} already has a key valid at ${formatDisplay(from)} (${active.fingerprint}): use \`trailproof keys rotate\``,
      );
    }
  }
  const k = await store.create(region, from, validity, rotation);
  out(`${region}\t${k.fingerprint}\tvalid ${formatDisplay(k.validFrom)} to ${formatDisplay(k.validTo)}\trotates ${formatDisplay(k.rotateAt)}\n`);
  return 0;
}

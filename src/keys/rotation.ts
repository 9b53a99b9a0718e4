import { TrailproofError } from '../errors.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import type { KeyRecord } from './key-record.js';

/**
 * Which key signs a digest ending at `at` (the one rule, for signing and for `sign --dry-run`):
 * the newest key valid from before `at`, until its rotation point; then, for a file key, a new key
 * (from the rotation point on the regular cadence, or from `at` after a long pause); a registered
 * (HSM or KMS) key is used to the end of its validity, its successor being the next registered key.
 */
export type KeyChoice = { readonly use: KeyRecord } | { readonly create: { readonly validFrom: number; readonly predecessor: KeyRecord } };

const DAY = 24 * MICROS_PER_HOUR;

export function chooseKey(dir: string, region: string, records: readonly KeyRecord[], at: number, validityDays: number, rotationDays: number): KeyChoice {
  const keys = records.filter((k) => k.validFrom <= at);
  const newest = keys[keys.length - 1];
  if (!newest) {
    throw new TrailproofError(
      'keys',
      `No key in ${dir} for region ${region} valid at ${formatDisplay(at)}: create one with \`trailproof keys create --region ${region} --valid-from <time>\``,
    );
  }
  if (at < newest.rotateAt && at <= newest.validTo) return { use: newest };
  if (newest.backend.type !== 'file') {
    if (at <= newest.validTo) return { use: newest };
    throw new TrailproofError(
      'keys',
      `The ${region} key ${newest.fingerprint} (${newest.backend.type === 'pkcs11' ? 'PKCS#11' : 'AWS KMS'}) expired at ${formatDisplay(newest.validTo)} and no key is registered after it: ` +
        `register its successor with \`trailproof keys register --keys-dir ${dir} --region ${region} --valid-from ${formatDisplay(newest.validTo)} ...\``,
    );
  }
  const onCadence = at <= newest.validTo && at < newest.rotateAt + Math.min(rotationDays, validityDays) * DAY;
  return { create: { validFrom: onCadence ? newest.rotateAt : at, predecessor: newest } };
}

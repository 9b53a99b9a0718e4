import { TrailproofError } from '../errors.js';
import { SIMULATE_DEFAULTS, SIMULATE_LIMITS } from './options.js';
import { Prng, type SeedPart } from './prng.js';

/**
 * `n` made-up 12-digit account IDs for a seed (`simulate --accounts N`): distinct, in ascending
 * order (S3's listing order). They are drawn in one order whatever `n`, so the accounts for `n`
 * are among those for any larger `n`.
 */
export function generateAccounts(n: number, seed: SeedPart = SIMULATE_DEFAULTS.seed): string[] {
  if (!Number.isSafeInteger(n) || n < 1 || n > SIMULATE_LIMITS.accounts) {
    throw new TrailproofError('argument', `Invalid number of accounts ${String(n)}: expected a whole number from 1 to ${SIMULATE_LIMITS.accounts}`);
  }
  const rng = Prng.from(seed, 'accounts');
  const out = new Set<string>();
  // 10^12 IDs: a repeat is rare, and drawing again keeps the list a pure function of (n, seed).
  while (out.size < n) out.add(rng.chars('0123456789', 12));
  return [...out].sort();
}

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A SoftHSM2 token of its own for a test (Debian `softhsm2`, keys made with `pkcs11-tool` from
 * Debian `opensc`): a token folder and a softhsm2.conf in `dir`. SoftHSM reads SOFTHSM2_CONF when the
 * module is initialized: pass `env` to a spawned CLI, or set it in this process before the first
 * PKCS#11 use (vitest runs each test file in a process of its own).
 */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface SoftHsmToken {
  readonly label: string;
  readonly pin: string;
  readonly env: { SOFTHSM2_CONF: string };
  /** Makes an RSA key pair on the token (label and CKA_ID `id`, hex). */
  generateRsa(label: string, id: string, bits?: number): void;
  /** The key's RFC 7512 URI; `pin`: 'value' (inline), a pin-source file path, or 'none'. */
  uri(label: string, pin: 'value' | 'none' | { source: string }): string;
}

export function createSoftHsmToken(dir: string, label = 'trailproof-test'): SoftHsmToken {
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const env = { SOFTHSM2_CONF: conf };
  const pin = '5678';
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  run('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '123456', '--pin', pin]);
  return {
    label,
    pin,
    env,
    generateRsa(keyLabel, id, bits = 2048) {
      run('pkcs11-tool', [
        '--module',
        SOFTHSM_MODULE,
        '--token-label',
        label,
        '--login',
        '--pin',
        pin,
        '--keypairgen',
        '--key-type',
        `rsa:${bits}`,
        '--label',
        keyLabel,
        '--id',
        id,
      ]);
    },
    uri(keyLabel, how) {
      const base = `pkcs11:token=${label};object=${keyLabel};type=private?module-path=${SOFTHSM_MODULE}`;
      if (how === 'none') return base;
      if (how === 'value') return `${base}&pin-value=${pin}`;
      return `${base}&pin-source=file:${how.source}`;
    },
  };
}

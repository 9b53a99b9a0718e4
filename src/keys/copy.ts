import { chmod, cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Copies a key store, its secrets (private keys, PINs) made 0600 and its region folders 0700: git
 * and deployment packages do not keep modes, and the key store refuses secrets others may read.
 */
export async function copyKeyStore(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true, force: true });
  await chmod(to, 0o700);
  for (const region of await readdir(to, { withFileTypes: true })) {
    if (!region.isDirectory()) continue;
    await chmod(join(to, region.name), 0o700);
    for (const f of await readdir(join(to, region.name))) {
      if (f.endsWith('.key.pem') || f.endsWith('.pin')) await chmod(join(to, region.name, f), 0o600);
    }
  }
}

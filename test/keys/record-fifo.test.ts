import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * Red team: a key store's public records (`KEYS/<region>/<fingerprint>.json`) were read with a plain
 * readFile: a FIFO named like a record made `validate-logs --keys-dir`, `list-public-keys`, `keys
 * list` and `sign` wait forever (fail closed means: stop with one line, exit 255).
 */
let dir: { path: string; cleanup: () => void };
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('a key store record that is a FIFO', () => {
  it('stops list-public-keys with one line and exit 255, without hanging', async () => {
    const keys = join(dir.path, 'keys');
    await copyKeyStore(TEST_KEYS, keys);
    execFileSync('mkfifo', [join(keys, 'us-east-1', '0123456789abcdef0123456789abcdef.json')]);
    const r = await runInProcess(['list-public-keys', '--keys-dir', keys, '--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-02T00:00:00Z'], {
      timeoutMs: 5000,
    });
    expect(r.status).toBe(255);
    expect(r.err).toMatch(/0123456789abcdef0123456789abcdef\.json/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyStore } from '../../src/keys/keystore.js';
import { parseDate } from '../../src/format/time.js';
import { runInProcess } from '../helpers/in-process.js';
import { buildOrgArchive, type OrgArchive } from '../helpers/org-archive.js';

/**
 * `sign --trust-public-keys FILE`: a signer continues only a chain whose newest digest a key it
 * trusts signed (its key store's, or those of the file: another signer's). Without the file, a
 * second signer with its own key store stops with one line; with it, it goes on.
 */
let a: OrgArchive;
let other: string;
beforeAll(async () => {
  a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 3, filesPerHour: 1, recordsPerFile: 1 });
  other = join(a.root, '..', 'other-keys');
  await new KeyStore(other).create('us-east-1', parseDate('2024-01-01T00:00:00Z').clock);
}, 60_000);
afterAll(() => a?.cleanup());

const sign = (extra: string[]) =>
  runInProcess([
    'sign',
    '--keys-dir',
    other,
    '--trail-arn',
    a.chains[0]!.trailArn,
    '--s3-bucket',
    a.bucket,
    '--local-root',
    a.root,
    '--account-id',
    a.chains[0]!.scope.account,
    '--until',
    a.endTime,
    ...extra,
  ]);

describe('sign with another key store', () => {
  it('stops at a chain another signer signed: exit 255, one line naming --trust-public-keys', async () => {
    const r = await sign([]);
    expect(r.status, r.err).toBe(255);
    expect(r.err).toMatch(/does not verify with a key this signer trusts \(its key store, or --trust-public-keys FILE/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('goes on with that signer`s public keys trusted (nothing new to sign: exit 0)', async () => {
    const r = await sign(['--trust-public-keys', a.publicKeysFile]);
    expect(r.status, r.err).toBe(0);
  });
});

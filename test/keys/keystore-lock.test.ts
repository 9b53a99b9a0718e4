import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore, type KeyRecord } from '../../src/keys/keystore.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Rotation across signers that do not share a KeyStore object (as two processes do not): each
 * decides under the region's file lock, on what is on disk then, so one successor is made.
 */
const DAY = 24 * MICROS_PER_HOUR;
const T0 = parseDate('2024-03-01T00:00:00Z').clock;
let dir: { path: string; cleanup: () => void };

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('key rotation by several store objects at once', () => {
  it('makes one successor per rotation point, says so once, and leaves no lock behind', async () => {
    const keysDir = join(dir.path, 'keys');
    await new KeyStore(keysDir).create('eu-west-1', T0, 2, 1);
    const stores = Array.from({ length: 4 }, () => new KeyStore(keysDir));
    // Each object reads the folder first (its cache holds the old key only), then all rotate at once.
    for (const s of stores) await s.list('eu-west-1');
    const created: Array<[KeyRecord, KeyRecord]> = [];
    const picked = await Promise.all(stores.map((s, i) => s.signingKey('eu-west-1', T0 + DAY + i, undefined, undefined, (k, p) => created.push([k, p]))));
    expect(new Set(picked.map((k) => k.fingerprint)).size).toBe(1);
    expect(created).toHaveLength(1);
    expect(created[0]![0].validFrom).toBe(T0 + DAY);
    expect(created[0]![1].validFrom).toBe(T0);
    expect(readdirSync(join(keysDir, 'eu-west-1')).filter((n) => n.endsWith('.json'))).toHaveLength(2);
    expect(existsSync(join(keysDir, '.locks', 'region-eu-west-1.lock'))).toBe(false);
    // The lock folder is no region.
    expect(await new KeyStore(keysDir).regions()).toEqual(['eu-west-1']);
  });

  it('signing inside a key\'s rotation period takes no lock and makes no key', async () => {
    const keysDir = join(dir.path, 'keys2');
    const first = await new KeyStore(keysDir).create('eu-west-1', T0, 2, 1);
    let told = 0;
    const k = await new KeyStore(keysDir).signingKey('eu-west-1', T0 + DAY - 1, undefined, undefined, () => told++);
    expect(k.fingerprint).toBe(first.fingerprint);
    expect(told).toBe(0);
    expect(existsSync(join(keysDir, '.locks'))).toBe(false);
  });
});

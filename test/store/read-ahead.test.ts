import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../../src/store/local.js';
import type { ObjectStore } from '../../src/store/types.js';
import { DigestReadAhead } from '../../src/store/digest-object.js';
import { tempDir } from '../helpers/cli.js';

/** Digests read ahead of the walk (S3): the same bytes as a plain read, bounded, failures left to the plain read. */
let dir: { path: string; cleanup: () => void };
let store: LocalStore;
let reads: string[];
/** The local store, counting getBytes calls (the read-ahead's only way to the objects). */
let counting: ObjectStore;

beforeAll(() => {
  dir = tempDir();
  mkdirSync(join(dir.path, 'b', 'd'), { recursive: true });
  for (let i = 0; i < 12; i++) writeFileSync(join(dir.path, 'b', 'd', `k${i}`), Buffer.alloc(100 + i, i));
  writeFileSync(join(dir.path, 'b', 'd', 'big'), Buffer.alloc(5000, 7));
  store = new LocalStore(dir.path);
  reads = [];
  counting = {
    kind: 's3',
    list: (b, o) => store.list(b, o),
    get: (b, k) => store.get(b, k),
    getBytes: (b, k, limit) => {
      reads.push(k);
      return store.getBytes(b, k, limit);
    },
    put: (b, k, body, m) => store.put(b, k, body, m),
    delete: (b, k) => store.delete(b, k),
  };
});
afterAll(() => dir.cleanup());

describe('DigestReadAhead', () => {
  it('hands over each read once, with the bytes and metadata a plain read gives', async () => {
    const ahead = new DigestReadAhead(counting, 4, 1 << 20);
    ahead.ahead('b', ['d/k1', 'd/k2']);
    const early = await ahead.take('b', 'd/k2');
    expect(early).toEqual({ ok: true, object: await store.getBytes('b', 'd/k2', 1 << 20) });
    expect(ahead.take('b', 'd/k2')).toBeUndefined();
    expect(ahead.take('b', 'd/other')).toBeUndefined();
  });

  it('keeps at most `depth` reads in hand, nearest first, and does not read one twice', async () => {
    reads = [];
    const ahead = new DigestReadAhead(counting, 3, 1 << 20);
    ahead.ahead('b', ['d/k0', 'd/k1', 'd/k2', 'd/k3', 'd/k4']);
    ahead.ahead('b', ['d/k0', 'd/k1']);
    expect(reads).toEqual(['d/k0', 'd/k1', 'd/k2']);
    expect(ahead.take('b', 'd/k3')).toBeUndefined();
    // A new key pushes out the oldest read in hand.
    ahead.ahead('b', ['d/k5']);
    expect(ahead.take('b', 'd/k0')).toBeUndefined();
    expect(await ahead.take('b', 'd/k5')).toMatchObject({ ok: true });
  });

  it('reports a missing object as read (no object) and a failed read as not ok', async () => {
    const ahead = new DigestReadAhead(counting, 4, 1000);
    ahead.ahead('b', ['d/missing', 'd/big']);
    expect(await ahead.take('b', 'd/missing')).toEqual({ ok: true, object: undefined });
    expect(await ahead.take('b', 'd/big')).toEqual({ ok: false });
  });

  it('does nothing for a store without getBytes', () => {
    const plain: ObjectStore = { ...counting, getBytes: undefined };
    const ahead = new DigestReadAhead(plain, 4, 1000);
    ahead.ahead('b', ['d/k1']);
    expect(ahead.take('b', 'd/k1')).toBeUndefined();
  });
});

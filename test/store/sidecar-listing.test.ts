import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TMP_MARK } from '../../src/store/local-paths.js';
import { LocalStore, SIDECAR_SUFFIX } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/**
 * A local root's listing skips metadata sidecars (never objects there) and tells onSidecar each one
 * it skips in the listed range, with its object's key and whether that object is a regular file
 * beside it (from the folder's own listing): the audit's stray-sidecar rule reads it.
 */
let dir: { path: string; cleanup: () => void };
let root: string;
let store: LocalStore;

function write(key: string, content = 'x'): void {
  const path = join(root, 'bkt', key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

async function listed(prefix = '', startAfter?: string): Promise<{ keys: string[]; sidecars: Array<[string, string, boolean]>; links: string[] }> {
  const out = { keys: [] as string[], sidecars: [] as Array<[string, string, boolean]>, links: [] as string[] };
  const onSidecar = (key: string, objectKey: string, objectHere: boolean) => out.sidecars.push([key, objectKey, objectHere]);
  for await (const k of store.list('bkt', { prefix, startAfter, onSidecar, onLink: (k) => out.links.push(k) })) out.keys.push(k);
  return out;
}

beforeEach(() => {
  dir = tempDir();
  root = join(dir.path, 'root');
  store = new LocalStore(root);
  write('p/a');
  write(`p/a${SIDECAR_SUFFIX}`);
  write(`p/gone${SIDECAR_SUFFIX}`);
  write('p/folder/inner');
  write(`p/folder${SIDECAR_SUFFIX}`);
  write(`p/folder/inner${SIDECAR_SUFFIX}`);
  symlinkSync(join(root, 'bkt', 'p', 'a'), join(root, 'bkt', 'p', 'linked'));
  write(`p/linked${SIDECAR_SUFFIX}`);
  write(`q/z${SIDECAR_SUFFIX}`);
});
afterEach(() => dir.cleanup());

describe('onSidecar', () => {
  it('hears every sidecar in key order, its object regular beside it or not (absent, a folder, a link); keys as before', async () => {
    const all = await listed();
    expect(all.sidecars).toEqual([
      [`p/a${SIDECAR_SUFFIX}`, 'p/a', true],
      [`p/folder${SIDECAR_SUFFIX}`, 'p/folder', false],
      [`p/folder/inner${SIDECAR_SUFFIX}`, 'p/folder/inner', true],
      [`p/gone${SIDECAR_SUFFIX}`, 'p/gone', false],
      [`p/linked${SIDECAR_SUFFIX}`, 'p/linked', false],
      [`q/z${SIDECAR_SUFFIX}`, 'q/z', false],
    ]);
    expect(all.keys).toEqual(['p/a', 'p/folder/inner']);
    expect(all.links).toEqual(['p/linked']);
  });

  it('hears only the listed range (prefix, startAfter), as onLink', async () => {
    expect((await listed('p/folder/')).sidecars.map(([k]) => k)).toEqual([`p/folder/inner${SIDECAR_SUFFIX}`]);
    expect((await listed('q/')).sidecars.map(([k]) => k)).toEqual([`q/z${SIDECAR_SUFFIX}`]);
    expect((await listed('', `p/gone${SIDECAR_SUFFIX}`)).sidecars.map(([k]) => k)).toEqual([`p/linked${SIDECAR_SUFFIX}`, `q/z${SIDECAR_SUFFIX}`]);
  });

  it('a symlinked sidecar goes to onLink, not onSidecar; our temporaries are neither keys nor sidecars', async () => {
    symlinkSync(join(root, 'bkt', 'p', `a${SIDECAR_SUFFIX}`), join(root, 'bkt', 'q', `y${SIDECAR_SUFFIX}`));
    write(`q/${TMP_MARK}0123456789ab`);
    const q = await listed('q/');
    expect(q.links).toEqual([`q/y${SIDECAR_SUFFIX}`]);
    expect(q.sidecars.map(([k]) => k)).toEqual([`q/z${SIDECAR_SUFFIX}`]);
    expect(q.keys).toEqual([]);
  });

  it('what LocalStore writes (put with metadata, write-once, putMetadata) has its object beside every sidecar', async () => {
    await store.put('bkt', 'w/put', Buffer.from('x'), { signature: 'ab' });
    await store.put('bkt', 'w/once', Buffer.from('x'), { signature: 'ab' }, { createOnly: true });
    await store.put('bkt', 'w/plain', Buffer.from('x'));
    await store.putMetadata('bkt', 'w/put', { signature: 'cd' });
    const w = await listed('w/');
    expect(w.keys).toEqual(['w/once', 'w/plain', 'w/put']);
    expect(w.sidecars).toEqual([
      [`w/once${SIDECAR_SUFFIX}`, 'w/once', true],
      [`w/put${SIDECAR_SUFFIX}`, 'w/put', true],
    ]);
  });
});

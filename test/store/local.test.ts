import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStore, parseSidecar, SIDECAR_SUFFIX } from '../../src/store/local.js';
import { StoreError } from '../../src/store/errors.js';
import type { StoredObject } from '../../src/store/types.js';
import { tempDir } from '../helpers/cli.js';
import { storeError } from '../helpers/store-error.js';

/**
 * Behaviour §7: `ROOT/<bucket>/<key>` is the object, `<key>.metadata.json` its metadata; sidecars
 * are never objects; a missing bucket folder is NoSuchBucket. Keys come from digests and are hostile.
 */
let dir: { path: string; cleanup: () => void };
let root: string;
let store: LocalStore;

function put(bucket: string, key: string, content: string | Buffer, sidecar?: string): void {
  const path = join(root, bucket, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  if (sidecar !== undefined) writeFileSync(path + SIDECAR_SUFFIX, sidecar);
}

async function body(o: StoredObject): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of o.body) parts.push(Buffer.from(c));
  await o.close();
  return Buffer.concat(parts);
}

async function list(bucket: string, prefix = '', startAfter?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(bucket, { prefix, startAfter })) out.push(k);
  return out;
}

const NO_SUCH_BUCKET = 'An error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist';

beforeEach(() => {
  dir = tempDir('trailproof-store-');
  root = join(dir.path, 'root');
  mkdirSync(root);
  store = new LocalStore(root);
});
afterEach(() => dir.cleanup());

describe('list', () => {
  it('lists keys in UTF-8 byte order across folders', async () => {
    // Byte order, not locale or UTF-16 order: '-' < '/' < '0' < 'A' < '_' < 'a' < 'é' < '😀' < '\uff01'.
    const keys = ['a/b', 'a-c', 'a0', 'A', '_x', 'b', 'é', '😀', '\uff01', 'a/b/c', 'a/a', 'z/y/x/w'];
    for (const k of keys) put('bkt', k.endsWith('/b') ? `${k}x` : k, k);
    const expected = keys.map((k) => (k.endsWith('/b') ? `${k}x` : k)).sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(await list('bkt')).toEqual(expected);
    // '😀' (UTF-16 D83D..., UTF-8 F0...) sorts before '\uff01' (UTF-8 EF BC 81) in UTF-16 but after it in UTF-8
    const listed = await list('bkt');
    expect(['😀', '\uff01'].sort()).toEqual(['😀', '\uff01']);
    expect(listed.indexOf('\uff01')).toBeLessThan(listed.indexOf('😀'));
  });

  it('filters by prefix, at any character (not only folder boundaries)', async () => {
    for (const k of ['d/us-east-1/1', 'd/us-east-10/2', 'd/us-east-2/3', 'd/us-east-1x', 'e/us-east-1/4']) put('bkt', k, 'x');
    expect(await list('bkt', 'd/us-east-1')).toEqual(['d/us-east-1/1', 'd/us-east-10/2', 'd/us-east-1x']);
    expect(await list('bkt', 'd/us-east-1/')).toEqual(['d/us-east-1/1']);
    expect(await list('bkt', 'nothing')).toEqual([]);
  });

  it('startAfter is exclusive and need not exist', async () => {
    const keys = ['p/2024/02/28/a', 'p/2024/02/28/b', 'p/2024/02/29/a', 'p/2024/03/01/a'];
    for (const k of keys) put('bkt', k, 'x');
    expect(await list('bkt', 'p/', 'p/2024/02/28/a')).toEqual(keys.slice(1));
    expect(await list('bkt', 'p/', 'p/2024/02/28/az')).toEqual(keys.slice(1));
    expect(await list('bkt', 'p/', 'p/2024/02/28/b0')).toEqual(keys.slice(2));
    expect(await list('bkt', 'p/', 'p/2024/02/28')).toEqual(keys);
    expect(await list('bkt', 'p/', 'p/2024/02/29/')).toEqual(keys.slice(2));
    expect(await list('bkt', 'p/', 'p/2024/03/01/a')).toEqual([]);
    expect(await list('bkt', 'p/', 'a')).toEqual(keys);
  });

  it('never lists sidecars or temporary files', async () => {
    put('bkt', 'k/obj.json.gz', 'x', '{"signature":"00"}');
    put('bkt', 'k/orphan.json.gz.metadata.json', '{}');
    put('bkt', 'k/.trailproof-tmp-0123456789ab', 'partial');
    expect(await list('bkt')).toEqual(['k/obj.json.gz']);
  });

  it('lists and reads a file named like a temporary that is not one of ours (a planted .trailproof-tmp-x.json.gz)', async () => {
    for (const name of ['.trailproof-tmp-x.json.gz', '.trailproof-tmp-0123456789AB', '.trailproof-tmp-0123456789abc']) put('bkt', `k/${name}`, 'x');
    expect(await list('bkt')).toEqual(['k/.trailproof-tmp-0123456789AB', 'k/.trailproof-tmp-0123456789abc', 'k/.trailproof-tmp-x.json.gz']);
    expect(await store.get('bkt', 'k/.trailproof-tmp-x.json.gz')).toBeDefined();
  });

  it('a missing bucket folder is NoSuchBucket', async () => {
    const err = await storeError(list('nope'));
    expect(err.kind).toBe('NoSuchBucket');
    expect(err.message).toBe(NO_SUCH_BUCKET);
  });

  it('a bucket that is a file, or a name that cannot be a folder, is NoSuchBucket', async () => {
    writeFileSync(join(root, 'file-bucket'), 'x');
    expect((await storeError(list('file-bucket'))).kind).toBe('NoSuchBucket');
    for (const b of ['..', '.']) {
      expect((await storeError(list(b))).kind).toBe('NoSuchBucket');
      expect((await storeError(store.get(b, 'k'))).kind).toBe('NoSuchBucket');
    }
  });

  it('a name S3 would refuse is refused as botocore does, before touching the disk', async () => {
    for (const b of ['', 'a/b', '../root']) {
      const err = await storeError(store.get(b, 'k'));
      expect(err.message).toMatch(/^Parameter validation failed: Invalid bucket name/);
      expect((await storeError(list(b))).message).toMatch(/^Parameter validation failed/);
    }
  });

  it('does not follow symlinked folders out of the bucket', async () => {
    put('other', 'secret/s', 'secret');
    put('bkt', 'real/k', 'x');
    symlinkSync(join(root, 'other', 'secret'), join(root, 'bkt', 'link'));
    expect(await list('bkt')).toEqual(['real/k']);
  });

  it('tells onLink every symbolic link it skips in the listed range (files and folders), in key order', async () => {
    put('other', 'secret/s', 'secret');
    put('bkt', 'p/real/k', 'x');
    symlinkSync(join(root, 'other', 'secret'), join(root, 'bkt', 'p', 'dir-link'));
    symlinkSync(join(root, 'bkt', 'p', 'real', 'k'), join(root, 'bkt', 'p', 'real', 'a-file-link'));
    symlinkSync(join(root, 'other', 'secret', 's'), join(root, 'bkt', 'q-link'));
    const heard = async (prefix: string, startAfter?: string): Promise<string[]> => {
      const links: string[] = [];
      for await (const _ of store.list('bkt', { prefix, startAfter, onLink: (k) => links.push(k) }));
      return links;
    };
    expect(await heard('')).toEqual(['p/dir-link', 'p/real/a-file-link', 'q-link']);
    expect(await heard('p/')).toEqual(['p/dir-link', 'p/real/a-file-link']);
    expect(await heard('p/real/')).toEqual(['p/real/a-file-link']);
    expect(await heard('', 'p/dir-link')).toEqual(['p/real/a-file-link', 'q-link']);
    expect(await list('bkt')).toEqual(['p/real/k']);
  });
});

describe('get', () => {
  it('returns the bytes, size and metadata', async () => {
    const data = Buffer.from([0x1f, 0x8b, 0, 1, 2, 255]);
    put('bkt', 'a/b.json.gz', data, JSON.stringify({ signature: 'ab12', 'signature-algorithm': 'SHA256withRSA' }));
    const o = await store.get('bkt', 'a/b.json.gz');
    expect(o).toBeDefined();
    expect(o!.metadata).toEqual({ signature: 'ab12', 'signature-algorithm': 'SHA256withRSA' });
    expect(o!.size).toBe(data.length);
    expect((await body(o!)).equals(data)).toBe(true);
  });

  it('reads the head-object sidecar shape {"Metadata": {...}}', async () => {
    put(
      'bkt',
      'k',
      'x',
      JSON.stringify({
        ContentLength: 1,
        Metadata: { signature: 'ff', 'signature-algorithm': 'SHA256withRSA', 'backfill-generation-timestamp': '2024-03-02T03:11:19Z' },
      }),
    );
    const o = await store.get('bkt', 'k');
    expect(o!.metadata).toEqual({ signature: 'ff', 'signature-algorithm': 'SHA256withRSA', 'backfill-generation-timestamp': '2024-03-02T03:11:19Z' });
    await o!.close();
  });

  it('no sidecar, or an unreadable one, is empty metadata', async () => {
    put('bkt', 'plain', 'x');
    put('bkt', 'broken', 'x', '{not json');
    put('bkt', 'array', 'x', '["signature"]');
    for (const k of ['plain', 'broken', 'array']) {
      const o = await store.get('bkt', k);
      expect(o!.metadata).toEqual({});
      expect((await body(o!)).toString()).toBe('x');
    }
  });

  it('a missing key is undefined; a missing bucket is NoSuchBucket', async () => {
    mkdirSync(join(root, 'bkt'));
    expect(await store.get('bkt', 'nope')).toBeUndefined();
    const err = await storeError(store.get('nope', 'k'));
    expect(err.kind).toBe('NoSuchBucket');
    expect(err.message).toBe(NO_SUCH_BUCKET);
  });

  it('a sidecar or a folder is never an object', async () => {
    put('bkt', 'a/obj', 'x', '{"signature":"00"}');
    expect(await store.get('bkt', 'a/obj.metadata.json')).toBeUndefined();
    expect(await store.get('bkt', 'a')).toBeUndefined();
    expect(await store.get('bkt', 'a/')).toBeUndefined();
  });

  it.each([['../outside/secret'], ['../../secret'], ['x/../../outside/secret'], ['/abs/path'], ['a//b'], ['./a/b'], ['a/./b'], ['a/b/'], ['a/b\0'], ['']])(
    'hostile key %j is not found (never read)',
    async (key) => {
      // Files where each traversal would land, if it were followed.
      put('outside', 'secret', 'SECRET');
      writeFileSync(join(dir.path, 'secret'), 'SECRET');
      writeFileSync(join(root, 'secret'), 'SECRET');
      put('bkt', 'a/b', 'in bucket');
      expect(await store.get('bkt', key)).toBeUndefined();
    },
  );

  it('an absolute-looking key never reaches the file system root', async () => {
    mkdirSync(join(root, 'bkt'));
    expect(await store.get('bkt', '/etc/passwd')).toBeUndefined();
    expect(await store.get('bkt', '../../../../../../../../etc/passwd')).toBeUndefined();
  });

  it('a symlink leading out of the bucket is not found; one inside the bucket is followed', async () => {
    put('other', 'secret', 'SECRET');
    put('bkt', 'real', 'REAL');
    mkdirSync(join(root, 'bkt', 'dir'));
    symlinkSync(join(root, 'other', 'secret'), join(root, 'bkt', 'dir', 'out'));
    symlinkSync(join(root, 'other'), join(root, 'bkt', 'outdir'));
    symlinkSync(join(root, 'bkt', 'real'), join(root, 'bkt', 'dir', 'in'));
    expect(await store.get('bkt', 'dir/out')).toBeUndefined();
    expect(await store.get('bkt', 'outdir/secret')).toBeUndefined();
    const inside = await store.get('bkt', 'dir/in');
    expect(inside).toBeDefined();
    expect((await body(inside!)).toString()).toBe('REAL');
  });

  it('a sidecar symlinked out of the bucket is ignored', async () => {
    put('other', 'meta.json', '{"signature":"stolen"}');
    put('bkt', 'k', 'x');
    symlinkSync(join(root, 'other', 'meta.json'), join(root, 'bkt', `k${SIDECAR_SUFFIX}`));
    const o = await store.get('bkt', 'k');
    expect(o!.metadata).toEqual({});
    await o!.close();
  });

  it('a symlinked bucket folder is a bucket (the folder is what the user points at)', async () => {
    put('real-bucket', 'k', 'x');
    symlinkSync(join(root, 'real-bucket'), join(root, 'alias'));
    const o = await store.get('alias', 'k');
    expect((await body(o!)).toString()).toBe('x');
  });
});

describe('put', () => {
  it('writes the object and its sidecar, readable back', async () => {
    await store.put('new-bucket', 'a/b/c.json.gz', Buffer.from('payload'), { signature: 'abcd', 'signature-algorithm': 'SHA256withRSA' });
    const file = join(root, 'new-bucket', 'a', 'b', 'c.json.gz');
    expect(readFileSync(file, 'utf8')).toBe('payload');
    expect(JSON.parse(readFileSync(file + SIDECAR_SUFFIX, 'utf8'))).toEqual({ signature: 'abcd', 'signature-algorithm': 'SHA256withRSA' });
    const o = await store.get('new-bucket', 'a/b/c.json.gz');
    expect(o!.metadata).toEqual({ signature: 'abcd', 'signature-algorithm': 'SHA256withRSA' });
    expect((await body(o!)).toString()).toBe('payload');
    expect(await list('new-bucket')).toEqual(['a/b/c.json.gz']);
  });

  it('leaves no temporary files behind and replaces whole files', async () => {
    await store.put('bkt', 'k', Buffer.alloc(100_000, 1), { signature: '01' });
    await store.put('bkt', 'k', Buffer.from('short'), { signature: '02' });
    expect(readdirSync(join(root, 'bkt')).sort()).toEqual(['k', `k${SIDECAR_SUFFIX}`]);
    expect(readFileSync(join(root, 'bkt', 'k'), 'utf8')).toBe('short');
    expect((await store.get('bkt', 'k'))!.metadata).toEqual({ signature: '02' });
  });

  it('without metadata, removes a stale sidecar', async () => {
    await store.put('bkt', 'k', Buffer.from('1'), { signature: '01' });
    await store.put('bkt', 'k', Buffer.from('2'));
    expect(readdirSync(join(root, 'bkt'))).toEqual(['k']);
  });

  it.each([['../x'], ['/abs'], ['a//b'], ['a/./b'], ['k.metadata.json'], ['']])('refuses the unsafe key %j', async (key) => {
    await expect(store.put('bkt', key, Buffer.from('x'))).rejects.toBeInstanceOf(StoreError);
    expect(readdirSync(root).filter((n) => n !== 'bkt')).toEqual([]);
  });

  it('refuses to write through a symlink out of the bucket', async () => {
    put('other', 'keep', 'x');
    mkdirSync(join(root, 'bkt'));
    symlinkSync(join(root, 'other'), join(root, 'bkt', 'link'));
    await expect(store.put('bkt', 'link/evil', Buffer.from('x'))).rejects.toBeInstanceOf(StoreError);
    expect(readdirSync(join(root, 'other'))).toEqual(['keep']);
  });

  it('delete removes the object and its sidecar', async () => {
    await store.put('bkt', 'k', Buffer.from('1'), { signature: '01' });
    await store.delete('bkt', 'k');
    expect(readdirSync(join(root, 'bkt'))).toEqual([]);
    expect(await store.get('bkt', 'k')).toBeUndefined();
  });
});

describe('parseSidecar', () => {
  it.each([
    ['{"signature":"ab","signature-algorithm":"SHA256withRSA"}', { signature: 'ab', 'signature-algorithm': 'SHA256withRSA' }],
    ['{"Metadata":{"signature":"ab"}}', { signature: 'ab' }],
    ['{"x-amz-meta-signature":"ab","Signature-Algorithm":"X"}', { signature: 'ab', 'signature-algorithm': 'X' }],
    ['{"signature":1,"other":null}', {}],
    // a non-object Metadata value is not the head-object shape, and not a string: ignored
    ['{"Metadata":[1]}', {}],
    ['[]', {}],
    ['null', {}],
    ['', {}],
  ])('%s', (text, expected) => {
    expect(parseSidecar(text)).toEqual(expected);
  });
});

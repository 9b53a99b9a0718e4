import { existsSync, readFileSync, utimesSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/** Write-once puts on a local root (issue 14): an exclusive create of the object and its sidecar. */
let dir: { path: string; cleanup: () => void };
let store: LocalStore;
const KEY = 'AWSLogs/1/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz';
const path = () => join(dir.path, 'b', KEY);

beforeEach(() => {
  dir = tempDir();
  store = new LocalStore(dir.path);
});
afterEach(() => dir.cleanup());

const kindOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof StoreError ? e.kind : String(e)),
  );

describe('LocalStore.put createOnly', () => {
  it('writes a free key with its sidecar, then refuses it (Exists) and leaves both as they were', async () => {
    await store.put('b', KEY, Buffer.from('one'), { signature: 'aa' }, { createOnly: true });
    expect(await kindOf(store.put('b', KEY, Buffer.from('two'), { signature: 'bb' }, { createOnly: true }))).toBe('Exists');
    expect(readFileSync(path(), 'utf8')).toBe('one');
    expect(JSON.parse(readFileSync(`${path()}.metadata.json`, 'utf8'))).toEqual({ signature: 'aa' });
    expect(readdirSync(join(path(), '..')).filter((n) => n.startsWith('.trailproof-tmp-'))).toEqual([]);
  });

  it('of writers at once, exactly one wins, and the object pairs with its own sidecar', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => kindOf(store.put('b', KEY, Buffer.from(`body-${i}`), { signature: `sig-${i}` }, { createOnly: true }))),
    );
    expect(results.filter((r) => r === undefined)).toHaveLength(1);
    expect(results.filter((r) => r === 'Exists')).toHaveLength(7);
    const winner = readFileSync(path(), 'utf8').slice('body-'.length);
    expect(JSON.parse(readFileSync(`${path()}.metadata.json`, 'utf8'))).toEqual({ signature: `sig-${winner}` });
  });

  it("takes over a dead writer's claim (a sidecar with no object, older than an hour), not a fresh one", async () => {
    mkdirSync(join(path(), '..'), { recursive: true });
    writeFileSync(`${path()}.metadata.json`, '{"signature":"dead"}');
    expect(await kindOf(store.put('b', KEY, Buffer.from('x'), { signature: 'new' }, { createOnly: true }))).toBe('Exists');
    expect(existsSync(path())).toBe(false);
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(`${path()}.metadata.json`, old, old);
    await store.put('b', KEY, Buffer.from('x'), { signature: 'new' }, { createOnly: true });
    expect(JSON.parse(readFileSync(`${path()}.metadata.json`, 'utf8'))).toEqual({ signature: 'new' });
  });
});

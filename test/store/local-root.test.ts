import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrailproofError } from '../../src/errors.js';
import { StoreError } from '../../src/store/errors.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/**
 * A local root that is not there, or not a folder, is a mistake said in local words (not S3's);
 * a missing bucket folder inside an existing root stays NoSuchBucket in the AWS CLI's words
 * (behaviour §7: local and S3 runs print the same bytes).
 */
let dir: { path: string; cleanup: () => void };
beforeAll(() => {
  dir = tempDir();
  mkdirSync(join(dir.path, 'root', 'bkt'), { recursive: true });
  writeFileSync(join(dir.path, 'file'), 'x');
});
afterAll(() => dir.cleanup());

async function error(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the local root', () => {
  it('missing: "The local root ... does not exist"', async () => {
    const err = await error(new LocalStore(join(dir.path, 'nope')).get('bkt', 'k'));
    expect(err).toBeInstanceOf(TrailproofError);
    expect((err as Error).message).toBe(`The local root ${join(dir.path, 'nope')} does not exist`);
  });

  it('a file: "... is not a folder"', async () => {
    const err = await error(new LocalStore(join(dir.path, 'file')).get('bkt', 'k'));
    expect((err as Error).message).toBe(`The local root ${join(dir.path, 'file')} is not a folder`);
  });

  it('there, but the bucket folder missing: NoSuchBucket in the AWS CLI words', async () => {
    const err = await error(new LocalStore(join(dir.path, 'root')).get('other', 'k'));
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).kind).toBe('NoSuchBucket');
    expect(await new LocalStore(join(dir.path, 'root')).get('bkt', 'k')).toBeUndefined();
  });

  it('a listing under a prefix whose folders are not there lists nothing', async () => {
    const keys: string[] = [];
    for await (const k of new LocalStore(join(dir.path, 'root')).list('bkt', { prefix: 'AWSLogs/1/CloudTrail-Digest/us-east-1' })) keys.push(k);
    expect(keys).toEqual([]);
  });
});

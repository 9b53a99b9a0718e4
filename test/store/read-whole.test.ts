import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderCache, SIDECAR_SUFFIX, type LocalLocation } from '../../src/store/local-paths.js';
import { objectTooLarge } from '../../src/store/errors.js';
import { readWhole } from '../../src/store/read-whole.js';
import { tempDir } from '../helpers/cli.js';

/** A small object read whole with its sidecar (src/store/read-whole.ts): bounded, and refused when it changes under the read. */
let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

/** A folder cache whose fstat saw the file `shrinkBy` bytes smaller than it is: a file written to while it is read. */
class StaleSize extends FolderCache {
  constructor(private readonly shrinkBy: number) {
    super();
  }
  override open(location: LocalLocation) {
    const file = super.open(location);
    return file && { ...file, size: file.size - this.shrinkBy };
  }
}

describe('readWhole', () => {
  const tooLarge = () => objectTooLarge('b', 'k', 16);
  it('reads the bytes and says whether a sidecar was there', () => {
    writeFileSync(join(dir.path, 'k'), 'hello');
    const bare = readWhole(new FolderCache(), { bucketReal: dir.path, key: 'k' }, 16, tooLarge);
    expect(bare?.bytes.toString()).toBe('hello');
    expect(bare?.sidecar).toBe(false);
    writeFileSync(join(dir.path, 'k' + SIDECAR_SUFFIX), '{"signature":"ab"}');
    const withSidecar = readWhole(new FolderCache(), { bucketReal: dir.path, key: 'k' }, 16, tooLarge);
    expect(withSidecar?.metadata).toEqual({ signature: 'ab' });
    expect(withSidecar?.sidecar).toBe(true);
    expect(readWhole(new FolderCache(), { bucketReal: dir.path, key: 'absent' }, 16, tooLarge)).toBeUndefined();
  });

  it('refuses a file over the limit without reading it, and one that grew while it was read', () => {
    writeFileSync(join(dir.path, 'big'), Buffer.alloc(17));
    expect(() => readWhole(new FolderCache(), { bucketReal: dir.path, key: 'big' }, 16, tooLarge)).toThrow('is larger than the 16 bytes');
    writeFileSync(join(dir.path, 'k'), 'hello');
    expect(() => readWhole(new StaleSize(1), { bucketReal: dir.path, key: 'k' }, 16, tooLarge)).toThrow(/Cannot read .*k: it changed while it was read/);
  });
});

import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeFsError } from '../../src/util/errno.js';

const dir = mkdtempSync(join(tmpdir(), 'trailproof-errno-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'file');
writeFileSync(file, 'x');

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('describeFsError', () => {
  it.each([
    ['a missing path', () => statSync(join(dir, 'missing')), 'does not exist'],
    ['a file used as a folder', () => readdirSync(file), 'is not a folder'],
    ['a path through a file', () => statSync(join(file, 'below')), 'is not a folder'],
  ])('%s: words, never the errno code', (_name, f, words) => {
    const err = thrown(f) as NodeJS.ErrnoException;
    expect(err.code).toMatch(/^E[A-Z]+$/);
    expect(describeFsError(err)).toBe(words);
    expect(describeFsError(err)).not.toContain(err.code);
  });

  it('permission denied, and an unknown code falls back to the text without code, syscall or path', () => {
    expect(describeFsError(Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES' }))).toBe('permission denied');
    const odd = Object.assign(new Error("EWEIRD: something odd happened, open '/secret/path'"), { code: 'EWEIRD' });
    expect(describeFsError(odd)).toBe('something odd happened');
    expect(describeFsError('plain text')).toBe('plain text');
  });
});

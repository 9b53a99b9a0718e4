import { readFile, stat } from 'node:fs/promises';
import { TrailproofError } from '../errors.js';
import { describeFsError } from '../util/errno.js';

/** Reads a small input file (keys, trails) with a size bound and a one-line error. */
export async function readInputFile(path: string, what: string, limit = 16 << 20): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TrailproofError('input', `Cannot read ${what} ${path}: not a file`);
    if (info.size > limit) throw new TrailproofError('input', `Cannot read ${what} ${path}: larger than ${limit} bytes`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw new TrailproofError('input', `Cannot read ${what} ${path}: ${describeFsError(err)}`);
  }
}

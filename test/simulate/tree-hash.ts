import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Every file under `root`, as sorted '/'-separated relative paths. */
export function treeFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(root, '');
  return out.sort();
}

/**
 * One SHA-256 over a tree: each path and the SHA-256 of its bytes (or, with `gunzip`, of its
 * uncompressed bytes: independent of the zlib build, for hashes written into tests).
 */
export function hashTree(root: string, o: { gunzip?: boolean } = {}): string {
  const h = createHash('sha256');
  for (const path of treeFiles(root)) {
    const bytes = readFileSync(join(root, path));
    h.update(
      `${path}\0${createHash('sha256')
        .update(o.gunzip ? gunzipSync(bytes) : bytes)
        .digest('hex')}\n`,
    );
  }
  return h.digest('hex');
}

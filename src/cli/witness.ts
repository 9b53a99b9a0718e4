import { mkdir, stat } from 'node:fs/promises';
import { TrailproofError } from '../errors.js';
import { LocalStore } from '../store/local.js';
import { isS3Url, parseS3Folder } from '../format/s3-url.js';
import type { ObjectStore } from '../store/types.js';
import type { WitnessSource } from '../store/witness-source.js';
import type { WitnessResult } from '../verifier/witness-check.js';
import { describeFsError } from '../util/errno.js';

/**
 * Opens a witness: `s3://BUCKET[/PREFIX]` through the S3 side (the same credentials and endpoint
 * options as the command's), or a local folder. A folder to read must exist: a mistyped witness is
 * said as such, never read as "no record".
 */
export async function openWitness(text: string, mode: 'read' | 'write', openS3: (() => Promise<{ store: ObjectStore }>) | undefined): Promise<WitnessSource> {
  if (isS3Url(text)) {
    const at = parseS3Folder(text);
    if (!at) throw new TrailproofError('argument', `Bad value for --witness: ${text} (expected a folder, or s3://BUCKET[/PREFIX])`);
    const { bucket, prefix } = at;
    if (!openS3) throw new TrailproofError('argument', 'An S3 witness needs S3, which is not available in this build');
    const { store } = await openS3();
    return { store, where: text, bucketFor: () => bucket, prefixFor: (archive) => `${prefix}${archive}/` };
  }
  if (mode === 'write') await mkdir(text, { recursive: true, mode: 0o700 });
  let isDir = false;
  try {
    isDir = (await stat(text)).isDirectory();
  } catch (err) {
    throw new TrailproofError('input', `The witness folder ${text} ${describeFsError(err)}`);
  }
  if (!isDir) throw new TrailproofError('input', `The witness ${text} is not a folder`);
  return { store: new LocalStore(text), where: text, bucketFor: (archive) => archive, prefixFor: () => '' };
}

/** The one stderr line of validate-logs' witness check. */
export function witnessLine(r: WitnessResult): string {
  return `witness: ${r.kind === 'chain-stops' ? 'chain-stops: ' : ''}${r.message}\n`;
}

import { cpSync, readdirSync, rmSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/**
 * export-signatures: a copy made without metadata (as `aws s3 sync` makes it) fails validation;
 * after exporting the digests' metadata into sidecars it gives the reference report again.
 * (The S3 source is tested in test/s3; here the source is a local root with sidecars.)
 */
const CASE = join(ROOT, 'test', 'vectors', 'backfill');
const ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/oracle-trail';
const WINDOW = ['--start-time', '2024-02-28T21:05:19Z', '--end-time', '2024-02-29T03:05:19Z'];
let dir: { path: string; cleanup: () => void };

function removeSidecars(folder: string): number {
  let n = 0;
  for (const name of readdirSync(folder)) {
    const p = join(folder, name);
    if (statSync(p).isDirectory()) n += removeSidecars(p);
    else if (name.endsWith('.metadata.json')) {
      rmSync(p);
      n++;
    }
  }
  return n;
}

beforeAll(() => {
  dir = tempDir();
  cpSync(join(CASE, 'root'), join(dir.path, 'copy'), { recursive: true });
  expect(removeSidecars(join(dir.path, 'copy'))).toBe(9);
});
afterAll(() => dir.cleanup());

describe('export-signatures', () => {
  const validate = () =>
    runCli([
      'validate-logs',
      '--trail-arn',
      ARN,
      ...WINDOW,
      '--s3-bucket',
      'oracle-trail-bucket',
      '--local-root',
      join(dir.path, 'copy'),
      '--public-keys',
      join(CASE, 'keys.json'),
    ]);

  it('without metadata every digest fails', () => {
    const r = validate();
    expect(r.status).toBe(1);
    expect(r.out).toContain('No valid digests found in range');
  });

  it('restores the reference report, newest digest and backfill digests included', () => {
    const e = runCli([
      'export-signatures',
      '--trail-arn',
      ARN,
      ...WINDOW,
      '--s3-bucket',
      'oracle-trail-bucket',
      '--source-root',
      join(CASE, 'root'),
      '--local-root',
      join(dir.path, 'copy'),
    ]);
    expect(e.err).toBe('');
    expect(e.out).toContain('exported the metadata of 9 digest files');
    const r = validate();
    expect(r.out).toBe(readFileSync(join(CASE, 'expected', 'default.stdout'), 'utf8'));
    expect(r.status).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { reproduce } from '../../src/cli/report-files.js';

/**
 * Red team: the GitHub step summary's "Reproduce locally" block is the command line, and a step
 * summary is readable by everyone who can read the workflow run (public repositories: anyone).
 * `audit --queue redis://USER:PASSWORD@HOST` put the Redis password there, while the README says a
 * queue URL's password is never printed. A URL's password must not reach it, in either form.
 */
describe('reproduce (the step summary command line)', () => {
  it('never holds the password of a URL given on the command line', () => {
    const secret = 'Sup3r-S3cret-pw';
    for (const argv of [
      ['--s3-bucket', 'b', '--queue', `redis://worker:${secret}@10.0.0.5:6379/0`, '--queue-key', '/k'],
      ['--s3-bucket', 'b', `--queue=rediss://:${secret}@redis.internal:6380/2`],
      ['--s3-bucket', 'b', '--endpoint-url', `https://ak:${secret}@s3.internal:9000`],
      ['--s3-bucket', 'b', '--queue', `redis://u:${secret}@x@10.0.0.5:6379/0`],
    ]) {
      const line = reproduce('audit', argv);
      expect(line).not.toContain(secret);
      expect(line).toContain('--s3-bucket b');
    }
  });

  it('keeps everything else as it was', () => {
    expect(reproduce('audit', ['--queue', 'redis://10.0.0.5:6379/0', '--junit', 'x.xml'])).toBe('trailproof audit --queue redis://10.0.0.5:6379/0');
  });
});

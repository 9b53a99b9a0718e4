import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/distributed/redis-url.js';
import { TrailproofError } from '../../src/errors.js';

/**
 * a --queue URL whose user or password holds a bad percent-escape (`%zz`, a cut UTF-8
 * sequence) threw decodeURIComponent's URIError: "internal error (a bug in trailproof...)", exit
 * 255, for a usage mistake. It is a bad --queue value (exit 2), and the message names no password.
 */
describe('parseRedisUrl: user and password escapes', () => {
  for (const url of ['redis://:pa%zzss@127.0.0.1:6379/0', 'redis://u%E0%A4:pw@127.0.0.1:6379/0', 'redis://u:%E0%A4%@h:1/0']) {
    it(url, () => {
      let err: unknown;
      try {
        parseRedisUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TrailproofError);
      expect((err as TrailproofError).message).toMatch(/^Bad value for --queue/);
      expect((err as TrailproofError).message).not.toMatch(/pa%zzss|pw/);
    });
  }
});

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { begunBefore } from '../../src/audit/begun-before.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/** Does a chain's oldest digest read link back (begun-before.ts)? Only a starting digest says no; anything unreadable says yes. */
describe('begunBefore', () => {
  it('a starting digest (null previousDigestS3Object): no; a link, garbage or nothing there: yes', async () => {
    const dir = tempDir();
    try {
      const store = new LocalStore(dir.path);
      const put = (key: string, body: Buffer) => store.put('b', key, body);
      await put('start.json.gz', gzipSync(JSON.stringify({ previousDigestS3Object: null, logFiles: [] })));
      await put('linked.json.gz', gzipSync(JSON.stringify({ previousDigestS3Object: 'AWSLogs/x.json.gz', logFiles: [] })));
      await put('absent-field.json.gz', gzipSync(JSON.stringify({ logFiles: [] })));
      await put('garbage.json.gz', gzipSync('not json'));
      await put('not-gzip.json.gz', Buffer.from('{"previousDigestS3Object":null}'));
      await put('array.json.gz', gzipSync('[null]'));
      const ask = (key: string) => begunBefore(store, 'b', { oldestKey: key });
      expect(await ask('start.json.gz')).toBe(false);
      for (const key of ['linked.json.gz', 'absent-field.json.gz', 'garbage.json.gz', 'not-gzip.json.gz', 'array.json.gz', 'missing.json.gz'])
        expect(await ask(key), key).toBe(true);
    } finally {
      dir.cleanup();
    }
  });
});

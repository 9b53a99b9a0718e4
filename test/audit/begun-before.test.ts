import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chainsBegunBefore } from '../../src/audit/begun-before.js';
import { discoveryWindow } from '../../src/audit/discovery-window.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Does a chain's oldest digest read link back (begun-before.ts)? Only a starting digest whose
 * signature verifies says no (audit.test.ts: a trail made later); anything else says yes, a forged
 * "start" (no signature) included.
 */
describe('begunBefore', () => {
  it('unsigned (a forged start), a link, garbage or nothing there: yes', async () => {
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
      const scope = { account: '111122223333', sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 't' };
      const names = ['start.json.gz', 'linked.json.gz', 'absent-field.json.gz', 'garbage.json.gz', 'not-gzip.json.gz', 'array.json.gz', 'missing.json.gz'];
      const chains = names.map((key) => [key, { scope, newestStamp: '', oldestStamp: '', oldestKey: key }] as const);
      const walked = await chainsBegunBefore({ store, bucket: 'b', keys: { list: async () => [] } }, chains, discoveryWindow(0, 1));
      expect([...walked].sort()).toEqual([...names].sort());
    } finally {
      dir.cleanup();
    }
  });
});

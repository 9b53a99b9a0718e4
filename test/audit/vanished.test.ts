import { describe, expect, it } from 'vitest';
import type { DiscoveredChain } from '../../src/audit/discover.js';
import { folderOf } from '../../src/audit/scope.js';
import { vanishedChains } from '../../src/audit/vanished.js';
import { parseDate } from '../../src/format/time.js';
import { LocalStore } from '../../src/store/local.js';

/** The chains an audit reports without walking them (vanished.ts), from discovery's data alone. */
const start = parseDate('2024-05-02T00:00:00Z').clock;
const end = parseDate('2024-05-02T06:00:00Z').clock;
const ended = (trailName: string): DiscoveredChain => ({
  scope: { account: '111122223333', sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName },
  newestStamp: '20240501T230000Z',
  oldestStamp: '20240501T010000Z',
  oldestKey: 'unused',
});
const options = { store: new LocalStore('/nonexistent'), bucket: 'b-bucket', keys: { list: async () => [] }, start, end, concurrency: 1 };

describe('chains that ended before the window', () => {
  it('are chain-stops, each a chain block, saying what their log folder holds in the window', async () => {
    const a = ended('a');
    const logs = new Map([[folderOf(a), 7]]);
    const withLogs = await vanishedChains(options, new Set(), [a], { logsInRange: logs }, new Set());
    expect(withLogs.other).toEqual([]);
    expect(withLogs.chains).toHaveLength(1);
    expect(withLogs.chains[0]!.bySeverity).toEqual({ error: 0, warning: 1, info: 0 });
    expect(withLogs.chains[0]!.findings[0]!.message).toBe(
      "the chain's newest digest is stamped 2024-05-01T23:00:00Z, before the audited window (2024-05-02T00:00:00Z to 2024-05-02T06:00:00Z); " +
        '7 log file(s) of its folder were delivered in the window: its newest digests were probably deleted',
    );
    const quiet = await vanishedChains(options, new Set(), [a], { logsInRange: new Map() }, new Set());
    expect(quiet.chains[0]!.findings[0]!.message).toMatch(/no log file of its folder was delivered in the window: logging was probably stopped$/);
  });

  it("do not claim the logs of a folder they share with a walked chain (another trail's)", async () => {
    const a = ended('a');
    const r = await vanishedChains(options, new Set(), [a], { logsInRange: new Map([[folderOf(a), 7]]) }, new Set([folderOf(a)]));
    expect(r.chains[0]!.findings[0]!.message).toMatch(/its log folder is shared with a chain walked in the window \(another trail\)/);
  });
});

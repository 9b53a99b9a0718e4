import { describe, expect, it } from 'vitest';
import { ChainFindings } from '../../src/audit/chain-findings.js';
import { FOLDER_CHAINS_NAMED, logFolderFindings } from '../../src/audit/log-findings.js';
import { chainName, chainRef } from '../../src/audit/types.js';
import { logKey, type DigestScope } from '../../src/format/names.js';
import { formatDisplay, MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import type { ObjectStore } from '../../src/store/types.js';

/**
 * A log folder's findings when several chains deliver into it (several trails, one account and
 * source region): a log no valid digest of any of them references is one unreferenced-log, filed
 * under the folder's last chain, its message naming the chains (their count past
 * FOLDER_CHAINS_NAMED); a folder of one chain keeps its message. Each chain's missing digest window
 * is its own unchecked-logs.
 */
const H = MICROS_PER_HOUR;
const START = parseDate('2024-05-01T00:00:00Z').clock;
const END = START + 6 * H;
const scope = (home: string): DigestScope => ({ account: '111122223333', sourceRegion: 'us-east-1', homeRegion: home, trailName: 't' });
const HOMES = ['ap-south-1', 'eu-west-1', 'eu-west-2', 'us-east-1', 'us-west-2'];

function folder(keys: string[]): ObjectStore {
  return {
    list: async function* (_bucket: string, o: { prefix?: string }) {
      for (const k of keys) if (k.startsWith(o.prefix ?? '')) yield k;
    },
  } as unknown as ObjectStore;
}

function group(n: number): ChainFindings[] {
  return HOMES.slice(0, n).map((h) => {
    const g = new ChainFindings(chainRef(scope(h)), START, () => undefined);
    g.newestEnd = END;
    return g;
  });
}

describe('logFolderFindings', () => {
  const delivered = START + 2 * H + 10 * 60_000_000;
  const key = logKey(scope('us-east-1'), 'us-east-1', delivered, 'PlantedLogFile00');
  const s3 = `s3://b/${key}`;
  const run = (g: ChainFindings[]) => logFolderFindings(folder([key]), 'b', { scope: scope('us-east-1') } as never, g, START, END);

  it('one chain: the message as it always was', async () => {
    const g = group(1);
    expect(await run(g)).toEqual([
      expect.objectContaining({
        code: 'unreferenced-log',
        chain: g[0]!.chainRef,
        s3,
        message: `log ${s3}, delivered ${formatDisplay(delivered)}, is referenced by no valid digest`,
      }),
    ]);
  });

  it('two chains: one finding, under the last, naming both', async () => {
    const g = group(2);
    const out = await run(g);
    expect(out).toHaveLength(1);
    expect(out[0]!.chain).toBe(g[1]!.chainRef);
    expect(out[0]!.message).toBe(
      `log ${s3}, delivered ${formatDisplay(delivered)}, is referenced by no valid digest of any of the 2 chains delivering into its log folder: ${chainName(g[0]!.chainRef)}; ${chainName(g[1]!.chainRef)}`,
    );
  });

  it(`more than ${FOLDER_CHAINS_NAMED} chains: their count only`, async () => {
    expect(HOMES.length).toBeGreaterThan(FOLDER_CHAINS_NAMED);
    const out = await run(group(HOMES.length));
    expect(out.map((f) => f.message)).toEqual([
      `log ${s3}, delivered ${formatDisplay(delivered)}, is referenced by no valid digest of any of the ${HOMES.length} chains delivering into its log folder`,
    ]);
  });

  it("a log in a chain's missing-digest window: that chain's unchecked-logs, whichever chain is last", async () => {
    const g = group(3);
    g[0]!.unchecked.push({ from: START + 2 * H, to: START + 4 * H, digest: 's3://b/gone' });
    const out = await run(g);
    expect(out.map((f) => [f.code, f.chain, f.count])).toEqual([['unchecked-logs', g[0]!.chainRef, 1]]);
  });
});

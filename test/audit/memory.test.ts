import { readFileSync } from 'node:fs';
import { queryObjects } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainFindings } from '../../src/audit/chain-findings.js';
import { runAudit } from '../../src/audit/run.js';
import type { AuditSink } from '../../src/audit/types.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { LocalStore } from '../../src/store/local.js';
import { buildOrgArchive, type OrgArchive } from '../helpers/org-archive.js';

/**
 * Memory flat in the number of chains: a chain's state (its findings and the set of every log its
 * digests reference) is let go once the chain is reported, so an organization of thousands of
 * chains holds only the few in flight. Counted by V8 itself (`queryObjects` collects garbage first
 * and counts the live instances), at each chain's end.
 */
let archive: OrgArchive;

beforeAll(async () => {
  archive = await buildOrgArchive({ accounts: 8, regions: ['us-east-1', 'eu-west-1'], hours: 2, trails: [{ name: 'org-trail' }] });
}, 120_000);
afterAll(() => archive?.cleanup());

describe('audit memory', () => {
  it('live chain states stay at the chains in flight, not the chains done', async () => {
    const keys = entriesSource(parsePublicKeysJson(readFileSync(archive.publicKeysFile, 'utf8'), 'keys'));
    const live: number[] = [];
    const sink: AuditSink = {
      header() {},
      chainStart() {},
      event() {},
      finding() {},
      chainEnd: () => void live.push(queryObjects(ChainFindings, { format: 'count' }) as number),
      summary() {},
    };
    const chainsAtOnce = 2;
    const s = await runAudit(
      { store: new LocalStore(archive.root), bucket: archive.bucket, keys, start: archive.start, end: archive.end, concurrency: 8, chainsAtOnce },
      sink,
    );
    expect(s.chains).toBe(16);
    expect(live).toHaveLength(16);
    // The chain being reported, the ones running beside it, and one its report is still held by.
    expect(Math.max(...live)).toBeLessThanOrEqual(chainsAtOnce + 2);
  });
});

import { describe, expect, it } from 'vitest';
import { listingPlan } from '../../src/chain/listing.js';
import { digestKey, type DigestScope } from '../../src/format/names.js';
import { parseDate } from '../../src/format/time.js';

/** Behaviour §2: which listed digest keys are considered, as a pure rule over keys. */
const T = (iso: string) => parseDate(iso).clock;
const scope: DigestScope = { account: '111122223333', sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 't' };
const plan = listingPlan(scope, T('2024-05-01T02:00:00Z'), T('2024-05-01T05:00:00Z'));

describe('§2 which digest files are considered', () => {
  it('lists under [prefix/]AWSLogs/[org/]account/CloudTrail-Digest/source-region, after the key of one minute before the start', () => {
    expect(plan.prefix).toBe('AWSLogs/111122223333/CloudTrail-Digest/us-east-1');
    expect(plan.startAfter).toBe(digestKey(scope, T('2024-05-01T01:59:00Z')));
    const org = listingPlan({ ...scope, prefix: 'p', organizationId: 'o-abcdefghij' }, T('2024-05-01T02:00:00Z'), T('2024-05-01T05:00:00Z'));
    expect(org.prefix).toBe('p/AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/us-east-1');
  });

  it('keeps keys of this trail stamped from the start, standard and backfill apart', () => {
    expect(plan.select(digestKey(scope, T('2024-05-01T02:00:00Z')))).toBe('standard');
    expect(plan.select(digestKey(scope, T('2024-05-01T03:00:00Z'), true))).toBe('backfill');
    expect(plan.select(digestKey(scope, T('2024-05-01T01:59:59Z')))).toBe('skip');
  });

  it('skips keys of another trail, region or account (matched literally, not as patterns)', () => {
    for (const other of [
      { ...scope, trailName: 't2' },
      { ...scope, homeRegion: 'eu-west-1' },
      { ...scope, trailName: '.' },
    ]) {
      expect(plan.select(digestKey(other, T('2024-05-01T03:00:00Z')))).toBe('skip');
    }
    expect(plan.select('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/notes.txt')).toBe('skip');
  });

  it('stops at the first key stamped after end + 1 hour (whole seconds), keeps one stamped exactly then', () => {
    expect(plan.select(digestKey(scope, T('2024-05-01T06:00:00Z')))).toBe('standard');
    expect(plan.select(digestKey(scope, T('2024-05-01T06:00:01Z')))).toBe('stop');
  });
});

import { describe, expect, it } from 'vitest';
import type { DigestVerdict } from '../../src/chain/digest-verdict.js';
import type { ChainEvent } from '../../src/chain/events.js';
import { startChain, step, wanted, withListing, type ChainState } from '../../src/chain/machine.js';
import { TrailproofError } from '../../src/errors.js';
import { Digest } from '../../src/format/digest.js';
import { parseDate } from '../../src/format/time.js';

/**
 * The chain rules of ../shared/reference/validate-logs-behaviour.md §3 and §6, on the pure machine:
 * no files, no keys, no clock. Verdicts are given directly; digests are JSON bytes.
 */
const T = (iso: string) => parseDate(iso).clock;
const A = 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_';
const key = (hh: string, backfill = false) => `${A}20240501T${hh}0000Z${backfill ? '_backfill' : ''}.json.gz`;
const K = { h01: key('01'), h02: key('02'), h03: key('03'), h04: key('04'), h05: key('05') };

function digest(o: { start: string; end: string; prev?: [unknown, unknown] }): Digest {
  const json = {
    digestStartTime: o.start,
    digestEndTime: o.end,
    previousDigestS3Bucket: o.prev ? o.prev[0] : null,
    previousDigestS3Object: o.prev ? o.prev[1] : null,
    logFiles: [],
  };
  const parsed = Digest.parse(Buffer.from(JSON.stringify(json)));
  if (parsed.kind !== 'digest') throw new Error('test digest did not parse');
  return parsed.digest;
}

/** A valid verdict for the digest of hour `h` (start h-1:00, end h:00) pointing at `prev`. */
function valid(h: number, prev?: [unknown, unknown]): DigestVerdict {
  const start = `2024-05-01T${String(h - 1).padStart(2, '0')}:00:00Z`;
  const d = digest({ start, end: `2024-05-01T${String(h).padStart(2, '0')}:00:00Z`, prev });
  return { kind: 'valid', digest: d, startClock: T(start), signature: 'ab', algorithm: 'SHA256withRSA' };
}
const missing: DigestVerdict = { kind: 'missing' };
const invalid = (reason: string): DigestVerdict => ({ kind: 'invalid', reason });

/** Runs the machine over verdicts keyed by the key read, like the walk does. */
function drive(state: ChainState, verdicts: Record<string, DigestVerdict>, listings: Record<string, string[]> = {}): { events: ChainEvent[]; reads: string[] } {
  const events: ChainEvent[] = [];
  const reads: string[] = [];
  for (let s = state; ;) {
    if (s.relist) s = withListing(s, listings[s.relist.bucket] ?? []);
    const next = wanted(s);
    if (!next) return { events, reads };
    reads.push(`${next.bucket}/${next.key}`);
    const v = verdicts[next.key] ?? missing;
    const r = step(s, v, `Digest file s3://${next.bucket}/${next.key}`);
    events.push(...r.events);
    s = r.state;
  }
}

const begin = (listed: string[], start = '2024-05-01T00:00:00Z', backfill = false) => startChain({ backfill, start: T(start), bucket: 'b', listed });
const kinds = (events: ChainEvent[]) => events.map((e) => (e.kind === 'gap' ? `gap` : `${e.kind}:${e.key.slice(A.length, A.length + 11)}`));

describe('§3 walking the chain', () => {
  it('starts with the newest listed key and follows previous-digest links', () => {
    const listed = [K.h01, K.h02, K.h03];
    const { events, reads } = drive(begin(listed), { [K.h03]: valid(3, ['b', K.h02]), [K.h02]: valid(2, ['b', K.h01]), [K.h01]: valid(1) });
    expect(reads).toEqual([`b/${K.h03}`, `b/${K.h02}`, `b/${K.h01}`]);
    expect(kinds(events)).toEqual(['valid:20240501T03', 'valid:20240501T02', 'valid:20240501T01']);
  });

  it('follows a link to a digest that is not in the listing (the link decides, not the listing)', () => {
    const { reads } = drive(begin([K.h03]), { [K.h03]: valid(3, ['b', K.h02]), [K.h02]: valid(2) });
    expect(reads).toEqual([`b/${K.h03}`, `b/${K.h02}`]);
  });

  it('goes on while --start-time <= the start of the last valid digest, and stops after it', () => {
    // h02 starts at 01:00, before the requested 01:30: it is the last one read.
    const { reads } = drive(begin([K.h01, K.h02, K.h03], '2024-05-01T01:30:00Z'), { [K.h03]: valid(3, ['b', K.h02]), [K.h02]: valid(2, ['b', K.h01]) });
    expect(reads).toEqual([`b/${K.h03}`, `b/${K.h02}`]);
  });

  it('reads nothing when nothing is listed', () => {
    expect(wanted(begin([]))).toBeNull();
  });

  it('§3.1 a missing digest is "not found", then the newest listed key stamped strictly before it', () => {
    const { events } = drive(begin([K.h01, K.h02, K.h03]), { [K.h03]: missing, [K.h02]: valid(2, ['b', K.h01]), [K.h01]: valid(1) });
    expect(events[0]).toEqual({ kind: 'invalid', backfill: false, bucket: 'b', key: K.h03, reason: 'not found' });
    expect(kinds(events)).toEqual(['invalid:20240501T03', 'valid:20240501T02', 'valid:20240501T01']);
  });

  it('§3.9 an invalid digest is reported with its reason and the walk goes on from the listing', () => {
    const { events } = drive(begin([K.h01, K.h02]), { [K.h02]: invalid('signature verification failed'), [K.h01]: valid(1) });
    expect(events[0]).toMatchObject({ kind: 'invalid', reason: 'signature verification failed' });
    expect(kinds(events)).toEqual(['invalid:20240501T02', 'valid:20240501T01']);
  });

  it('§3 quirk: after jumping over a missing digest by the listing, an unlisted missing one behind it is not reported', () => {
    // h04 -> h03 (missing, unlisted) -> listing gives h01 (h02 is missing and unlisted: never named).
    const { events } = drive(begin([K.h01, K.h04]), { [K.h04]: valid(4, ['b', K.h03]), [K.h01]: valid(1) });
    expect(kinds(events)).toEqual(['valid:20240501T04', 'invalid:20240501T03', 'valid:20240501T01']);
  });

  it('§3.10 a chain that ends (null previous fields) with an older listed digest: a gap from its stamp to this start', () => {
    const { events } = drive(begin([K.h01, K.h04]), { [K.h04]: valid(4), [K.h01]: valid(1) });
    expect(events[1]).toEqual({ kind: 'gap', backfill: false, from: T('2024-05-01T01:00:00Z'), to: T('2024-05-01T03:00:00Z') });
    expect(kinds(events)).toEqual(['valid:20240501T04', 'gap', 'valid:20240501T01']);
  });

  it('§3.10 a chain that ends with nothing older listed: no gap, the walk is over', () => {
    const { events } = drive(begin([K.h02]), { [K.h02]: valid(2) });
    expect(kinds(events)).toEqual(['valid:20240501T02']);
  });

  it('§3.10 either previous field null (or absent) ends the chain', () => {
    for (const prev of [
      [null, K.h01],
      ['b', null],
    ] as Array<[unknown, unknown]>) {
      const { events } = drive(begin([K.h02]), { [K.h02]: valid(2, prev) });
      expect(kinds(events)).toEqual(['valid:20240501T02']);
    }
  });

  it('§3.10 a link to another bucket lists that bucket again, up to the digest end time', () => {
    const s = begin([K.h02]);
    const r = step(s, valid(2, ['other', K.h01]), 'here');
    expect(r.state.relist).toEqual({ bucket: 'other', end: T('2024-05-01T02:00:00Z') });
    expect(wanted(r.state)).toBeNull();
    const { reads } = drive(s, { [K.h02]: valid(2, ['other', K.h01]), [K.h01]: missing }, { other: [K.h01] });
    expect(reads).toEqual([`b/${K.h02}`, `other/${K.h01}`]);
  });

  it('a link that is not a string stops the run', () => {
    expect(() => step(begin([K.h02]), valid(2, ['b', 5]), 'Digest file s3://b/x')).toThrow(TrailproofError);
    expect(() => step(begin([K.h02]), valid(2, [['b'], K.h01]), 'Digest file s3://b/x')).toThrow(/previousDigestS3Bucket is not a string/);
  });

  it('a listed key whose stamp cannot be parsed stops the run (as in the reference)', () => {
    const bad = `${A}20241399T990000Z.json.gz`;
    expect(() => begin([K.h01, bad])).toThrow();
  });
});

describe('§6 backfill digests and segments', () => {
  it('backfill walks carry their flag on every event', () => {
    const b2 = key('02', true);
    const { events } = drive(begin([b2], '2024-05-01T00:00:00Z', true), { [b2]: invalid('invalid format') });
    expect(events.every((e) => e.backfill)).toBe(true);
  });

  it('a state made for a head inside a chain starts there (a segment), and stops where its listing ends', () => {
    const s = startChain({
      backfill: false,
      start: T('2024-05-01T00:00:00Z'),
      bucket: 'b',
      listed: [K.h01],
      head: { key: K.h03, lastStart: T('2024-05-01T02:00:00Z') },
    });
    const { reads } = drive(s, { [K.h03]: valid(3), [K.h01]: valid(1) });
    expect(reads).toEqual([`b/${K.h03}`, `b/${K.h01}`]);
  });
});

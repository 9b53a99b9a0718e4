import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discover } from '../../src/audit/discover.js';
import { discoveryWindow, ENDED_LOOKBACK_DAYS } from '../../src/audit/discovery-window.js';
import { regionFolderOf } from '../../src/format/archive-keys.js';
import { digestKey, logKey, type DigestScope } from '../../src/format/names.js';
import { formatYmdPath, MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { LocalStore } from '../../src/store/local.js';
import { byteCompare } from '../../src/store/names.js';
import type { ListOptions, ObjectStore } from '../../src/store/types.js';
import { readFileSync } from 'node:fs';
import { runAudit } from '../../src/audit/run.js';
import type { AuditSink, Finding } from '../../src/audit/types.js';
import { classifyKey } from '../../src/format/archive-keys.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { tempDir } from '../helpers/cli.js';
import { buildOrgArchive } from '../helpers/org-archive.js';

/**
 * Discovery reads the days around the window of each CloudTrail region folder, never the archive's
 * whole history (discovery-window.ts). `jump` only saves work: a listing that follows it and one
 * that ignores it give discovery the same keys, which is what the properties check, on a simulated
 * S3 listing and on a local root's folders.
 */
const H = MICROS_PER_HOUR;
const DAY = 24 * H;
const BASE = parseDate('2024-05-10T00:00:00Z').clock;
const ACCOUNT = '111122223333';

const head = fc.tuple(fc.constantFrom('', 'p/', 'p/q/', '/'), fc.constantFrom('', 'o-abcdefghij/'), fc.constantFrom(ACCOUNT, '12345'));
const type = fc.constantFrom('CloudTrail', 'CloudTrail-Digest', 'CloudTrail-Insight');
const region = fc.constantFrom('us-east-1', 'eu-west-1', 'xx');
/** A day folder within two weeks of BASE, or a name that sorts anywhere among them. */
const rest = fc.oneof(
  fc.tuple(fc.integer({ min: -14, max: 14 }), fc.constantFrom('a.json.gz', 'b', 'é', '😀')).map(([d, f]) => `${formatYmdPath(BASE + d * DAY)}/${f}`),
  fc.constantFrom(
    '0000',
    'zzz',
    '2023',
    '2024',
    '2024/04',
    '2024/05',
    '2024/05/1',
    '2024/05/10',
    '2024/05/09x',
    'é',
    '😀',
    '\uE000',
    '2024/05/10/sub/deeper.json.gz',
  ),
);
const keyArb = fc.tuple(head, type, region, rest).map(([[p, o, a], t, r, x]) => `${p}AWSLogs/${o}${a}/${t}/${r}/${x}`);
const windowArb = fc
  .tuple(fc.integer({ min: -3 * 24, max: 3 * 24 }), fc.integer({ min: 0, max: 80 }))
  .map(([s, n]) => ({ start: BASE + s * H, end: BASE + (s + n) * H }));

/** A flat listing (S3's) of sorted keys that follows ListOptions.jump as S3Store does. */
function jumpingList(sorted: readonly string[], jump: (k: string) => string | undefined): string[] {
  const out: string[] = [];
  let after: string | undefined;
  for (const k of sorted) {
    if (after !== undefined && byteCompare(k, after) <= 0) continue;
    const to = jump(k);
    if (to !== undefined && byteCompare(to, k) >= 0) {
      after = to;
      continue;
    }
    out.push(k);
  }
  return out;
}

describe('the discovery window', () => {
  it('a flat listing that jumps gives every key the window examines (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 60 }), windowArb, (keys, { start, end }) => {
        const w = discoveryWindow(start, end);
        const sorted = [...keys].sort(byteCompare);
        expect(jumpingList(sorted, w.jump).filter(w.examined)).toEqual(sorted.filter(w.examined));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers a key of a day folder it found wholly read as the rule alone does (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, fc.constantFrom('', 'x', '/', 'y/z', '😀')), { maxLength: 60 }), windowArb, (pairs, { start, end }) => {
        const fast = discoveryWindow(start, end);
        const rule = discoveryWindow(start, end, false);
        // Each key, then one in its folder (or a subfolder), so that answers from the remembered day are asked for.
        for (const key of pairs.flatMap(([k, sibling]) => [k, k.slice(0, k.lastIndexOf('/') + 1) + sibling])) {
          expect([key, fast.examined(key), fast.jump(key)]).toEqual([key, rule.examined(key), rule.jump(key)]);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a digest folder read to its end: names past U+E000 and past U+FFFF both read, and no jump passes one (S3 orders UTF-8 bytes)', () => {
    const w = discoveryWindow(BASE, BASE + 6 * H);
    const folder = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/`;
    const keys = [`${folder}${formatYmdPath(BASE)}/a.json.gz`, `${folder}\uE000`, `${folder}\uFFFD`, `${folder}😀`, `${folder}\u{10FFFF}`].sort(byteCompare);
    expect(keys.filter(w.examined)).toEqual(keys);
    expect(jumpingList(keys, w.jump)).toEqual(keys);
  });

  it("a local root's listing that jumps (folders not entered) gives every key the window examines (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(keyArb, { maxLength: 40 }), windowArb, async (raw, { start, end }) => {
        // A file and a folder cannot share a path: drop keys that are a folder of another.
        const keys = raw.filter((k) => !k.startsWith('/') && !raw.some((o) => o !== k && o.startsWith(`${k}/`)));
        const dir = tempDir();
        try {
          mkdirSync(join(dir.path, 'b'));
          for (const k of keys) {
            const path = join(dir.path, 'b', ...k.split('/'));
            mkdirSync(dirname(path), { recursive: true });
            writeFileSync(path, 'x');
          }
          const store = new LocalStore(dir.path);
          const w = discoveryWindow(start, end);
          const entered: string[] = [];
          const jump = (k: string): string | undefined => {
            entered.push(k);
            return w.jump(k);
          };
          const all = await collect(store.list('b', { prefix: '' }));
          const jumped = await collect(store.list('b', { prefix: '', jump }));
          expect(jumped.filter(w.examined)).toEqual(all.filter(w.examined));
          // A folder jumped past (wholly outside the window's days) was not entered: nothing in it was asked about.
          const passed = entered.filter((k) => k.endsWith('/') && w.jump(k) !== undefined);
          for (const k of entered)
            expect(
              passed.filter((f) => f !== k && k.startsWith(f)),
              k,
            ).toEqual([]);
        } finally {
          dir.cleanup();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('reads the window days of logs and, for digests, the lookback before it and the day after it', () => {
    const w = discoveryWindow(BASE + 3 * H, BASE + 5 * H);
    const f = (kind: string, day: number) => `AWSLogs/${ACCOUNT}/${kind}/us-east-1/${formatYmdPath(BASE + day * DAY)}/x.json.gz`;
    expect([-1, 0, 1].map((d) => w.examined(f('CloudTrail', d)))).toEqual([false, true, false]);
    const digestDays = [-ENDED_LOOKBACK_DAYS - 1, -ENDED_LOOKBACK_DAYS, 0, 1, 2, 100];
    expect(digestDays.map((d) => w.examined(f('CloudTrail-Digest', d)))).toEqual([false, true, true, true, true, true]);
    // Insights event folders: the window's days, as logs. Outside region folders (another service, a malformed account), everything is read.
    expect([-1, 0, 1].map((d) => w.examined(f('CloudTrail-Insight', d)))).toEqual([false, true, false]);
    expect(w.examined(f('CloudTrail-Other', -100))).toBe(true);
    expect(w.examined(f('CloudTrail', -100).replace(ACCOUNT, '12345'))).toBe(true);
    expect(regionFolderOf(`x//AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/`)).toBeUndefined();
    expect(regionFolderOf(`p/AWSLogs/o-abcdefghij/${ACCOUNT}/CloudTrail/us-east-1/2024/`)).toMatchObject({
      folder: `p/AWSLogs/o-abcdefghij/${ACCOUNT}/CloudTrail/us-east-1/`,
      kind: 'log',
      rest: '2024/',
    });
  });
});

describe('discovery on an archive with a long history', () => {
  const scope = (trailName: string): DigestScope => ({
    prefix: undefined,
    organizationId: undefined,
    account: ACCOUNT,
    sourceRegion: 'us-east-1',
    homeRegion: 'us-east-1',
    trailName,
  });
  /** Digest and log names only (discovery reads names): `days` of history for trail `old`, a trail that ended in the lookback, one running. */
  function plant(root: string, days: number): void {
    const put = (key: string) => {
      const path = join(root, 'b', ...key.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, 'x');
    };
    for (let h = -days * 24; h < 24; h++) {
      const at = BASE + h * H;
      if (h < -(ENDED_LOOKBACK_DAYS + 2) * 24) put(digestKey(scope('old'), at));
      if (h < -2 * 24) put(digestKey(scope('recent'), at));
      put(digestKey(scope('running'), at));
      const log = logKey({ account: ACCOUNT }, 'us-east-1', at + 5 * 60e6, 'AbCdEfGhIjKlMnOp');
      put(log);
      // An Insights event file an hour (CloudTrail-Insight/, dated like logs): not checked, an unexpected object.
      put(log.replace('/CloudTrail/', '/CloudTrail-Insight/').replace('_CloudTrail_', '_CloudTrail-Insight_'));
    }
  }

  it('finds the chains of the lookback and the window, counts the window`s logs, and lists only those days', async () => {
    const dir = tempDir();
    try {
      plant(dir.path, 60);
      const listed = { n: 0 };
      const store = counting(new LocalStore(dir.path), () => listed.n++);
      const found = await discover(store, 'b', undefined, BASE, BASE + DAY - 1);
      expect([...found.chains.values()].map((c) => c.scope.trailName).sort()).toEqual(['recent', 'running']);
      expect([...found.logsInRange.values()]).toEqual([24]);
      // The window's Insights files only, not 60 days of them.
      expect(found.unexpected.count).toBe(24);
      // 2 trails x 24 digests a day over the lookback, the window's day and the day after, and the window's logs and Insights files: not 60 days of 3 trails.
      expect(listed.n).toBeLessThanOrEqual(2 * 24 * (ENDED_LOOKBACK_DAYS + 2) + 24 + 24);
      expect(listed.n).toBeGreaterThanOrEqual(24 + 24 + 24);
    } finally {
      dir.cleanup();
    }
  });
});

describe('the audit reads a walked chain`s log folder once', () => {
  it('each log key is listed once (by its folder check, not by discovery too), and a planted object in it is still reported', async () => {
    const archive = await buildOrgArchive({ accounts: 2, regions: ['us-east-1', 'eu-west-1'], hours: 3, trails: [{ name: 'org-trail' }] });
    try {
      const keys = entriesSource(parsePublicKeysJson(readFileSync(archive.publicKeysFile, 'utf8'), 'keys'));
      const logFolder = archive.chains[0]!.logKeys[0]!.replace(/[^/]+$/, '');
      const planted = `${logFolder}not-a-log.txt`;
      const path = join(archive.root, archive.bucket, ...planted.split('/'));
      writeFileSync(path, 'x');
      const seen = new Map<string, number>();
      const store = counting(new LocalStore(archive.root), (k) => seen.set(k, (seen.get(k) ?? 0) + 1));
      const findings: Finding[] = [];
      const sink: AuditSink = { header() {}, chainStart() {}, event() {}, finding: (f) => void findings.push(f), chainEnd() {}, summary() {} };
      await runAudit({ store, bucket: archive.bucket, keys, start: archive.start, end: archive.end, concurrency: 8 }, sink);
      const logs = [...seen].filter(([k]) => classifyKey(k).kind === 'log');
      expect(logs.length).toBe(archive.chains.reduce((n, c) => n + c.logKeys.length, 0));
      expect(logs.filter(([, n]) => n !== 1)).toEqual([]);
      expect(findings.map((f) => [f.code, f.s3])).toEqual([['unexpected-object', `s3://${archive.bucket}/${planted}`]]);
    } finally {
      archive.cleanup();
    }
  }, 120_000);
});

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

/** The store, telling `onKey` each key its listings give. */
function counting(store: ObjectStore, onKey: (key: string) => void): ObjectStore {
  return new Proxy(store, {
    get(target, p, receiver) {
      if (p !== 'list') return Reflect.get(target, p, receiver);
      return async function* (bucket: string, o: ListOptions) {
        for await (const k of target.list(bucket, o)) {
          onKey(k);
          yield k;
        }
      };
    },
  });
}

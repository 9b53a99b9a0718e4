import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobDigest, QueueKey } from '../../src/distributed/auth.js';
import { connectionOf, QUEUE_NAME, QUEUE_PREFIX } from '../../src/distributed/bullmq-queue.js';
import { parseRedisUrl } from '../../src/distributed/redis-url.js';
import { runSegment } from '../../src/distributed/run-segment.js';
import { checkJob, type ItemWire, type LogWire, type PartWire } from '../../src/distributed/wire.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { LocalStore } from '../../src/store/local.js';
import { startCli } from '../helpers/cli-async.js';
import { buildOrgArchive, changeByte, localAuditArgs, type OrgArchive } from '../helpers/org-archive.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';

/**
 * The queue key (src/distributed/auth.ts): whoever can write to the Redis, or run a worker on it,
 * must not decide a distributed audit's verdict (review: a result answering every log valid made
 * a tampered archive clean, exit 0). The run settings and every result are sealed with a key the
 * coordinator and its workers share outside Redis; anything not sealed with it stops the run.
 */
const key = new QueueKey(randomBytes(32));
const CONTEXT = ['run-1', 'job-1', 'a'.repeat(64)];

describe('QueueKey', () => {
  it('opens what it sealed, for the same purpose and context only', () => {
    const sealed = key.seal('segment result', '{"v":1}', CONTEXT);
    expect(key.open('segment result', sealed, CONTEXT)).toBe('{"v":1}');
    expect(() => key.open('run settings', sealed, CONTEXT)).toThrow(/not sealed with this queue key/);
    expect(() => key.open('segment result', sealed, ['run-1', 'job-2', 'a'.repeat(64)])).toThrow(/not sealed/);
    expect(() => new QueueKey(randomBytes(32)).open('segment result', sealed, CONTEXT)).toThrow(/not sealed/);
    for (const bad of ['', ' ', '{"v":1}', `${'0'.repeat(64)} {"v":1}`, `${'G'.repeat(64)} x`])
      expect(() => key.open('segment result', bad, CONTEXT)).toThrow(/not sealed/);
  });

  it('refuses a key shorter than 32 bytes or longer than 4096', () => {
    expect(() => new QueueKey(randomBytes(31))).toThrow(/32 to 4096 bytes/);
    expect(() => new QueueKey(randomBytes(4097))).toThrow(/32 to 4096 bytes/);
  });

  it('any change to a sealed value is refused (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.nat(), fc.integer({ min: 1, max: 0xffff }), (text, at, delta) => {
        const sealed = key.seal('segment result', text, CONTEXT);
        const i = at % sealed.length;
        const changed = sealed.slice(0, i) + String.fromCharCode((sealed.charCodeAt(i) + delta) % 0x10000) + sealed.slice(i + 1);
        fc.pre(changed !== sealed);
        expect(() => key.open('segment result', changed, CONTEXT)).toThrow(/not sealed/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe.skipIf(lacks('redis'))('a distributed audit through Redis', () => {
  let redis: TestRedis;
  let a: OrgArchive;
  beforeAll(async () => {
    redis = await startRedis();
    a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 3, filesPerHour: 1 });
    await changeByte(a, a.chains[0]!.logKeys[1]!);
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
    a?.cleanup();
  });
  // Each test its own run (a stopped run is resumed by the next coordinator with the same settings).
  const coordinator = (segmentHours: number) =>
    startCli([...localAuditArgs(a), ...redis.queue, '--segment-hours', String(segmentHours), '--queue-check-ms', '200', '--queue-timeout', '20'], {
      timeout: 90_000,
    });

  it('a worker with another key cannot open the run: the coordinator stops (exit 255), never a verdict', async () => {
    const other = join(a.root, '..', 'other.key');
    writeFileSync(other, randomBytes(32), { mode: 0o600 });
    const w = startCli(['worker', '--queue', redis.url, '--queue-key', other], { timeout: 90_000 });
    try {
      const r = await coordinator(1).done;
      expect(r.status, r.err).toBe(255);
      expect(r.err).toMatch(/run settings in the queue is not sealed with this queue key/);
    } finally {
      w.child.kill('SIGTERM');
      await w.done;
    }
  }, 90_000);

  it('a rogue worker answering every log valid, without the key: refused (exit 255, not 0)', async () => {
    const keys = entriesSource(parsePublicKeysJson(readFileSync(a.publicKeysFile, 'utf8'), 'keys'));
    const ctx = { store: new LocalStore(a.root), keys, bucket: a.bucket, end: a.end, concurrency: 4, readAhead: 0 };
    const allValid = (p: PartWire | null): PartWire | null =>
      p && {
        ...p,
        items: p.items.map((it: ItemWire): ItemWire =>
          it[0] === 'v' || it[0] === 'w' ? [it[0], it[1], it[2], it[3], it[4], it[5], it[6].map((): LogWire => true)] : it,
        ),
      };
    const rogue = new Worker(
      QUEUE_NAME,
      async (job) => {
        const r = await runSegment(checkJob(job.data, 'job'), ctx);
        const forged = JSON.stringify({ v: 1, result: { ...r, standard: allValid(r.standard), backfill: allValid(r.backfill) }, ref: null });
        // Sealed with a key of its own (no key at all reads the same to the coordinator).
        return new QueueKey(randomBytes(32)).seal('segment result', forged, [String(job.data.run), String(job.id), jobDigest(job.data)]);
      },
      { connection: connectionOf(parseRedisUrl(redis.url)), prefix: QUEUE_PREFIX, autorun: true },
    );
    try {
      const r = await coordinator(2).done;
      expect(r.status, r.err).toBe(255);
      expect(r.err).toMatch(/segment result in the queue is not sealed with this queue key/);
    } finally {
      await rogue.close(true);
    }
  }, 90_000);

  it('an honest worker with the key: the changed log is found (exit 1)', async () => {
    const w = startCli(['worker', ...redis.queue], { timeout: 90_000 });
    try {
      const r = await coordinator(3).done;
      expect(r.status, r.err).toBe(1);
      expect(r.out).toMatch(/log-invalid/);
    } finally {
      w.child.kill('SIGTERM');
      await w.done;
    }
  }, 90_000);
});

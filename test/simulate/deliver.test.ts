import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { TrailproofError } from '../../src/errors.js';
import { MICROS_PER_HOUR, MICROS_PER_MINUTE, parseDate, parseStrictUtc } from '../../src/format/time.js';
import { simulateDelivery, type SimulatedFile } from '../../src/simulate/deliver.js';
import type { SimulateOptions } from '../../src/simulate/options.js';
import { StoreError } from '../../src/store/errors.js';
import { LocalStore } from '../../src/store/local.js';
import type { ObjectStore } from '../../src/store/types.js';
import { tempDir } from '../helpers/cli.js';
import { memoryStore, nullStore, readLog } from './support.js';

const START = parseDate('2024-02-28T21:00:00Z').clock;
const BASE: SimulateOptions = {
  bucket: 'demo-trail-bucket',
  account: '123456789012',
  regions: ['us-east-1', 'eu-west-1'],
  start: START,
  hours: 3,
  filesPerHour: 4,
  recordsPerFile: 20,
  seed: 'fixture',
};

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function runLocal(
  options: Partial<SimulateOptions> = {},
): Promise<{ root: string; store: LocalStore; files: Map<string, string>; delivered: SimulatedFile[] }> {
  const dir = tempDir('trailproof-sim-');
  cleanups.push(dir.cleanup);
  const store = new LocalStore(dir.path);
  const delivered: SimulatedFile[] = [];
  const o = { ...BASE, ...options };
  await simulateDelivery(store, o, { onFile: (f) => delivered.push(f) });
  const files = new Map<string, string>();
  for await (const key of store.list(o.bucket, { prefix: '' })) {
    files.set(
      key,
      createHash('sha256')
        .update(readFileSync(join(dir.path, o.bucket, key)))
        .digest('hex'),
    );
  }
  return { root: dir.path, store, files, delivered };
}

// Behaviour rule: the log key layout of the CloudTrail User Guide, "CloudTrail Log File Name Format".
const KEY =
  /^AWSLogs\/123456789012\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/123456789012_CloudTrail_([a-z0-9-]+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]{16}\.json\.gz$/;

/** The delivery minute a signer reads from a log key's name. */
function minuteOfKey(key: string): number {
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[A-Za-z0-9]{16}\.json\.gz$/.exec(key)!;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) * 1000;
}

describe('simulateDelivery', () => {
  it('is byte-identical for a seed, and different for another seed', async () => {
    const a = await runLocal();
    const b = await runLocal();
    expect(a.files.size).toBe(2 * 3 * 4);
    expect([...b.files]).toEqual([...a.files]);
    const c = await runLocal({ seed: 'other' });
    expect(c.files.size).toBe(a.files.size);
    const hashesA = new Set(a.files.values());
    for (const h of c.files.values()) expect(hashesA.has(h)).toBe(false);
  });

  it('writes the CloudTrail layout, delivered in whole minutes that the key names state', async () => {
    const { files, delivered } = await runLocal();
    const perRegionHour = new Map<string, number>();
    for (const key of files.keys()) {
      const m = KEY.exec(key);
      expect(m, key).not.toBeNull();
      const [, region, y, mo, d, region2, y2, mo2, d2] = m!;
      expect(region2).toBe(region);
      expect([y2, mo2, d2]).toEqual([y, mo, d]);
      const minute = minuteOfKey(key);
      expect(minute).toBeGreaterThanOrEqual(START);
      expect(minute).toBeLessThan(START + 3 * MICROS_PER_HOUR);
      const hour = Math.floor((minute - START) / MICROS_PER_HOUR);
      perRegionHour.set(`${region}/${hour}`, (perRegionHour.get(`${region}/${hour}`) ?? 0) + 1);
    }
    expect([...perRegionHour.values()]).toEqual(Array(6).fill(4));
    expect(delivered).toHaveLength(files.size);
    for (const f of delivered) {
      expect(f.deliveredAt % MICROS_PER_MINUTE).toBe(0);
      expect(minuteOfKey(f.key)).toBe(f.deliveredAt);
      expect(files.has(f.key)).toBe(true);
    }
  });

  it('writes gzip JSON records, in time order, before the delivery minute', async () => {
    const dir = tempDir('trailproof-sim-');
    cleanups.push(dir.cleanup);
    const store = new LocalStore(dir.path);
    const manifest = await simulateDelivery(store, BASE);
    let files = 0;
    let bytes = 0;
    for await (const key of store.list(BASE.bucket, { prefix: 'AWSLogs/' })) {
      const path = join(dir.path, BASE.bucket, key);
      const log = readLog(readFileSync(path));
      files++;
      bytes += statSync(path).size;
      expect(Object.keys(log)).toEqual(['Records']);
      expect(log.Records).toHaveLength(20);
      const region = KEY.exec(key)![1];
      const times = log.Records.map((r) => parseStrictUtc(r.eventTime as string)!);
      for (let i = 0; i < times.length; i++) {
        if (i > 0) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
        expect(times[i]!).toBeLessThan(minuteOfKey(key));
        expect(times[i]!).toBeGreaterThan(minuteOfKey(key) - 15 * MICROS_PER_MINUTE);
      }
      for (const r of log.Records) {
        expect(r.awsRegion).toBe(region);
        expect(r.recipientAccountId).toBe('123456789012');
        for (const field of [
          'eventVersion',
          'userIdentity',
          'eventSource',
          'eventName',
          'sourceIPAddress',
          'userAgent',
          'requestID',
          'eventID',
          'readOnly',
          'eventType',
          'managementEvent',
          'eventCategory',
        ]) {
          expect(r, field).toHaveProperty(field);
        }
      }
    }
    expect(manifest).toEqual({
      bucket: BASE.bucket,
      accounts: [BASE.account],
      files,
      records: files * 20,
      uncompressedBytes: expect.any(Number),
      compressedBytes: bytes,
      firstDelivery: expect.any(Number),
      lastDelivery: expect.any(Number),
    });
    expect(manifest.uncompressedBytes).toBeGreaterThan(manifest.compressedBytes * 3);
    expect(manifest.firstDelivery!).toBeGreaterThanOrEqual(START);
    expect(manifest.lastDelivery!).toBeLessThan(START + 3 * MICROS_PER_HOUR);
  });

  it('writes under a prefix and an organization', async () => {
    const { files } = await runLocal({ prefix: 'audit/trail-1', organizationId: 'o-a1b2c3d4e5', regions: ['ap-southeast-2'], hours: 1 });
    expect(files.size).toBe(4);
    for (const key of files.keys()) {
      expect(key).toMatch(
        /^audit\/trail-1\/AWSLogs\/o-a1b2c3d4e5\/123456789012\/CloudTrail\/ap-southeast-2\/2024\/02\/28\/123456789012_CloudTrail_ap-southeast-2_20240228T21\d\dZ_[A-Za-z0-9]{16}\.json\.gz$/,
      );
    }
  });

  it('honours the gzip level without changing the content', async () => {
    const fast = memoryStore();
    const small = memoryStore();
    await simulateDelivery(fast, { ...BASE, gzipLevel: 0 });
    await simulateDelivery(small, { ...BASE, gzipLevel: 9 });
    expect([...fast.objects.keys()].sort()).toEqual([...small.objects.keys()].sort());
    for (const [key, body] of fast.objects) {
      expect(body.length).toBeGreaterThan(small.objects.get(key)!.length);
      expect(readLog(body)).toEqual(readLog(small.objects.get(key)!));
    }
  });

  it('keeps at most `concurrency` puts in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow: ObjectStore = {
      ...nullStore(),
      async put() {
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
      },
    };
    await simulateDelivery(slow, { ...BASE, concurrency: 3 });
    expect(peak).toBe(3);
  });

  it('stops on a store failure, wrapping foreign errors', async () => {
    let puts = 0;
    const failing = (err: Error): ObjectStore => ({
      ...nullStore(),
      async put() {
        if (++puts === 5) throw err;
      },
    });
    const wrapped = await simulateDelivery(failing(new Error('disk full')), BASE).catch((e: unknown) => e);
    expect(wrapped).toBeInstanceOf(TrailproofError);
    expect((wrapped as TrailproofError).code).toBe('storage');
    expect((wrapped as TrailproofError).message).toMatch(/^Cannot write s3:\/\/demo-trail-bucket\/AWSLogs\/.+: disk full$/);
    puts = 0;
    const own = new StoreError('AccessDenied', 'An error occurred (AccessDenied) when calling the PutObject operation: Access Denied');
    await expect(simulateDelivery(failing(own), BASE)).rejects.toBe(own);
    expect(puts).toBeLessThan(2 * 3 * 4);
  });

  it('validates its options', async () => {
    await expect(simulateDelivery(nullStore(), { ...BASE, account: '1234' })).rejects.toThrow('Invalid account ID "1234": expected 12 digits');
  });

  it('does not hold the files in memory: the heap stays flat as the run grows', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const store = nullStore();
    const MB = 1 << 20;
    gc();
    // Buffers live outside the JS heap: count them too.
    const used = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const baseline = used();
    let retainedPeak = 0;
    let n = 0;
    const manifest = await simulateDelivery(
      store,
      { ...BASE, regions: ['us-east-1'], hours: 20, filesPerHour: 10, recordsPerFile: 200 },
      {
        onFile: () => {
          if (++n % 25 === 0) {
            gc();
            retainedPeak = Math.max(retainedPeak, used() - baseline);
          }
        },
      },
    );
    gc();
    const after = used() - baseline;
    expect(manifest.files).toBe(200);
    // ~55 MB of JSON went through; holding it (or its gzip, ~6 MB) would show.
    expect(manifest.uncompressedBytes).toBeGreaterThan(40 * MB);
    expect(retainedPeak).toBeLessThan(12 * MB);
    expect(after).toBeLessThan(4 * MB);
  });
});

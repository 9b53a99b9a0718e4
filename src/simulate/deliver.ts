import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { messageOf, TrailproofError } from '../errors.js';
import type { ObjectStore } from '../store/types.js';
import { EventGenerator } from './events.js';
import { checkSimulateOptions, type CheckedOptions, type SimulateOptions } from './options.js';
import { planDeliveries, renderLogFile, type PlannedFile } from './plan.js';

/**
 * Simulated CloudTrail log delivery into an object store, for demos, fixtures and benchmarks.
 *
 * Memory stays flat however long the run: files are planned one hour at a time and produced one
 * by one, and at most `concurrency` of them (text, gzip, put) are alive at once. The JSON is built
 * on the main thread while zlib compresses earlier files on the libuv pool, so both cores work.
 */
export interface SimulatedFile {
  readonly key: string;
  readonly account: string;
  readonly region: string;
  /** Whole minute, micros: the minute in the key's name. */
  readonly deliveredAt: number;
  readonly records: number;
  readonly bytes: number;
  readonly compressedBytes: number;
}

export interface SimulationManifest {
  readonly bucket: string;
  /** The accounts delivered for, in the order delivered. */
  readonly accounts: readonly string[];
  readonly files: number;
  readonly records: number;
  readonly uncompressedBytes: number;
  readonly compressedBytes: number;
  /** Micros; null only if nothing was written (never, with valid options). */
  readonly firstDelivery: number | null;
  readonly lastDelivery: number | null;
}

export interface DeliveryHooks {
  /** Called once per file after it is stored, in completion order (not key order). */
  readonly onFile?: (file: SimulatedFile) => void;
}

const gzip = promisify(zlib.gzip);

/** Account after account: one account's world (EventGenerator) is alive at a time. */
function* plannedFiles(o: CheckedOptions): Generator<{ file: PlannedFile; events: EventGenerator }> {
  for (const account of o.accounts) {
    const events = new EventGenerator(o.seed, account, { dataEvents: o.dataEvents });
    for (const file of planDeliveries(o, account)) yield { file, events };
  }
}

export async function simulateDelivery(store: ObjectStore, options: SimulateOptions, hooks: DeliveryHooks = {}): Promise<SimulationManifest> {
  const o = checkSimulateOptions(options);
  let files = 0;
  let records = 0;
  let uncompressedBytes = 0;
  let compressedBytes = 0;
  let firstDelivery: number | null = null;
  let lastDelivery: number | null = null;

  const inflight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;

  for (const { file, events } of plannedFiles(o)) {
    if (failure) break;
    const raw = Buffer.from(renderLogFile(events, file, o.recordsPerFile), 'utf8');
    const write = async (): Promise<void> => {
      // A large output chunk: fewer trips back to the main thread per file (it is the busy one).
      const body = await gzip(raw, { level: o.gzipLevel, chunkSize: 256 * 1024 });
      try {
        await store.put(o.bucket, file.key, body);
      } catch (err) {
        if (err instanceof TrailproofError) throw err;
        throw new TrailproofError('storage', `Cannot write s3://${o.bucket}/${file.key}: ${messageOf(err)}`, { cause: err });
      }
      files++;
      records += o.recordsPerFile;
      uncompressedBytes += raw.length;
      compressedBytes += body.length;
      if (firstDelivery === null || file.deliveredAt < firstDelivery) firstDelivery = file.deliveredAt;
      if (lastDelivery === null || file.deliveredAt > lastDelivery) lastDelivery = file.deliveredAt;
      hooks.onFile?.({
        key: file.key,
        account: file.account,
        region: file.region,
        deliveredAt: file.deliveredAt,
        records: o.recordsPerFile,
        bytes: raw.length,
        compressedBytes: body.length,
      });
    };
    const task: Promise<void> = write().then(
      () => void inflight.delete(task),
      (error: unknown) => {
        failure ??= { error };
        inflight.delete(task);
      },
    );
    inflight.add(task);
    if (inflight.size >= o.concurrency) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  if (failure) throw failure.error;
  return { bucket: o.bucket, accounts: o.accounts, files, records, uncompressedBytes, compressedBytes, firstDelivery, lastDelivery };
}

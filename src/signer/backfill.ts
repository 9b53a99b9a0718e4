import { digestKey } from '../format/names.js';
import { MICROS_PER_HOUR } from '../format/time.js';
import { Slots } from '../util/limit.js';
import type { PreviousDigest } from './digest-model.js';
import { FactsBatcher, storeFactsReader } from './log-hash.js';
import { ChainTaken, collectLogFiles, writeDigest, type PendingLog, type SignTally } from './write-digest.js';
import { cloudTrailLogs } from './log-source.js';
import { chainStateFor, type SignOptions, type SignResult } from './sign.js';

/**
 * Backfill digests (behaviour §6): past log files that no digest references, in hourly windows
 * aligned with the standard chain, as a chain of their own (`..._backfill.json.gz`), signed with the
 * key active now and stamped with `backfill-generation-timestamp`.
 */
export interface BackfillOptions extends SignOptions {
  /** Logs delivered in [from, until) are considered. */
  readonly from: number;
}

export async function backfillRegion(o: BackfillOptions): Promise<SignResult> {
  const { store, bucket, scope } = o;
  const state = await chainStateFor(o, () => o.from - 2 * MICROS_PER_HOUR);
  // Logs from the chain's head on are the standard signer's.
  const until = state.head ? Math.min(o.until, state.head.end) : o.until;
  const phase = state.head ? ((state.head.end % MICROS_PER_HOUR) + MICROS_PER_HOUR) % MICROS_PER_HOUR : 0;
  const generated = o.now();
  const result: SignTally = { digests: 0, logFiles: 0, skipped: 0, from: null, to: null };
  const batcher = new FactsBatcher(bucket, storeFactsReader(store), new Slots(o.concurrency));
  let previous: PreviousDigest | null = null;
  let current: { start: number; logs: PendingLog[] } | null = null;

  let takenAt: string | undefined;
  const signWindow = async (start: number, logs: PendingLog[]): Promise<void> => {
    if (takenAt !== undefined) return;
    try {
      await signOne(start, logs);
    } catch (err) {
      if (!(err instanceof ChainTaken)) throw err;
      takenAt = err.key; // another signer's backfill chain: this run writes no more of it
    }
  };
  const signOne = async (start: number, logs: PendingLog[]): Promise<void> => {
    const end = start + MICROS_PER_HOUR;
    const objectKey = digestKey(scope, end, true);
    if (state.backfillKeys.has(objectKey)) {
      o.warn(`warning: s3://${bucket}/${objectKey} already exists; ${logs.length} log file(s) of that hour stay unreferenced`);
      return;
    }
    const logFiles = await collectLogFiles(bucket, logs, result, o.warn);
    if (logFiles.length === 0) return;
    previous = await writeDigest(
      { store, keys: o.keys, bucket, scope, start, previous, logFiles, keyAt: generated, backfillGeneratedAt: generated, onKeyCreated: o.onKeyCreated },
      result,
    );
  };

  for await (const { key, at } of (o.logs ?? cloudTrailLogs(store, bucket, scope))(Number.NEGATIVE_INFINITY)) {
    if (at < o.from || state.referenced.has(key)) continue;
    if (at >= until) break;
    const start = phase + Math.floor((at - phase) / MICROS_PER_HOUR) * MICROS_PER_HOUR;
    if (current && current.start !== start) {
      await batcher.flush();
      await signWindow(current.start, current.logs);
      current = null;
    }
    current ??= { start, logs: [] };
    const { facts } = await batcher.add(key);
    current.logs.push({ key, facts });
  }
  await batcher.flush();
  if (current) await signWindow(current.start, current.logs);
  return { region: scope.sourceRegion, account: scope.account, ...result, takenAt };
}

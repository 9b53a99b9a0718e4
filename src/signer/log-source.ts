import { TrailproofError } from '../errors.js';
import { logListPrefix, type DigestScope } from '../format/names.js';
import { formatYmdPath, MICROS_PER_HOUR } from '../format/time.js';
import type { ObjectStore } from '../store/types.js';
import { deliveryTime } from './delivery.js';

/**
 * Where a chain's log files come from, in delivery order, each with its delivery time:
 *
 * - CloudTrail's layout (the default): `.../CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_<minute>Z_<id>.json.gz`,
 *   delivered at the minute in the name, listed in that order;
 * - any layout (`sign --logs-prefix P`): every object under P, delivered at its last-modified time
 *   (application logs, VPC flow logs, nginx logs...). Keys carry no time there, so the listing is
 *   read whole and the objects from `from` on are sorted by time: memory grows with the objects of
 *   the signed range (an hourly run: about one hour's), not with the archive.
 */
export interface DeliveredLog {
  readonly key: string;
  /** Delivery time, UTC micros. */
  readonly at: number;
}

/** Logs delivered at or after `from` (earlier ones may come too), in delivery order. */
export type LogSource = (from: number) => AsyncIterable<DeliveredLog>;

export function cloudTrailLogs(store: ObjectStore, bucket: string, scope: DigestScope): LogSource {
  const prefix = logListPrefix(scope, scope.sourceRegion);
  return async function* (from) {
    const startAfter = Number.isFinite(from) ? `${prefix}${formatYmdPath(from - 24 * MICROS_PER_HOUR)}/` : undefined;
    for await (const key of store.list(bucket, { prefix, startAfter })) {
      const at = deliveryTime(key, scope);
      if (at !== undefined) yield { key, at };
    }
  };
}

/** `--logs-prefix`: every object under `prefix`, by last-modified time; never the chain's own digests. */
export function prefixLogs(store: ObjectStore, bucket: string, prefix: string, digestFolder: string): LogSource {
  if (prefix === '' || digestFolder.startsWith(prefix) || prefix.startsWith(digestFolder)) {
    throw new TrailproofError(
      'argument',
      `--logs-prefix ${JSON.stringify(prefix)} would take in the digests under ${digestFolder}/: give a prefix that holds only logs`,
    );
  }
  const listEntries = store.listEntries?.bind(store);
  if (!listEntries) throw new TrailproofError('argument', '--logs-prefix needs a store that gives last-modified times');
  return async function* (from) {
    const found: DeliveredLog[] = [];
    for await (const { key, lastModified } of listEntries(bucket, { prefix })) {
      if (!Number.isFinite(lastModified)) throw new TrailproofError('storage', `s3://${bucket}/${key} was listed without a last-modified time`);
      if (lastModified >= from) found.push({ key, at: lastModified });
    }
    found.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  };
}

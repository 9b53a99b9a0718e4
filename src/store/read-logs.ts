import { readLogBytes, readLogStream } from '../crypto/log-read.js';
import type { LogObjectRead, ObjectRef, ObjectStore, StoredObject } from './types.js';

/** Objects up to this size are read whole and inflated in one native call; larger ones stream. */
export const WHOLE_OBJECT_LIMIT = 4 << 20;

/**
 * Log objects read through `store.get`, all at once (the caller bounds how many it asks for): the
 * default readLogs of any store (the S3 store has its own: s3-body.ts). An error stops the batch there.
 */
export async function readLogsThrough(
  store: ObjectStore,
  objects: readonly ObjectRef[],
  eventTimes: boolean,
  /** How one object is read (a store's own faster way); by default through `get`. */
  readOne: (ref: ObjectRef) => Promise<LogObjectRead> = async (ref) => readStoredLog(await store.get(ref.bucket, ref.key), eventTimes),
): Promise<LogObjectRead[]> {
  const settled = await Promise.allSettled(objects.map((o) => readOne(o)));
  const out: LogObjectRead[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') {
      out.push({ kind: 'failed', error: s.reason });
      break;
    }
    out.push(s.value);
  }
  return out;
}

/** One log object as `get` gave it (undefined: there is none). */
export async function readStoredLog(object: StoredObject | undefined, eventTimes: boolean): Promise<LogObjectRead> {
  if (!object) return { kind: 'missing' };
  try {
    if (object.size !== undefined && object.size <= WHOLE_OBJECT_LIMIT) {
      const parts: Buffer[] = [];
      for await (const chunk of object.body) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      return { kind: 'read', read: await readLogBytes(Buffer.concat(parts), eventTimes) };
    }
    return { kind: 'read', read: await readLogStream(object.body, eventTimes) };
  } finally {
    await object.close();
  }
}

/** The store's own readLogs where it has one, else through `get`. */
export function readLogs(store: ObjectStore, objects: readonly ObjectRef[], eventTimes: boolean): Promise<LogObjectRead[]> {
  return store.readLogs ? store.readLogs(objects, { eventTimes }) : readLogsThrough(store, objects, eventTimes);
}

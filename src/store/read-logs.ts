import { readLogBytes, readLogStream } from '../crypto/log-read.js';
import type { LogObjectRead, ObjectRef, ObjectStore } from './types.js';

/** Objects up to this size are read whole and inflated in one native call; larger ones stream. */
const WHOLE_OBJECT_LIMIT = 4 << 20;

/**
 * Log objects read through `store.get`, all at once (the caller bounds how many it asks for): the
 * default readLogs of any store (S3: each GET on the fast path). An error stops the batch there.
 */
export async function readLogsThrough(store: ObjectStore, objects: readonly ObjectRef[], eventTimes: boolean): Promise<LogObjectRead[]> {
  const settled = await Promise.allSettled(objects.map((o) => readOne(store, o, eventTimes)));
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

async function readOne(store: ObjectStore, { bucket, key }: ObjectRef, eventTimes: boolean): Promise<LogObjectRead> {
  const object = await store.get(bucket, key);
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

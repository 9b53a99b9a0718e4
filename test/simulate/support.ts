import { gunzipSync } from 'node:zlib';
import type { ObjectStore } from '../../src/store/types.js';

/** An object store that keeps nothing: counts puts and bytes (memory and speed checks). */
export function nullStore(): ObjectStore & { puts: number; bytes: number } {
  const s = {
    kind: 'local' as const,
    puts: 0,
    bytes: 0,
    async put(_bucket: string, _key: string, body: Uint8Array): Promise<void> {
      s.puts++;
      s.bytes += body.length;
    },
    async get(): Promise<undefined> {
      return undefined;
    },
    async *list(): AsyncGenerator<string> {},
    async delete(): Promise<void> {},
  };
  return s;
}

/** An object store in memory: key -> gzip bytes. */
export function memoryStore(): ObjectStore & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  return {
    kind: 'local',
    objects,
    async put(bucket: string, key: string, body: Uint8Array): Promise<void> {
      objects.set(`${bucket}/${key}`, Buffer.from(body));
    },
    async get(): Promise<undefined> {
      return undefined;
    },
    async *list(): AsyncGenerator<string> {},
    async delete(): Promise<void> {},
  };
}

export interface LogFile {
  Records: Array<Record<string, unknown>>;
}

export function readLog(gz: Uint8Array): LogFile {
  return JSON.parse(gunzipSync(gz).toString('utf8')) as LogFile;
}

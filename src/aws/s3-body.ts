import { readLogBytes, readLogStream } from '../crypto/log-read.js';
import { WHOLE_OBJECT_LIMIT } from '../store/read-logs.js';
import type { LogObjectRead, StoredObject } from '../store/types.js';
import { awsError } from './errors.js';
import type { FastAnswer } from './fast-get.js';
import { tagUrl } from './request-url.js';

/**
 * Object bodies from S3: a body that fails midway is a StoreError in the AWS CLI's words, whichever
 * path (fast or SDK) fetched it.
 */

export async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** The body as it arrives; a connection lost or stalled midway is a StoreError, like any other S3 failure. */
export async function* guardedBody(body: AsyncIterable<Uint8Array>, url: string | undefined): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (err) {
    tagUrl(err, url);
    throw awsError(err, 'GetObject');
  }
}

/**
 * A log from a fast-path answer (issue 15: per-object CPU): a body of known, small size is copied
 * into one buffer of that size as it arrives (no chunk list, no concatenation, no generator around
 * the stream), then inflated and hashed in one call; any other body streams. Failures midway are
 * what guardedBody makes of them.
 */
export async function readFastLog({ res, size, url }: FastAnswer, eventTimes: boolean): Promise<LogObjectRead> {
  try {
    if (size === undefined || size > WHOLE_OBJECT_LIMIT) return { kind: 'read', read: await readLogStream(guardedBody(res, url), eventTimes) };
    const whole = Buffer.allocUnsafe(size);
    let at = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        // Content-Length bounds what node:http delivers; checked anyway, the buffer is ours.
        if (at + chunk.length > size) throw new Error(`GetObject returned more than its Content-Length (${size} bytes)`);
        chunk.copy(whole, at);
        at += chunk.length;
      }
    } catch (err) {
      tagUrl(err, url);
      throw awsError(err, 'GetObject');
    }
    return { kind: 'read', read: await readLogBytes(whole.subarray(0, at), eventTimes) };
  } finally {
    res.destroy();
  }
}

/** An object's whole body (closed after), refused past `limit` bytes: never read further than that. */
export async function readBounded(object: StoredObject, tooLarge: () => Error, limit: number): Promise<Buffer> {
  try {
    if (object.size !== undefined && object.size > limit) throw tooLarge();
    const parts: Buffer[] = [];
    let length = 0;
    for await (const chunk of object.body) {
      length += chunk.byteLength;
      if (length > limit) throw tooLarge();
      parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return Buffer.concat(parts, length);
  } finally {
    await object.close();
  }
}

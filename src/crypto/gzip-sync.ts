import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { parseGzipHeader, type MemberStatus } from './gzip.js';

/**
 * The whole-buffer twin of gunzipMember (same semantics, behaviour §4), for a compressed file that
 * is already in memory: one native inflate call, no stream machinery. Returns undefined when the
 * streaming path must decide instead (a deflate stream that stops early, or an output larger than
 * `maxOutput`), so that memory stays bounded and the rare cases keep one implementation.
 */
export interface SyncMemberResult {
  readonly status: MemberStatus;
  readonly trailing: boolean;
  readonly size: number;
  /** The uncompressed bytes (for hashing and scanning); empty when corrupt. */
  readonly data: Buffer;
}

export function gunzipMemberSync(input: Buffer, maxOutput: number): SyncMemberResult | undefined {
  const header = parseGzipHeader(input);
  if (!header.ok) {
    if ('error' in header) return { status: 'corrupt', trailing: false, size: 0, data: Buffer.alloc(0) };
    return { status: 'truncated', trailing: false, size: 0, data: Buffer.alloc(0) };
  }
  const body = input.subarray(header.length);
  let data: Buffer;
  let consumed: number;
  try {
    const r = zlib.inflateRawSync(body, { info: true, maxOutputLength: maxOutput }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    data = r.buffer;
    consumed = r.engine.bytesWritten;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Truncated input and oversized output go to the streaming path; anything else is corrupt data.
    if (code === 'Z_BUF_ERROR' || code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return undefined;
    return { status: 'corrupt', trailing: false, size: 0, data: Buffer.alloc(0) };
  }
  const trailer = body.subarray(consumed, consumed + 8);
  if (trailer.length < 8) return { status: 'truncated', trailing: false, size: data.length, data };
  if (trailer.readUInt32LE(0) !== zlib.crc32(data) >>> 0) return { status: 'corrupt', trailing: false, size: 0, data: Buffer.alloc(0) };
  if (trailer.readUInt32LE(4) !== data.length % 2 ** 32) return { status: 'corrupt', trailing: false, size: 0, data: Buffer.alloc(0) };
  return { status: 'complete', trailing: body.length > consumed + 8, size: data.length, data };
}

type Info = { buffer: Buffer; engine: { bytesWritten: number } };

const EMPTY_MEMBER_END = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0x1f, 0x8b]);

/**
 * The fast path: zlib's own gzip decoder (it checks CRC-32 and ISIZE while inflating, no second pass
 * over the data), then the member boundary from what it consumed. zlib's gzip mode goes on into a
 * further member, or stops at zero padding; both leave traces checked here: bytes not consumed, or
 * an output whose length is not the last member's ISIZE, or (the one case those miss) an empty
 * first member, which a bounded probe of the raw stream finds. Every error, truncation or oversize
 * goes to gunzipMemberSync (and from there to streaming), which classifies it exactly.
 */
export function gunzipMemberFast(input: Buffer, maxOutput: number): SyncMemberResult | undefined {
  const header = parseGzipHeader(input);
  if (!header.ok) return gunzipMemberSync(input, maxOutput);
  let r: Info;
  try {
    // Output in few large pieces: fewer trips through zlib and a cheaper final concatenation.
    const chunkSize = Math.min(8 << 20, Math.max(64 << 10, 2 ** Math.ceil(Math.log2(input.length * 12 + 1))));
    r = zlib.gunzipSync(input, { info: true, maxOutputLength: maxOutput, chunkSize }) as unknown as Info;
  } catch {
    return gunzipMemberSync(input, maxOutput);
  }
  const data = r.buffer;
  if (r.engine.bytesWritten < input.length) return { status: 'complete', trailing: true, size: data.length, data };
  if (input.readUInt32LE(input.length - 4) !== data.length % 2 ** 32) return { status: 'complete', trailing: true, size: data.length, data };
  // An empty first member ends with a zero CRC and size, right before the next member's magic.
  if (data.length === 0 || (input.indexOf(EMPTY_MEMBER_END, header.length) >= 0 && firstMemberIsEmptyAndFollowed(input.subarray(header.length)))) {
    return gunzipMemberSync(input, maxOutput);
  }
  return { status: 'complete', trailing: false, size: data.length, data };
}

/** Does the first deflate stream produce nothing and end before the last 8 bytes' trailer? */
function firstMemberIsEmptyAndFollowed(body: Buffer): boolean {
  try {
    const probe = zlib.inflateRawSync(body, { info: true, maxOutputLength: 1 }) as unknown as Info;
    return probe.buffer.length === 0 && probe.engine.bytesWritten + 8 < body.length;
  } catch {
    return false; // it produced data (too large for the probe): not empty
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

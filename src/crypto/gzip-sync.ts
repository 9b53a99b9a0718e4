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
  // zlib checks the CRC-32 as soon as its 4 bytes are in, and ISIZE once all 8 are (trailerVerdict).
  const verdict = trailerVerdict(trailer, zlib.crc32(data) >>> 0, data.length);
  if (verdict === 'corrupt') return { status: 'corrupt', trailing: false, size: 0, data: Buffer.alloc(0) };
  if (verdict === 'truncated') return { status: 'truncated', trailing: false, size: data.length, data };
  return { status: 'complete', trailing: body.length > consumed + 8, size: data.length, data };
}

/**
 * What the reference's zlib concludes from the bytes after a deflate body (RFC 1952 trailer):
 * a CRC-32 that is complete (4 bytes) and wrong is corrupt data even when ISIZE is cut short;
 * fewer than 4 bytes, or a right CRC with ISIZE cut short, is input that simply stops.
 */
export function trailerVerdict(trailer: Uint8Array, crc: number, size: number): 'complete' | 'truncated' | 'corrupt' {
  const view = Buffer.from(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  if (view.length < 4) return 'truncated';
  if (view.readUInt32LE(0) !== crc >>> 0) return 'corrupt';
  if (view.length < 8) return 'truncated';
  if (view.readUInt32LE(4) !== size % 2 ** 32) return 'corrupt';
  return 'complete';
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

interface NativeHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  reset(): void;
}
interface EngineInternals {
  _handle?: NativeHandle | null;
  _writeState?: Uint32Array;
}

/**
 * gunzipMemberFast without its allocations, for a thread that inflates file after file (the log
 * workers): one zlib engine and one output buffer, reused; the output goes to `onChunk` piece by
 * piece (views into the shared buffer, valid during the call only), so nothing per file is left for
 * the garbage collector and no output size limit is needed.
 *
 * It drives the engine's native handle directly (`_handle.writeSync`, the loop zlib.gunzipSync runs
 * internally). That is not public API: create() checks its shape and its answer on a known member,
 * and gives undefined where it differs (the caller then uses gunzipMemberFast).
 */
export class MemberInflater {
  private engine: zlib.Gunzip;
  private handle: NativeHandle;
  private state: Uint32Array;
  /** Set when a fresh engine could not be had after an error: every file then goes to gunzipMemberFast. */
  private broken = false;

  private constructor(private readonly out: Buffer) {
    const parts = MemberInflater.open();
    if (!parts) throw new Error('zlib engine internals not available');
    [this.engine, this.handle, this.state] = parts;
  }

  private static open(): [zlib.Gunzip, NativeHandle, Uint32Array] | undefined {
    const engine = zlib.createGunzip();
    // Errors are read synchronously (engine.destroyed); the event itself comes later and is dropped.
    engine.on('error', () => {});
    const internals = engine as unknown as EngineInternals;
    const handle = internals._handle;
    const state = internals._writeState;
    if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function' || !(state instanceof Uint32Array) || state.length < 2) {
      engine.destroy();
      return undefined;
    }
    return [engine, handle, state];
  }

  /** An inflater, or undefined when this runtime's zlib internals are not the expected ones. */
  static create(outputBuffer = 256 * 1024): MemberInflater | undefined {
    let inflater: MemberInflater;
    try {
      inflater = new MemberInflater(Buffer.allocUnsafe(Math.max(1024, outputBuffer)));
    } catch {
      return undefined;
    }
    const probeText = Buffer.from('trailproof inflater self-test\n'.repeat(40));
    const pieces: Buffer[] = [];
    let r: SyncMemberStatus | undefined;
    try {
      r = inflater.member(zlib.gzipSync(probeText), (c) => pieces.push(Buffer.from(c)));
    } catch {
      r = undefined;
    }
    const ok = r !== undefined && r.status === 'complete' && !r.trailing && r.size === probeText.length && Buffer.concat(pieces).equals(probeText);
    return ok ? inflater : undefined;
  }

  /**
   * Inflates one whole gzip file. The verdict is gunzipMemberFast's; undefined means "not decided
   * here" (an error, a truncation, an empty first member): the caller starts over with
   * gunzipMemberFast, discarding what onChunk received.
   */
  member(input: Buffer, onChunk: (chunk: Buffer) => void, maxOutput = Infinity): SyncMemberStatus | undefined {
    const header = parseGzipHeader(input);
    if (!header.ok || this.broken) return undefined;
    const { out, state } = this;
    let inOff = 0;
    let inLen = input.length;
    let size = 0;
    for (;;) {
      this.handle.writeSync(zlib.constants.Z_FINISH, input, inOff, inLen, out, 0, out.length);
      if (this.engine.destroyed) {
        this.renew();
        return undefined;
      }
      const availOut = state[0]!;
      const availIn = state[1]!;
      const have = out.length - availOut;
      if (have > 0) {
        size += have;
        // Past the bound (a gzip bomb): stop inflating now; the caller's bounded path decides.
        if (size > maxOutput) {
          this.handle.reset();
          return undefined;
        }
        onChunk(out.subarray(0, have));
      }
      inOff += inLen - availIn;
      inLen = availIn;
      if (availOut !== 0) break;
    }
    this.handle.reset();
    // The same checks as gunzipMemberFast, on what was consumed and produced.
    if (inOff < input.length) return { status: 'complete', trailing: true, size };
    if (input.readUInt32LE(input.length - 4) !== size % 2 ** 32) return { status: 'complete', trailing: true, size };
    if (size === 0 || (input.indexOf(EMPTY_MEMBER_END, header.length) >= 0 && firstMemberIsEmptyAndFollowed(input.subarray(header.length)))) {
      return undefined;
    }
    return { status: 'complete', trailing: false, size };
  }

  /** A fresh engine after an error (zlib destroyed the old one). */
  private renew(): void {
    const parts = MemberInflater.open();
    if (parts) [this.engine, this.handle, this.state] = parts;
    else this.broken = true;
  }
}

export type SyncMemberStatus = Omit<SyncMemberResult, 'data'>;

let shared: MemberInflater | null | undefined;
let engineReuse = true;

/**
 * The one switch for the non-public path (MemberInflater drives zlib's native handle). On by
 * default, where its self-test passes; off, every file goes through zlib's public API
 * (gunzipMemberFast), with the same verdicts (test/crypto/gzip-sync.test.ts runs the same inputs
 * both ways). Per thread: the log workers get it from their pool (cli/tuning.ts).
 */
export function setZlibEngineReuse(on: boolean): void {
  engineReuse = on;
}

/** This thread's inflater (module state is per thread), made on first use; undefined where the runtime's zlib differs. */
function threadInflater(): MemberInflater | undefined {
  if (!engineReuse) return undefined;
  if (shared === undefined) shared = MemberInflater.create() ?? null;
  return shared ?? undefined;
}

/**
 * The whole-buffer chain for one gzip file in memory: this thread's reusable inflater, then
 * gunzipMemberFast. `fresh` gives a new consumer of the output for each attempt (an attempt left
 * undecided has fed its consumer part of the data). Undefined: only the streaming path can decide.
 */
export function inflateWhole(
  input: Buffer,
  maxOutput: number,
  fresh: () => (chunk: Buffer) => void,
  /** Also bound the reused inflater's output (the caller keeps it all); logs are hashed piece by piece and need no bound there. */
  bounded = false,
): SyncMemberStatus | undefined {
  const inflater = threadInflater();
  if (inflater) {
    const s = inflater.member(input, fresh(), bounded ? maxOutput : Infinity);
    if (s) return s;
  }
  const r = gunzipMemberFast(input, maxOutput);
  if (!r) return undefined;
  fresh()(r.data);
  return { status: r.status, trailing: r.trailing, size: r.size };
}

/**
 * inflateWhole into one buffer of at most `maxOutput` bytes (a digest read whole): undefined when
 * it is not decided here or the output is larger (the streaming path then decides, and bounds it).
 */
export function inflateWholeToBuffer(input: Buffer, maxOutput: number): SyncMemberResult | undefined {
  let parts: Buffer[] = [];
  let total = 0;
  const s = inflateWhole(
    input,
    maxOutput,
    () => {
      parts = [];
      total = 0;
      return (chunk) => {
        total += chunk.length;
        parts.push(Buffer.from(chunk));
      };
    },
    true,
  );
  if (!s || total > maxOutput) return undefined;
  return { ...s, data: s.status === 'complete' ? Buffer.concat(parts, total) : Buffer.alloc(0) };
}

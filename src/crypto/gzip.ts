import zlib from 'node:zlib';

/**
 * Exactly one gzip member (RFC 1952), streamed: header parsed here, the deflate body inflated by
 * native zlib (node:zlib: about 2.7x fflate, bench/primitives.ts), CRC-32 and ISIZE checked here.
 *
 * Behaviour §4 (logs) and §3.2 (digests) need to know where the member ends, which node's Gunzip
 * hides (it silently skips zero padding and decodes further members), hence the raw inflater.
 * The semantics follow the reference's zlib: corrupt data is an error; input that simply stops
 * (inside the header, the body or the trailer) is not, it just yields what was inflated so far.
 */
export type MemberStatus =
  /** The member ended and its trailer checked out. */
  | 'complete'
  /** The input stopped before the member's end. */
  | 'truncated'
  /** Not gzip, or corrupt (bad header, deflate error, CRC or length mismatch). */
  | 'corrupt';

export interface MemberResult {
  readonly status: MemberStatus;
  /** Bytes follow the complete member (its last 8 bytes, the trailer, included). */
  readonly trailing: boolean;
  /** Uncompressed bytes produced. */
  readonly size: number;
  readonly message?: string;
}

const MAX_HEADER = 1 << 20;
const FTEXT_MASK_RESERVED = 0xe0;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

type HeaderParse = { ok: true; length: number } | { ok: false; need: true } | { ok: false; error: string };

/** Parses a gzip header at the start of `buf` (as much as there is). */
export function parseGzipHeader(buf: Uint8Array): HeaderParse {
  if (buf.length >= 1 && buf[0] !== 0x1f) return { ok: false, error: 'incorrect header check' };
  if (buf.length >= 2 && buf[1] !== 0x8b) return { ok: false, error: 'incorrect header check' };
  if (buf.length >= 3 && buf[2] !== 8) return { ok: false, error: 'unknown compression method' };
  if (buf.length >= 4 && (buf[3]! & FTEXT_MASK_RESERVED) !== 0) return { ok: false, error: 'unknown header flags set' };
  if (buf.length < 10) return { ok: false, need: true };
  const flags = buf[3]!;
  let pos = 10;
  if (flags & FEXTRA) {
    if (buf.length < pos + 2) return { ok: false, need: true };
    pos += 2 + (buf[pos]! | (buf[pos + 1]! << 8));
    if (buf.length < pos) return { ok: false, need: true };
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      const zero = buf.indexOf(0, pos);
      if (zero < 0) return { ok: false, need: true };
      pos = zero + 1;
    }
  }
  if (flags & FHCRC) {
    if (buf.length < pos + 2) return { ok: false, need: true };
    const want = buf[pos]! | (buf[pos + 1]! << 8);
    const got = zlib.crc32(buf.subarray(0, pos)) & 0xffff;
    if (want !== got) return { ok: false, error: 'header crc mismatch' };
    pos += 2;
  }
  return { ok: true, length: pos };
}

/**
 * Reads one gzip member from `body`, passing every uncompressed chunk to `onData`.
 * Stops reading as soon as the answer is known (a byte after the member, or corruption).
 * `maxOutput` bounds the uncompressed size (exceeding it is reported as corrupt).
 */
export async function gunzipMember(
  body: AsyncIterable<Uint8Array>,
  onData: (chunk: Buffer) => void,
  maxOutput = Number.POSITIVE_INFINITY,
): Promise<MemberResult> {
  let header: Buffer | null = Buffer.alloc(0);
  let inflater: zlib.InflateRaw | null = null;
  let inflaterEnded = false;
  let inflaterError: Error | null = null;
  let writtenToInflater = 0;
  let crc = 0;
  let size = 0;
  let trailer: Buffer | null = null; // collected once the deflate body ended
  let overflow = false;

  const finish = (status: MemberStatus, trailing = false, message?: string): MemberResult => {
    if (inflater) inflater.destroy();
    return message === undefined ? { status, trailing, size } : { status, trailing, size, message };
  };

  const startInflater = (): zlib.InflateRaw => {
    const inf = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
    inf.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxOutput) {
        overflow = true;
        return;
      }
      crc = zlib.crc32(chunk, crc);
      onData(chunk);
    });
    inf.on('end', () => {
      inflaterEnded = true;
    });
    inf.on('error', (err) => {
      inflaterError = err;
    });
    return inf;
  };

  /** Feeds `chunk` to the inflater; returns the bytes left over after the deflate body, if it ended. */
  const feed = async (inf: zlib.InflateRaw, chunk: Buffer): Promise<Buffer | null> => {
    writtenToInflater += chunk.length;
    await new Promise<void>((resolve) => {
      // After an error zlib never calls the write callback: settle on either.
      const onError = (): void => resolve();
      inf.once('error', onError);
      inf.write(chunk, () => {
        inf.off('error', onError);
        resolve();
      });
    });
    // The inflater pushes its end synchronously before the write callback, and emits 'end' on a
    // later tick: let that tick pass before looking.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (inflaterError) return null;
    if (!inflaterEnded) return null;
    const left = writtenToInflater - inf.bytesWritten;
    return chunk.subarray(chunk.length - left);
  };

  const onTrailerBytes = (bytes: Buffer): MemberResult | null => {
    trailer = trailer ? Buffer.concat([trailer, bytes]) : bytes;
    if (trailer.length < 4) return null;
    // zlib checks the CRC-32 as soon as its 4 bytes are in, ISIZE once all 8 are.
    if (trailer.readUInt32LE(0) !== crc >>> 0) return finish('corrupt', false, 'incorrect data check');
    if (trailer.length < 8) return null;
    if (trailer.readUInt32LE(4) !== size % 2 ** 32) return finish('corrupt', false, 'incorrect length check');
    return trailer.length > 8 ? finish('complete', true) : null;
  };

  for await (const piece of body) {
    let chunk = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    if (chunk.length === 0) continue;
    if (trailer !== null) {
      const done = onTrailerBytes(chunk);
      if (done) return done;
      continue;
    }
    if (header !== null) {
      header = Buffer.concat([header, chunk]);
      const parsed = parseGzipHeader(header);
      if (!parsed.ok) {
        if ('error' in parsed) return finish('corrupt', false, parsed.error);
        if (header.length > MAX_HEADER) return finish('corrupt', false, 'gzip header too long');
        continue;
      }
      chunk = header.subarray(parsed.length);
      header = null;
      inflater = startInflater();
      if (chunk.length === 0) continue;
    }
    const left = await feed(inflater!, chunk);
    if (inflaterError) return finish('corrupt', false, (inflaterError as Error).message);
    if (overflow) return finish('corrupt', false, 'uncompressed data too large');
    if (left !== null) {
      trailer = Buffer.alloc(0);
      const done = onTrailerBytes(left);
      if (done) return done;
    }
  }
  if (trailer !== null) {
    return (trailer as Buffer).length >= 8 ? finish('complete') : finish('truncated');
  }
  return finish('truncated');
}

/** One member into memory (digests: small, bounded). Bytes after the member are ignored (§3.2). */
export async function gunzipMemberToBuffer(body: AsyncIterable<Uint8Array>, maxOutput: number): Promise<{ result: MemberResult; data: Buffer }> {
  const parts: Buffer[] = [];
  const result = await gunzipMember(body, (c) => parts.push(c), maxOutput);
  return { result, data: Buffer.concat(parts) };
}

export async function* fromBytes(bytes: Uint8Array, chunk = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
}

/**
 * The newest and oldest `eventTime` of a CloudTrail log's records, found in the uncompressed bytes
 * as they stream by, without parsing the JSON (guide: "Digest File Field Descriptions",
 * newestEventTime / oldestEventTime). Pure: bytes in, two times out.
 */
const NEEDLE = Buffer.from('"eventTime"');
const COMPACT = Buffer.from('Time":"');
const EVENT = Buffer.from('"event');
const WINDOW = 64;
const TIME_LENGTH = 20; // YYYY-MM-DDTHH:MM:SSZ
/** Where the digits of a time are; the other positions hold `--T::Z`. */
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** `"event` right before `at`. */
function precededByEvent(buf: Buffer, at: number): boolean {
  for (let k = 0; k < EVENT.length; k++) if (buf[at - EVENT.length + k] !== EVENT[k]) return false;
  return true;
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * The time `YYYY-MM-DDTHH:MM:SSZ"` at `buf[s..]` as the number its 14 digits spell (the same
 * order as the text: fixed width), or -1 when it does not have that shape.
 */
function timeAt(buf: Buffer, s: number): number {
  if (s + TIME_LENGTH >= buf.length || buf[s + TIME_LENGTH] !== 0x22) return -1;
  if (buf[s + 4] !== 0x2d || buf[s + 7] !== 0x2d || buf[s + 10] !== 0x54 || buf[s + 13] !== 0x3a || buf[s + 16] !== 0x3a || buf[s + 19] !== 0x5a) return -1;
  let v = 0;
  for (const k of DIGITS) {
    const d = buf[s + k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** The text of a number from timeAt. */
function timeText(v: number): string {
  const d = String(v).padStart(14, '0');
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(8, 10)}:${d.slice(10, 12)}:${d.slice(12, 14)}Z`;
}

/**
 * Finds `"eventTime": "YYYY-MM-DDTHH:MM:SSZ"` in a stream of chunks without parsing the JSON (the
 * hot path stays a native byte search and a 20-byte check, no strings). A match cut by a chunk
 * boundary is found again in the small overlap; seeing one twice does not change a minimum or maximum.
 */
export class EventTimeScanner {
  private max = -1;
  private min = Number.POSITIVE_INFINITY;
  /** The last bytes of the stream so far, then the start of the next chunk: the overlap scanned. */
  private readonly joint = Buffer.alloc(2 * WINDOW);
  private tailLength = 0;

  get newest(): string | null {
    return this.max >= 0 ? timeText(this.max) : null;
  }

  get oldest(): string | null {
    return this.max >= 0 ? timeText(this.min) : null;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    if (this.tailLength > 0) {
      const head = Math.min(n, WINDOW);
      chunk.copy(this.joint, this.tailLength, 0, head);
      this.scan(this.joint.subarray(0, this.tailLength + head));
    }
    this.scan(chunk);
    // Keep the stream's last WINDOW bytes (a short chunk keeps some of the previous ones).
    if (n >= WINDOW) {
      chunk.copy(this.joint, 0, n - WINDOW, n);
      this.tailLength = WINDOW;
    } else {
      if (this.tailLength === 0) chunk.copy(this.joint, 0, 0, n);
      const total = this.tailLength + n;
      const keep = Math.min(total, WINDOW);
      this.joint.copyWithin(0, total - keep, total);
      this.tailLength = keep;
    }
  }

  private scan(buf: Buffer): void {
    // Compact JSON (as CloudTrail writes it): `Time":"` is found with a fast byte search, then
    // `"event` is checked before it. Other spacing: the general search.
    let found = false;
    let at = buf.indexOf(COMPACT);
    while (at >= 0) {
      if (at >= 6 && precededByEvent(buf, at)) {
        const v = timeAt(buf, at + COMPACT.length);
        if (v >= 0) {
          this.record(v);
          found = true;
        }
      }
      at = buf.indexOf(COMPACT, at + COMPACT.length);
    }
    if (found) return;
    at = buf.indexOf(NEEDLE);
    while (at >= 0) {
      const v = this.valueAt(buf, at + NEEDLE.length);
      if (v >= 0) this.record(v);
      at = buf.indexOf(NEEDLE, at + NEEDLE.length);
    }
  }

  /** The time after the needle (as timeAt gives it), or -1 when this is not a well-formed time. */
  private valueAt(buf: Buffer, i: number): number {
    while (isSpace(buf[i])) i++;
    if (buf[i] !== 0x3a) return -1; // ':'
    i++;
    while (isSpace(buf[i])) i++;
    if (buf[i] !== 0x22) return -1; // '"'
    return timeAt(buf, i + 1);
  }

  private record(v: number): void {
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
  }
}

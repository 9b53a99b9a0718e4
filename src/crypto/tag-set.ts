import { hash, randomBytes } from 'node:crypto';

/**
 * A set of strings kept as 128-bit tags: SHA-256 of a per-set random salt and the string, cut to
 * 16 bytes, in an open-addressing table of 32-bit words. An audit holds the keys of every log its
 * chain's digests reference until the log folder is checked; as strings that is ~200 bytes a key,
 * as tags 16 bytes (32 with the table's free slots).
 *
 * Membership is exact up to a tag collision: the salt is secret and new for every set, so nobody can
 * make a key whose tag collides with another's, and two of a billion keys collide by chance with
 * odds near 1 in 10^21.
 *
 * A small set keeps the strings themselves (exact, and a lookup costs no hash): most chains'
 * sets stay under the limit, and a SHA-256 per key was a tenth of the audit's main thread. Past
 * `exactLimit` strings (a long or busy chain) the set moves to tags, so memory stays bounded.
 */
const WORDS = 4;
/** Strings kept as such up to here: ~1,024 keys of ~150 bytes, about 200 KB a set. */
export const EXACT_LIMIT = 1024;

export class TagSet {
  private readonly salt = randomBytes(16).toString('hex');
  private exact: Set<string> | null = new Set();
  private table: Uint32Array;
  private count = 0;

  constructor(
    slots = 1024,
    private readonly exactLimit = EXACT_LIMIT,
  ) {
    let n = 16;
    while (n < slots) n *= 2;
    this.table = new Uint32Array(n * WORDS);
  }

  get size(): number {
    return this.exact ? this.exact.size : this.count;
  }

  /** Whether the set still keeps its strings (tests). */
  get keepsStrings(): boolean {
    return this.exact !== null;
  }

  add(text: string): void {
    if (this.exact) {
      this.exact.add(text);
      if (this.exact.size > this.exactLimit) this.toTags();
      return;
    }
    this.addTag(text);
  }

  has(text: string): boolean {
    if (this.exact) return this.exact.has(text);
    const t = this.tag(text);
    const mask = this.table.length / WORDS - 1;
    for (let slot = t[0]! & mask; ; slot = (slot + 1) & mask) {
      const at = slot * WORDS;
      if (this.empty(at)) return false;
      if (this.same(at, t)) return true;
    }
  }

  private addTag(text: string): void {
    if (this.count * 2 >= this.table.length / WORDS) this.grow();
    if (this.insert(this.tag(text))) this.count++;
  }

  private toTags(): void {
    const strings = this.exact!;
    this.exact = null;
    for (const text of strings) this.addTag(text);
  }

  private tag(text: string): Uint32Array {
    // UTF-16 code units, not UTF-8: every JS string its own bytes (UTF-8 makes lone surrogates U+FFFD alike).
    const digest = hash('sha256', Buffer.from(this.salt + text, 'utf16le'), 'buffer');
    const t = Uint32Array.of(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12));
    // All zero marks an empty slot: the one tag (in 2^128) that would be it is moved off it.
    if (t[0] === 0 && t[1] === 0 && t[2] === 0 && t[3] === 0) t[3] = 1;
    return t;
  }

  /** False when the tag was there already. */
  private insert(t: Uint32Array): boolean {
    const mask = this.table.length / WORDS - 1;
    for (let slot = t[0]! & mask; ; slot = (slot + 1) & mask) {
      const at = slot * WORDS;
      if (this.empty(at)) {
        this.table.set(t, at);
        return true;
      }
      if (this.same(at, t)) return false;
    }
  }

  private empty(at: number): boolean {
    const w = this.table;
    return w[at] === 0 && w[at + 1] === 0 && w[at + 2] === 0 && w[at + 3] === 0;
  }

  private same(at: number, t: Uint32Array): boolean {
    const w = this.table;
    return w[at] === t[0] && w[at + 1] === t[1] && w[at + 2] === t[2] && w[at + 3] === t[3];
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    for (let at = 0; at < old.length; at += WORDS)
      if (!(old[at] === 0 && old[at + 1] === 0 && old[at + 2] === 0 && old[at + 3] === 0)) this.insert(old.subarray(at, at + WORDS));
  }
}

import { TrailproofError } from '../errors.js';
import { isObject, parseJsonBytes, type Json } from '../format/json.js';
import { parseStrictUtc, formatDisplay } from '../format/time.js';

/**
 * The audit's kept state (`--state FILE`), for scheduled runs: per chain, the newest digest that a
 * run verified with no error in its chain. The next run starts each such chain where that digest
 * ends, proves the new digests link back to it (key, SHA-256 of its bytes, signature), and reads it
 * again: changed or gone is `history-rewritten`. The file is input like any other: parsed strictly;
 * a bad one stops the run rather than being taken as empty.
 */
export const STATE_SCHEMA = 1;

export interface ChainMark {
  readonly bucket: string;
  readonly key: string;
  /** Lowercase hex SHA-256 of the digest's uncompressed bytes. */
  readonly sha256: string;
  /** The digest's signature (hex, from its metadata). */
  readonly signature: string;
  /** Its digestStartTime and digestEndTime (UTC clock micros). */
  readonly start: number;
  readonly end: number;
}

export interface AuditState {
  readonly bucket: string;
  readonly chains: ReadonlyMap<string, ChainMark>;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX = /^[0-9a-fA-F]{2,2048}$/;

export function parseState(bytes: Uint8Array, source: string, bucket: string): AuditState {
  const bad = (why: string): TrailproofError => new TrailproofError('input', `State file ${source}: ${why}`);
  const parsed = parseJsonBytes(bytes);
  if (!parsed.ok || !isObject(parsed.value)) throw bad('not a JSON object');
  const doc = parsed.value;
  if (doc.schema !== STATE_SCHEMA) throw bad(`schema ${String(doc.schema)} is not ${STATE_SCHEMA}`);
  if (doc.bucket !== bucket) throw bad(`it is the state of bucket ${String(doc.bucket)}, not ${bucket}`);
  if (!isObject(doc.chains)) throw bad('no chains object');
  const chains = new Map<string, ChainMark>();
  for (const [id, v] of Object.entries(doc.chains)) chains.set(id, mark(v, id, bad));
  return { bucket, chains };
}

function mark(v: Json, id: string, bad: (why: string) => TrailproofError): ChainMark {
  if (!isObject(v)) throw bad(`chain ${id} is not an object`);
  const { bucket, key, sha256, signature, start, end } = v;
  if (typeof bucket !== 'string' || typeof key !== 'string' || key === '') throw bad(`chain ${id}: bucket and key must be strings`);
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) throw bad(`chain ${id}: sha256 must be 64 lowercase hex digits`);
  if (typeof signature !== 'string' || !HEX.test(signature)) throw bad(`chain ${id}: signature must be hex`);
  const s = typeof start === 'string' ? parseStrictUtc(start) : null;
  const e = typeof end === 'string' ? parseStrictUtc(end) : null;
  if (s === null || e === null || s > e) throw bad(`chain ${id}: start and end must be UTC times (YYYY-MM-DDTHH:MM:SSZ), start before end`);
  return { bucket, key, sha256, signature, start: s, end: e };
}

export function serializeState(bucket: string, chains: ReadonlyMap<string, ChainMark>): string {
  const out: Record<string, unknown> = {};
  for (const id of [...chains.keys()].sort()) {
    const m = chains.get(id)!;
    out[id] = { bucket: m.bucket, key: m.key, sha256: m.sha256, signature: m.signature, start: formatDisplay(m.start), end: formatDisplay(m.end) };
  }
  return `${JSON.stringify({ schema: STATE_SCHEMA, bucket, chains: out }, null, 2)}\n`;
}

import { TrailproofError } from '../errors.js';
import { md5Hex } from '../crypto/hash.js';
import { DerError } from '../crypto/der.js';
import { loadPkcs1PublicKey, type RsaPublicKey } from '../crypto/rsa.js';
import { instantOf, MICROS_PER_SECOND, parseDate } from '../format/time.js';

/**
 * Public keys as CloudTrail's ListPublicKeys publishes them: base64 DER PKCS#1 `Value`,
 * `Fingerprint` = lowercase hex MD5 of the DER bytes, and a validity window.
 */
export interface PublicKeyEntry {
  readonly fingerprint: string;
  readonly valueBase64: string;
  readonly key: RsaPublicKey;
  /** Validity window, instants in micros. */
  readonly validFrom: number;
  readonly validTo: number;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_KEYS_FILE = 16 << 20;
const MAX_ENTRIES = 100_000;

function keysError(source: string, message: string): TrailproofError {
  return new TrailproofError('keys', `Public keys file ${source}: ${message}`);
}

/**
 * JSON.parse's complaint on one line. V8 quotes the input around the fault (`Unexpected token 'x',
 * "...<the file's text>..." is not valid JSON`): hostile text of any length, newlines included, so
 * the quote is dropped and a position becomes a line and column.
 */
function jsonProblem(err: unknown, text: string): string {
  let message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  const quoted = message.search(/, "/);
  if (quoted >= 0 && /is not valid JSON$/.test(err instanceof Error ? err.message : '')) message = message.slice(0, quoted);
  message = message.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).slice(0, 200);
  const at = /at position (\d+)(?: \(line \d+ column \d+\))?/.exec(message);
  if (at) {
    const before = text.slice(0, Number(at[1]));
    const line = before.split('\n').length;
    const column = before.length - before.lastIndexOf('\n');
    message = `${message.slice(0, at.index).trimEnd()} at line ${line} column ${column}`;
  }
  return message;
}

/** Epoch seconds (number or numeric text, the AWS CLI v1 shape) or ISO 8601 (v2). */
function parseValidity(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * MICROS_PER_SECOND);
  if (typeof value !== 'string') return undefined;
  if (/^\d{1,12}(?:\.\d+)?$/.test(value)) return Math.round(Number(value) * MICROS_PER_SECOND);
  try {
    return instantOf(parseDate(value));
  } catch {
    return undefined;
  }
}

/** Checks one entry: base64 of a DER PKCS#1 RSAPublicKey whose MD5 is its fingerprint. */
export function checkPublicKeyEntry(raw: unknown, label: string, source: string): PublicKeyEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw keysError(source, `${label} is not an object`);
  const e = raw as Record<string, unknown>;
  const fp = e.Fingerprint;
  const name = typeof fp === 'string' ? `${label} (fingerprint ${fp.slice(0, 64)})` : label;
  if (typeof fp !== 'string' || !/^[0-9a-f]{32}$/.test(fp)) {
    throw keysError(source, `${name}: Fingerprint must be 32 lowercase hex digits`);
  }
  const value = e.Value;
  if (typeof value !== 'string' || value.length === 0 || value.length > 16384 || !BASE64.test(value)) {
    throw keysError(source, `${name}: Value is not base64`);
  }
  const der = new Uint8Array(Buffer.from(value, 'base64'));
  let key: RsaPublicKey;
  try {
    key = loadPkcs1PublicKey(der);
  } catch (err) {
    const why = err instanceof DerError ? err.message : 'rejected by the crypto library';
    throw keysError(source, `${name}: Value is not a DER PKCS#1 RSAPublicKey (${why})`);
  }
  const actual = md5Hex(der);
  if (actual !== fp) throw keysError(source, `${name}: Fingerprint does not match the key (its MD5 is ${actual})`);
  const validFrom = parseValidity(e.ValidityStartTime);
  const validTo = parseValidity(e.ValidityEndTime);
  if (validFrom === undefined) throw keysError(source, `${name}: ValidityStartTime is missing or not a time`);
  if (validTo === undefined) throw keysError(source, `${name}: ValidityEndTime is missing or not a time`);
  if (validTo < validFrom) throw keysError(source, `${name}: ValidityEndTime is before ValidityStartTime`);
  return { fingerprint: fp, valueBase64: value, key, validFrom, validTo };
}

/** Parses and checks the JSON that `aws cloudtrail list-public-keys` prints. Every entry must pass. */
export function parsePublicKeysJson(text: string, source: string): PublicKeyEntry[] {
  if (text.length > MAX_KEYS_FILE) throw keysError(source, 'too large');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw keysError(source, `not JSON (${jsonProblem(err, text)})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw keysError(source, 'expected {"PublicKeyList": [...]}');
  const list = (doc as Record<string, unknown>).PublicKeyList;
  if (!Array.isArray(list)) throw keysError(source, 'expected {"PublicKeyList": [...]}');
  if (list.length > MAX_ENTRIES) throw keysError(source, 'too many entries');
  const entries = list.map((raw, i) => checkPublicKeyEntry(raw, `entry ${i + 1}`, source));
  const seen = new Map<string, PublicKeyEntry>();
  for (const entry of entries) {
    const prior = seen.get(entry.fingerprint);
    if (prior && prior.valueBase64 !== entry.valueBase64) {
      throw keysError(source, `two different keys share fingerprint ${entry.fingerprint}`);
    }
    seen.set(entry.fingerprint, entry);
  }
  return entries;
}

/** ListPublicKeys' selection: keys whose validity overlaps [start, end] (instants, micros). */
export function selectOverlapping<T extends { validFrom: number; validTo: number }>(entries: readonly T[], start: number, end: number): T[] {
  return entries.filter((e) => e.validFrom <= end && e.validTo >= start);
}

function isoSeconds(micros: number): string {
  return `${new Date(Math.floor(micros / 1000)).toISOString().slice(0, 19)}+00:00`;
}

/** The same JSON `aws cloudtrail list-public-keys` prints (AWS CLI v2 shape). */
export function formatPublicKeysJson(entries: readonly PublicKeyEntry[]): string {
  const list = entries.map((e) => ({
    Value: e.valueBase64,
    ValidityStartTime: isoSeconds(e.validFrom),
    ValidityEndTime: isoSeconds(e.validTo),
    Fingerprint: e.fingerprint,
  }));
  return `${JSON.stringify({ PublicKeyList: list }, null, 4)}\n`;
}

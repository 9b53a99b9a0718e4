import { createHash, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrailproofError } from '../../src/errors.js';
import { checkPublicKeyEntry, formatPublicKeysJson, parsePublicKeysJson, selectOverlapping } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';

/**
 * `--public-keys FILE` (behaviour §7): list-public-keys output, every entry checked (base64 of a DER
 * PKCS#1 key whose MD5 is its fingerprint, a validity window), selected like ListPublicKeys.
 */
interface Raw {
  Value?: unknown;
  Fingerprint?: unknown;
  ValidityStartTime?: unknown;
  ValidityEndTime?: unknown;
}
interface Good {
  der: Buffer;
  Value: string;
  Fingerprint: string;
  ValidityStartTime: string;
  ValidityEndTime: string;
}
let a: Good;
let b: Good;
let spkiB64: string;

const md5 = (d: Uint8Array): string => createHash('md5').update(d).digest('hex');
const sec = (iso: string): number => Date.parse(iso) / 1000;
const micros = (iso: string): number => Date.parse(iso) * 1000;

function makeKey(from: string, to: string): Good {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'pkcs1' });
  return { der, Value: der.toString('base64'), Fingerprint: md5(der), ValidityStartTime: from, ValidityEndTime: to };
}

beforeAll(() => {
  a = makeKey('2024-01-01T00:00:00+00:00', '2024-02-01T00:00:00+00:00');
  b = makeKey('2024-02-01T00:00:00+00:00', '2024-03-01T00:00:00+00:00');
  spkiB64 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
});

const file = (...list: unknown[]): string => JSON.stringify({ PublicKeyList: list.map((e) => (typeof e === 'object' && e !== null && 'der' in e ? { ...e, der: undefined } : e)) });

function keysError(text: string): TrailproofError {
  try {
    parsePublicKeysJson(text, 'keys.json');
  } catch (err) {
    expect(err).toBeInstanceOf(TrailproofError);
    expect((err as TrailproofError).code).toBe('keys');
    return err as TrailproofError;
  }
  throw new Error('expected the keys file to be rejected');
}

describe('parsePublicKeysJson: accepted', () => {
  it('ISO 8601 validity (AWS CLI v2 shape)', () => {
    const entries = parsePublicKeysJson(file(a, b), 'keys.json');
    expect(entries.map((e) => e.fingerprint)).toEqual([a.Fingerprint, b.Fingerprint]);
    expect(entries[0]!.validFrom).toBe(micros('2024-01-01T00:00:00Z'));
    expect(entries[0]!.validTo).toBe(micros('2024-02-01T00:00:00Z'));
    expect(Buffer.from(entries[1]!.key.der).equals(b.der)).toBe(true);
  });

  it('epoch seconds, as numbers or numeric text (AWS CLI v1 shape)', () => {
    const entries = parsePublicKeysJson(
      file({ ...a, ValidityStartTime: sec('2024-01-01T00:00:00Z'), ValidityEndTime: `${sec('2024-02-01T00:00:00Z')}.5` }),
      'keys.json',
    );
    expect(entries[0]!.validFrom).toBe(micros('2024-01-01T00:00:00Z'));
    expect(entries[0]!.validTo).toBe(micros('2024-02-01T00:00:00Z') + 500_000);
  });

  it('a validity with a zone offset is the real instant', () => {
    const [e] = parsePublicKeysJson(file({ ...a, ValidityStartTime: '2024-01-01T02:00:00+02:00', ValidityEndTime: '2024-01-31T19:00:00-05:00' }), 'k');
    expect(e!.validFrom).toBe(micros('2024-01-01T00:00:00Z'));
    expect(e!.validTo).toBe(micros('2024-02-01T00:00:00Z'));
  });

  it('an empty list', () => {
    expect(parsePublicKeysJson('{"PublicKeyList": []}', 'k')).toEqual([]);
  });

  it('the same key listed twice is fine', () => {
    expect(parsePublicKeysJson(file(a, a), 'k')).toHaveLength(2);
  });

  it('formatPublicKeysJson output parses back to the same entries', () => {
    const entries = parsePublicKeysJson(file(a, b), 'k');
    const again = parsePublicKeysJson(formatPublicKeysJson(entries), 'k');
    expect(again.map((e) => [e.fingerprint, e.valueBase64, e.validFrom, e.validTo])).toEqual(
      entries.map((e) => [e.fingerprint, e.valueBase64, e.validFrom, e.validTo]),
    );
    expect(JSON.parse(formatPublicKeysJson(entries)).PublicKeyList[0]).toEqual({
      Value: a.Value,
      ValidityStartTime: '2024-01-01T00:00:00+00:00',
      ValidityEndTime: '2024-02-01T00:00:00+00:00',
      Fingerprint: a.Fingerprint,
    });
  });
});

describe('parsePublicKeysJson: every bad entry is an error naming it', () => {
  const cases: Array<[string, () => Raw, RegExp]> = [
    ['not base64', () => ({ ...a, Value: 'not base64!' }), /Value is not base64/],
    ['a stray character', () => ({ ...a, Value: `${a.Value.slice(0, -4)}@${a.Value.slice(-3)}` }), /Value is not base64/],
    ['truncated base64', () => ({ ...a, Value: a.Value.slice(0, -1) }), /Value is not base64/],
    ['empty Value', () => ({ ...a, Value: '' }), /Value is not base64/],
    ['Value not a string', () => ({ ...a, Value: 12 }), /Value is not base64/],
    ['an SPKI key', () => ({ ...a, Value: spkiB64, Fingerprint: md5(Buffer.from(spkiB64, 'base64')) }), /PKCS#1.*SubjectPublicKeyInfo/],
    ['bytes after the key', () => {
      const der = Buffer.concat([a.der, Buffer.from([0])]);
      return { ...a, Value: der.toString('base64'), Fingerprint: md5(der) };
    }, /PKCS#1/],
    ['random bytes', () => ({ ...a, Value: Buffer.from('hello world!').toString('base64'), Fingerprint: md5(Buffer.from('hello world!')) }), /PKCS#1/],
    ['the other key\'s fingerprint', () => ({ ...a, Fingerprint: b.Fingerprint }), /Fingerprint does not match/],
    ['the MD5 of the base64 text', () => ({ ...a, Fingerprint: md5(Buffer.from(a.Value)) }), /Fingerprint does not match/],
    ['an uppercase fingerprint', () => ({ ...a, Fingerprint: a.Fingerprint.toUpperCase() }), /Fingerprint must be 32 lowercase hex digits/],
    ['a short fingerprint', () => ({ ...a, Fingerprint: a.Fingerprint.slice(1) }), /Fingerprint must be/],
    ['no fingerprint', () => ({ Value: a.Value, ValidityStartTime: a.ValidityStartTime, ValidityEndTime: a.ValidityEndTime }), /Fingerprint must be/],
    ['no ValidityStartTime', () => ({ Value: a.Value, Fingerprint: a.Fingerprint, ValidityEndTime: a.ValidityEndTime }), /ValidityStartTime/],
    ['no ValidityEndTime', () => ({ Value: a.Value, Fingerprint: a.Fingerprint, ValidityStartTime: a.ValidityStartTime }), /ValidityEndTime/],
    ['an unparseable time', () => ({ ...a, ValidityEndTime: '2024-02-30T00:00:00Z' }), /ValidityEndTime/],
    ['a null time', () => ({ ...a, ValidityStartTime: null }), /ValidityStartTime/],
    ['end before start', () => ({ ...a, ValidityStartTime: a.ValidityEndTime, ValidityEndTime: a.ValidityStartTime }), /before/],
    ['not an object', () => 'key' as unknown as Raw, /not an object/],
  ];
  it.each(cases)('%s', (_label, bad, why) => {
    const err = keysError(file(b, bad()));
    expect(err.message).toMatch(/^Public keys file keys\.json: entry 2\b/);
    expect(err.message).toMatch(why);
    // the valid first entry is not blamed
    expect(err.message).not.toMatch(/entry 1\b/);
  });

  it.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['no PublicKeyList', '{"Keys": []}'],
    ['PublicKeyList not a list', '{"PublicKeyList": {}}'],
  ])('rejects a file that is %s', (_label, text) => {
    expect(keysError(text).message).toMatch(/^Public keys file keys\.json: /);
  });

  it('checkPublicKeyEntry names the entry with its label', () => {
    expect(() => checkPublicKeyEntry({ ...a, Fingerprint: 'x' }, 'entry 7', 'f.json')).toThrow(/^Public keys file f\.json: entry 7 \(fingerprint x\): /);
  });
});

describe('selectOverlapping (ListPublicKeys semantics, inclusive bounds)', () => {
  const entries = [
    { id: 'jan', validFrom: micros('2024-01-01T00:00:00Z'), validTo: micros('2024-02-01T00:00:00Z') },
    { id: 'feb', validFrom: micros('2024-02-01T00:00:00Z'), validTo: micros('2024-03-01T00:00:00Z') },
    { id: 'mar', validFrom: micros('2024-03-01T00:00:00Z'), validTo: micros('2024-04-01T00:00:00Z') },
  ];
  const ids = (s: string, e: string): string[] => selectOverlapping(entries, micros(s), micros(e)).map((x) => x.id);
  it.each([
    ['2024-01-10T00:00:00Z', '2024-01-11T00:00:00Z', ['jan']],
    ['2024-01-10T00:00:00Z', '2024-02-10T00:00:00Z', ['jan', 'feb']],
    ['2024-02-01T00:00:00Z', '2024-02-01T00:00:00Z', ['jan', 'feb']],
    ['2024-02-01T00:00:01Z', '2024-02-29T23:59:59Z', ['feb']],
    ['2023-01-01T00:00:00Z', '2025-01-01T00:00:00Z', ['jan', 'feb', 'mar']],
    ['2023-01-01T00:00:00Z', '2023-12-31T23:59:59Z', []],
    ['2024-04-01T00:00:01Z', '2024-05-01T00:00:00Z', []],
  ])('[%s, %s]', (s, e, expected) => {
    expect(ids(s, e)).toEqual(expected);
  });

  it('entriesSource selects the same way and loads the checked key', async () => {
    const parsed = parsePublicKeysJson(file(a, b), 'k');
    const source = entriesSource(parsed);
    const got = await source.list(micros('2024-02-15T00:00:00Z'), micros('2024-02-16T00:00:00Z'));
    expect(got.map((r) => r.fingerprint)).toEqual([b.Fingerprint]);
    expect(Buffer.from(got[0]!.load().der).equals(b.der)).toBe(true);
    expect(await source.list(micros('2025-01-01T00:00:00Z'), micros('2025-01-02T00:00:00Z'))).toEqual([]);
  });
});

import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { beforeKey, withKey, type BeforeKey, type DigestPlace, type DigestVerdict } from '../../src/chain/digest-verdict.js';
import { loadPkcs1PublicKey } from '../../src/crypto/rsa.js';

/**
 * One digest's verdict, behaviour §3 steps 2-9, in memory: bytes, metadata and a key in, verdict
 * out (the messages are the reference's). The signing string is built here independently.
 */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const der = publicKey.export({ format: 'der', type: 'pkcs1' });
const load = () => loadPkcs1PublicKey(der);
const place: DigestPlace = { bucket: 'b', key: 'AWSLogs/k.json.gz', backfill: false, homeRegion: 'us-east-1' };

function body(over: Record<string, unknown> = {}, drop: string[] = []): Buffer {
  const json: Record<string, unknown> = {
    awsAccountId: '111122223333',
    digestStartTime: '2024-05-01T00:00:00Z',
    digestEndTime: '2024-05-01T01:00:00Z',
    digestS3Bucket: 'b',
    digestS3Object: 'AWSLogs/k.json.gz',
    digestPublicKeyFingerprint: 'fp',
    digestSignatureAlgorithm: 'SHA256withRSA',
    previousDigestS3Bucket: null,
    previousDigestS3Object: null,
    previousDigestHashValue: null,
    previousDigestHashAlgorithm: null,
    previousDigestSignature: null,
    logFiles: [],
    ...over,
  };
  for (const d of drop) delete json[d];
  return Buffer.from(JSON.stringify(json));
}

function signed(raw: Buffer, end = '2024-05-01T01:00:00Z', prev: string | null = null): Record<string, string> {
  const text = `${end}\nb/AWSLogs/k.json.gz\n${createHash('sha256').update(raw).digest('hex')}\n${prev ?? 'null'}`;
  return { signature: sign('sha256', Buffer.from(text), privateKey).toString('hex'), 'signature-algorithm': 'SHA256withRSA' };
}

/** `keyLoad` null: no key has the fingerprint. */
function judge(raw: Buffer | undefined, metadata: Record<string, string>, keyLoad: (() => ReturnType<typeof load>) | null = load, p = place): DigestVerdict {
  const first: BeforeKey = beforeKey(raw, metadata, p);
  if (first.kind !== 'need-key') return first;
  return withKey(first, keyLoad ?? undefined, metadata, p);
}

describe('§3 steps 2-9', () => {
  it('a well-formed, correctly signed digest is valid, with its start time', () => {
    const raw = body();
    const v = judge(raw, signed(raw));
    expect(v.kind).toBe('valid');
    if (v.kind === 'valid') expect(v.digest.raw.equals(raw)).toBe(true);
  });

  it('step 2: not one gzip member, not JSON, or nested too deep -> invalid format', () => {
    expect(judge(undefined, {})).toEqual({ kind: 'invalid', reason: 'invalid format' });
    expect(judge(Buffer.from('{not json'), signed(Buffer.from('x')))).toEqual({ kind: 'invalid', reason: 'invalid format' });
  });

  it('step 3: no signature or signature-algorithm metadata -> signature verification failed (before the JSON type)', () => {
    expect(judge(body(), {})).toEqual({ kind: 'invalid', reason: 'signature verification failed' });
    expect(judge(Buffer.from('[1]'), { signature: 'ab' })).toEqual({ kind: 'invalid', reason: 'signature verification failed' });
  });

  it('step 3: a backfill digest without backfill-generation-timestamp -> invalid format', () => {
    const raw = body();
    expect(judge(raw, signed(raw), load, { ...place, backfill: true })).toEqual({ kind: 'invalid', reason: 'invalid format' });
  });

  it('a JSON value that is not an object fails as the reference assigns into it', () => {
    expect(judge(Buffer.from('[1]'), signed(Buffer.from('[1]')))).toEqual({ kind: 'invalid', reason: 'list indices must be integers or slices, not str' });
    expect(judge(Buffer.from('"s"'), signed(Buffer.from('"s"')))).toEqual({ kind: 'invalid', reason: "'str' object does not support item assignment" });
  });

  it.each(['digestPublicKeyFingerprint', 'digestS3Bucket', 'digestS3Object', 'previousDigestSignature', 'digestEndTime', 'digestStartTime'])(
    'step 4: without %s -> invalid format',
    (field) => {
      const raw = body({}, [field]);
      expect(judge(raw, signed(raw))).toEqual({ kind: 'invalid', reason: 'invalid format' });
    },
  );

  it('step 5: a digest naming another location -> has been moved', () => {
    const raw = body({ digestS3Object: 'AWSLogs/other.json.gz' });
    expect(judge(raw, signed(raw))).toEqual({ kind: 'invalid', reason: 'has been moved from its original location' });
  });

  it('step 6: an unknown fingerprint names the home region; an unhashable one is a TypeError text', () => {
    const raw = body();
    expect(judge(raw, signed(raw), null)).toEqual({ kind: 'invalid', reason: 'public key not found in region us-east-1 for fingerprint fp' });
    const list = body({ digestPublicKeyFingerprint: [1] });
    expect(judge(list, signed(list))).toEqual({ kind: 'invalid', reason: "unhashable type: 'list'" });
  });

  it('step 7: a key that cannot be loaded', () => {
    const raw = body();
    const broken = () => {
      throw new Error('bad DER');
    };
    expect(judge(raw, signed(raw), broken)).toEqual({ kind: 'invalid', reason: 'Unable to load PKCS #1 key with fingerprint fp' });
  });

  it('step 8: a signature over other bytes, or not hex', () => {
    const raw = body();
    expect(judge(raw, signed(body({ awsAccountId: '1' })))).toEqual({ kind: 'invalid', reason: 'signature verification failed' });
    expect(judge(raw, { ...signed(raw), signature: 'abc' })).toEqual({ kind: 'invalid', reason: 'Odd-length string' });
    expect(judge(raw, { ...signed(raw), signature: 'zz' })).toEqual({ kind: 'invalid', reason: 'Non-hexadecimal digit found' });
  });

  it('step 8: the previous signature is part of the signed string', () => {
    const raw = body({ previousDigestSignature: 'cafe' });
    expect(judge(raw, signed(raw)).kind).toBe('invalid');
    expect(judge(raw, signed(raw, undefined, 'cafe')).kind).toBe('valid');
  });

  it("step 9: after the signature, an end or start time that does not parse is dateutil's text", () => {
    const raw = body({ digestStartTime: 5 });
    expect(judge(raw, signed(raw))).toEqual({ kind: 'invalid', reason: 'Parser must be a string or character stream, not int' });
    const bad = body({ digestEndTime: 'yesterday' });
    expect(judge(bad, signed(bad, 'yesterday'))).toEqual({ kind: 'invalid', reason: 'Unable to parse date value: yesterday' });
  });
});

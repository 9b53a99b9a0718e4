import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  amzDate,
  authorization,
  canonicalQuery,
  canonicalRequest,
  deriveSigningKey,
  GetSigner,
  sha256Hex,
  SigningKeyCache,
  stringToSign,
  UNSIGNED_PAYLOAD,
  uriEncode,
} from '../../src/aws/sigv4.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const signatureOf = (header: string) => /Signature=([0-9a-f]{64})$/.exec(header)?.[1];

describe('SigV4: AWS published examples', () => {
  // Amazon S3 API reference, "Signature calculations for the Authorization header", example GET Object.
  it('signs the S3 GET Object example', () => {
    const req = {
      method: 'GET',
      path: '/test.txt',
      headers: {
        Host: 'examplebucket.s3.amazonaws.com',
        Range: 'bytes=0-9',
        'x-amz-content-sha256': EMPTY_SHA256,
        'x-amz-date': '20130524T000000Z',
      },
      payloadHash: EMPTY_SHA256,
    };
    const scope = { amzDate: '20130524T000000Z', region: 'us-east-1', service: 's3' };
    const { text, signedHeaders } = canonicalRequest(req);
    expect(text).toBe(
      [
        'GET',
        '/test.txt',
        '',
        'host:examplebucket.s3.amazonaws.com',
        'range:bytes=0-9',
        `x-amz-content-sha256:${EMPTY_SHA256}`,
        'x-amz-date:20130524T000000Z',
        '',
        'host;range;x-amz-content-sha256;x-amz-date',
        EMPTY_SHA256,
      ].join('\n'),
    );
    expect(signedHeaders).toBe('host;range;x-amz-content-sha256;x-amz-date');
    expect(stringToSign(text, scope)).toBe(
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    const header = authorization(req, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, scope);
    expect(header).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  // The SigV4 test suite, get-vanilla-query-order-key-case: query parameters are sorted.
  it('signs the test suite request with unsorted query parameters', () => {
    const header = authorization(
      {
        method: 'GET',
        path: '/',
        query: [
          ['Param2', 'value2'],
          ['Param1', 'value1'],
        ],
        headers: { Host: 'example.amazonaws.com', 'X-Amz-Date': '20150830T123600Z' },
        payloadHash: EMPTY_SHA256,
      },
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      { amzDate: '20150830T123600Z', region: 'us-east-1', service: 'service' },
    );
    expect(signatureOf(header)).toBe('b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
    expect(header).toContain('Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date,');
  });
});

describe('SigV4: pieces', () => {
  it('formats x-amz-date', () => {
    expect(amzDate(Date.UTC(2013, 4, 24, 0, 0, 0, 999))).toBe('20130524T000000Z');
    expect(amzDate(Date.UTC(2024, 11, 31, 23, 59, 58))).toBe('20241231T235958Z');
  });

  it('trims and folds header values, and lower-cases names', () => {
    const { text } = canonicalRequest({ method: 'GET', path: '/', headers: { 'X-Amz-Meta-A': '  a   b\t c ', host: 'h' }, payloadHash: UNSIGNED_PAYLOAD });
    expect(text.split('\n').slice(3, 5)).toEqual(['host:h', 'x-amz-meta-a:a b c']);
  });

  it('sorts and encodes the query', () => {
    expect(canonicalQuery([['x-id', 'GetObject']])).toBe('x-id=GetObject');
    expect(
      canonicalQuery([
        ['b', 'x y'],
        ['a', '2'],
        ['a', '1'],
        ['k/', '~+'],
      ]),
    ).toBe('a=1&a=2&b=x%20y&k%2F=~%2B');
  });

  it('caches the signing key per (secret, day, region, service) and never confuses secrets', () => {
    const keys = new SigningKeyCache();
    const signingKey = (secret: string, day: string, region: string, service: string) => keys.get(secret, day, region, service);
    const a = signingKey('secret-a', '20240101', 'us-east-1', 's3');
    expect(signingKey('secret-a', '20240101', 'us-east-1', 's3')).toBe(a);
    const b = signingKey('secret-b', '20240101', 'us-east-1', 's3');
    expect(b.equals(a)).toBe(false);
    expect(signingKey('secret-a', '20240101', 'us-east-1', 's3').equals(a)).toBe(true);
    expect(signingKey('secret-a', '20240102', 'us-east-1', 's3').equals(a)).toBe(false);
    expect(signingKey('secret-a', '20240101', 'us-east-2', 's3').equals(a)).toBe(false);
    expect(sha256Hex('')).toBe(EMPTY_SHA256);
  });

  it('keeps signing keys per cache (one per store), not per process, and signs the same with or without one', () => {
    const one = new SigningKeyCache();
    const two = new SigningKeyCache();
    const a = one.get('secret-a', '20240101', 'us-east-1', 's3');
    const b = two.get('secret-a', '20240101', 'us-east-1', 's3');
    expect(b).not.toBe(a);
    expect(b.equals(a)).toBe(true);
    expect(deriveSigningKey('secret-a', '20240101', 'us-east-1', 's3').equals(a)).toBe(true);
    one.clear();
    expect(one.get('secret-a', '20240101', 'us-east-1', 's3')).not.toBe(a);
    const req = { method: 'GET', path: '/k', headers: { host: 'h', 'x-amz-date': '20240101T000000Z' }, payloadHash: UNSIGNED_PAYLOAD };
    const scope = { amzDate: '20240101T000000Z', region: 'us-east-1', service: 's3' };
    const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret-a' };
    expect(authorization(req, credentials, scope, one)).toBe(authorization(req, credentials, scope));
  });
});

/** Keys as hostile as S3 allows: any Unicode (well-formed), path tricks, URL syntax. */
const hostileKey = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc
    .array(
      fc.constantFrom(
        '../',
        './',
        '..',
        '.',
        '/',
        '//',
        '%',
        '%2F',
        '%25',
        '+',
        ' ',
        '?',
        '#',
        '&',
        '=',
        ';',
        '~',
        '*',
        "'",
        '\u00fc',
        '\u{1F600}',
        '\\',
        '\t',
        '\n',
        '\u0000',
        'a',
      ),
      {
        minLength: 1,
        maxLength: 12,
      },
    )
    .map((parts) => parts.join('')),
);

describe('SigV4: URI encoding of S3 keys (property tests)', () => {
  it('round-trips every byte and leaves only unreserved characters, / and %XX', () => {
    fc.assert(
      fc.property(hostileKey, (key) => {
        const encoded = uriEncode(key, true);
        expect(encoded).toMatch(/^(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})*$/);
        expect(decodeURIComponent(encoded)).toBe(key);
        expect(encoded.split('/').length).toBe(key.split('/').length);
        const inQuery = uriEncode(key, false);
        expect(inQuery).not.toContain('/');
        expect(decodeURIComponent(inQuery)).toBe(key);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes some keys exactly', () => {
    expect(uriEncode('AWSLogs/1/CloudTrail/us-east-1/2024/05/01/f_20240501T0000Z_x.json.gz', true)).toBe(
      'AWSLogs/1/CloudTrail/us-east-1/2024/05/01/f_20240501T0000Z_x.json.gz',
    );
    expect(uriEncode("../a b+c%d?e#f~!'()*\u00fc/", true)).toBe('../a%20b%2Bc%25d%3Fe%23f~%21%27%28%29%2A%C3%BC/');
    expect(uriEncode('a/b', false)).toBe('a%2Fb');
    expect(uriEncode('\u{1F600}', true)).toBe('%F0%9F%98%80');
  });

  it('gives the SDK request path and signature for any key, credentials and region', async () => {
    // The SDK as the oracle: it signs its own GetObject (stopped before sending); we sign the same
    // request from its date, headers and our own path, and must find its path and signature.
    const client = (region: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
      new S3Client({
        region,
        endpoint: 'http://127.0.0.1:9/base',
        forcePathStyle: true,
        credentials,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 1,
      });
    const sdkSigned = async (c: S3Client, key: string) => {
      const command = new GetObjectCommand({ Bucket: 'my-bucket', Key: key });
      let seen: { path: string; headers: Record<string, string> } | undefined;
      command.middlewareStack.add(
        (() => async (args: { request: unknown }) => {
          seen = args.request as typeof seen;
          throw new Error('not sent');
        }) as never,
        { step: 'deserialize', priority: 'low' },
      );
      await c.send(command).catch(() => undefined);
      if (!seen) throw new Error('the SDK did not build the request');
      return seen;
    };
    await fc.assert(
      fc.asyncProperty(
        hostileKey,
        fc.constantFrom('us-east-1', 'eu-west-3', 'ap-southeast-2'),
        fc.stringMatching(/^[A-Z0-9]{16,20}$/),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.option(fc.base64String({ minLength: 4, maxLength: 200 }), { nil: undefined }),
        async (key, region, accessKeyId, secretAccessKey, sessionToken) => {
          const credentials = { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
          const c = client(region, credentials);
          const request = await sdkSigned(c, key);
          c.destroy();
          const path = `/base/my-bucket/${uriEncode(key, true)}`;
          expect(path).toBe(request.path);
          const names = /SignedHeaders=([^,]+)/.exec(request.headers.authorization ?? '')![1]!.split(';');
          const headers = Object.fromEntries(names.map((n) => [n, request.headers[n]!]));
          const ours = authorization(
            { method: 'GET', path, query: [['x-id', 'GetObject']], headers, payloadHash: request.headers['x-amz-content-sha256']! },
            credentials,
            { amzDate: request.headers['x-amz-date']!, region, service: 's3' },
          );
          expect(ours).toBe(request.headers.authorization);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('GetSigner (the fast path signer, issue 15)', () => {
  it('signs as the general form does, for any host, path, query, credentials, time and region', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('127.0.0.1:7480', 'my-bucket.s3.eu-west-1.amazonaws.com', '[::1]'),
        fc.string({ maxLength: 30 }).map((k) => `/b/${uriEncode(k, true)}`),
        fc.constantFrom('', 'location=', 'x-id=GetObject', 'encoding-type=url&marker=a%2Fb&prefix=AWSLogs%2F'),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.option(fc.string({ minLength: 1, maxLength: 60 }), { nil: undefined }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.constantFrom('us-east-1', 'eu-west-3'),
        (host, path, query, accessKeyId, secretAccessKey, sessionToken, now, region) => {
          const credentials = { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
          const signer = new GetSigner(new SigningKeyCache());
          const got = signer.headers(host, path, query, credentials, now, region);
          const token = sessionToken || undefined;
          const headers: Record<string, string> = { host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': amzDate(Math.floor(now / 1000) * 1000) };
          if (token !== undefined) headers['x-amz-security-token'] = token;
          const q = query === '' ? [] : query.split('&').map((p) => p.split('=').map(decodeURIComponent) as [string, string]);
          const expected = authorization({ method: 'GET', path, query: q, headers, payloadHash: UNSIGNED_PAYLOAD }, credentials, {
            amzDate: headers['x-amz-date']!,
            region,
            service: 's3',
          });
          expect(got.authorization).toBe(expected);
          expect(got['x-amz-date']).toBe(headers['x-amz-date']);
          expect(got['x-amz-security-token']).toBe(token);
          // The same signer, asked again in the same second, signs the same (its cached date and token).
          expect(signer.headers(host, path, query, credentials, now, region)).toEqual(got);
        },
      ),
      { numRuns: 400 },
    );
  });
});

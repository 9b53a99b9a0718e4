import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4, header-based, for the S3 GetObject fast path (fast-get.ts): pure functions
 * over strings, no I/O. The SDK signs the same way; ours skips its per-request machinery (middleware,
 * header scans, provider look-ups), which is what made every GetObject cost ~2 ms of CPU.
 */
export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** The body is not hashed: S3 accepts this for any request over TLS or plain HTTP alike. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface SignableRequest {
  readonly method: string;
  /** The path as sent, already URI-encoded (S3 does not encode it a second time for the signature). */
  readonly path: string;
  /** The query parameters, not encoded. */
  readonly query?: ReadonlyArray<readonly [string, string]>;
  /** Every header to sign, `host` included. Names in any case; values are trimmed and folded. */
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or UNSIGNED_PAYLOAD. */
  readonly payloadHash: string;
}

export interface Scope {
  /** `YYYYMMDDTHHMMSSZ`, the request's x-amz-date. */
  readonly amzDate: string;
  readonly region: string;
  readonly service: string;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const HEX = '0123456789ABCDEF';

/** %XX for each byte (the table is built once: encoding runs for every request). */
const ESCAPED: string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return b < 128 && UNRESERVED.test(c) ? c : `%${HEX[b >> 4]}${HEX[b & 15]}`;
});

/**
 * SigV4's URI encoding: every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex);
 * with `keepSlash`, `/` stays (an S3 key in a path). The string must be well-formed UTF-16: a lone
 * surrogate has no UTF-8 bytes, and S3 would be asked for a different key.
 */
export function uriEncode(text: string, keepSlash: boolean): string {
  // Most keys are plain ASCII that needs no escape: one test instead of a byte loop.
  if (/^[A-Za-z0-9\-._~/]*$/.test(text) && (keepSlash || !text.includes('/'))) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += byte === 0x2f && keepSlash ? '/' : ESCAPED[byte];
  return out;
}

/** The canonical query string: names and values encoded, sorted by name then value (code units of the encoded form). */
export function canonicalQuery(query: ReadonlyArray<readonly [string, string]>): string {
  return query
    .map(([name, value]) => [uriEncode(name, false), uriEncode(value, false)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** `YYYYMMDDTHHMMSSZ` for a time in milliseconds. */
export function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function canonicalRequest(req: SignableRequest): { text: string; signedHeaders: string } {
  const headers = Object.entries(req.headers)
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([name]) => name).join(';');
  const text = [
    req.method,
    req.path,
    canonicalQuery(req.query ?? []),
    ...headers.map(([name, value]) => `${name}:${value}`),
    '',
    signedHeaders,
    req.payloadHash,
  ].join('\n');
  return { text, signedHeaders };
}

export function stringToSign(canonical: string, scope: Scope): string {
  return [ALGORITHM, scope.amzDate, credentialScope(scope), sha256Hex(canonical)].join('\n');
}

function credentialScope(scope: Scope): string {
  return `${scope.amzDate.slice(0, 8)}/${scope.region}/${scope.service}/aws4_request`;
}

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The signing key of (secret, day, region, service): four chained HMACs. */
export function deriveSigningKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
}

const MAX_SIGNING_KEYS = 64;

/**
 * Derived signing keys, one per (secret, day, region, service): four HMACs saved on every request.
 * A cache belongs to one signer (the S3 store's fast path), never to the process, so that a secret
 * lives no longer than the run that uses it. The secret is compared, not used as a map key, and the
 * cache is small: a run signs for a few regions.
 */
export class SigningKeyCache {
  private readonly keys = new Map<string, { secret: string; key: Buffer }>();

  get(secretAccessKey: string, day: string, region: string, service: string): Buffer {
    const id = `${day}/${region}/${service}`;
    const cached = this.keys.get(id);
    if (cached && cached.secret === secretAccessKey) return cached.key;
    const key = deriveSigningKey(secretAccessKey, day, region, service);
    if (this.keys.size >= MAX_SIGNING_KEYS) this.keys.clear();
    this.keys.set(id, { secret: secretAccessKey, key });
    return key;
  }

  /** Forgets every key (the store's destroy). */
  clear(): void {
    this.keys.clear();
  }
}

/**
 * The Authorization header's value for a request whose headers already hold x-amz-date (and the token).
 * With `keys`, the signing key comes from that cache; without, it is derived for this request alone.
 */
export function authorization(req: SignableRequest, credentials: SigningCredentials, scope: Scope, keys?: SigningKeyCache): string {
  const { text, signedHeaders } = canonicalRequest(req);
  const day = scope.amzDate.slice(0, 8);
  const key = keys
    ? keys.get(credentials.secretAccessKey, day, scope.region, scope.service)
    : deriveSigningKey(credentials.secretAccessKey, day, scope.region, scope.service);
  const signature = createHmac('sha256', key).update(stringToSign(text, scope), 'utf8').digest('hex');
  return `${ALGORITHM} Credential=${credentials.accessKeyId}/${credentialScope(scope)}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

/** A header value as the canonical request has it (trimmed, runs of white space folded). */
const fold = (value: string): string => value.trim().replace(/\s+/g, ' ');

/**
 * The fast path's signer (issue 15): every fast-path request is a GET with UNSIGNED-PAYLOAD and the
 * same headers (host, x-amz-content-sha256, x-amz-date, and the session token when there is one), so
 * the canonical request is written out directly instead of sorted and folded per request, and the
 * date string is made once per second. `authorization` above is the general form:
 * test/aws/sigv4.test.ts holds the two to the same signature.
 */
export class GetSigner {
  private second = -1;
  private date = '';
  private token: string | undefined;
  private foldedToken = '';

  constructor(private readonly keys: SigningKeyCache) {}

  /** The request's headers, Authorization included (host is the caller's to send: node:http writes it). */
  headers(host: string, path: string, query: string, credentials: SigningCredentials, nowMs: number, region: string): Record<string, string> {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.second) {
      this.second = second;
      this.date = amzDate(second * 1000);
    }
    const date = this.date;
    const day = date.slice(0, 8);
    const token = credentials.sessionToken || undefined;
    if (token !== this.token) {
      this.token = token;
      this.foldedToken = token !== undefined ? fold(token) : '';
    }
    const signedHeaders = token !== undefined ? 'host;x-amz-content-sha256;x-amz-date;x-amz-security-token' : 'host;x-amz-content-sha256;x-amz-date';
    const canonical =
      `GET\n${path}\n${query}\nhost:${fold(host)}\nx-amz-content-sha256:${UNSIGNED_PAYLOAD}\nx-amz-date:${date}\n` +
      (token !== undefined ? `x-amz-security-token:${this.foldedToken}\n` : '') +
      `\n${signedHeaders}\n${UNSIGNED_PAYLOAD}`;
    const scope = `${day}/${region}/s3/aws4_request`;
    const key = this.keys.get(credentials.secretAccessKey, day, region, 's3');
    const signature = createHmac('sha256', key)
      .update(`${ALGORITHM}\n${date}\n${scope}\n${sha256Hex(canonical)}`, 'utf8')
      .digest('hex');
    const headers: Record<string, string> = {
      'x-amz-content-sha256': UNSIGNED_PAYLOAD,
      'x-amz-date': date,
      authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
    if (token !== undefined) headers['x-amz-security-token'] = token;
    return headers;
  }
}

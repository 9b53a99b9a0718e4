import { TrailproofError } from '../errors.js';

/**
 * PKCS#11 URIs (RFC 7512): which module, token and private key an HSM key is, and how to log in.
 *
 *   pkcs11:token=signer;object=trail-2024?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/tp/pin
 *
 * Strict (the URI is configuration a signer trusts): the grammar of RFC 7512 §2.3, each attribute at
 * most once, percent-encoding checked, `pin-source` and `pin-value` not both (§2.3 says such a URI
 * SHOULD be refused), vendor (`x-`) attributes and `module-name` refused (not understood: a key
 * matched more loosely than its URI says would be the wrong key). Error messages never quote an
 * attribute's value: the URI may hold a PIN.
 */
export interface Pkcs11Uri {
  /** Path attributes (token, object, id, ...), values decoded; `id` stays raw bytes in `idBytes`. */
  readonly path: Readonly<Partial<Record<PathAttribute, string>>>;
  /** CKA_ID of the object (the `id` attribute's bytes). */
  readonly idBytes?: Uint8Array | undefined;
  readonly modulePath: string;
  readonly pinValue?: string | undefined;
  readonly pinSource?: string | undefined;
}

const PATH_ATTRIBUTES = [
  'token',
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'object',
  'type',
  'id',
  'slot-manufacturer',
  'slot-description',
  'slot-id',
] as const;
export type PathAttribute = (typeof PATH_ATTRIBUTES)[number];
const QUERY_ATTRIBUTES = ['pin-source', 'pin-value', 'module-name', 'module-path'] as const;

/** RFC 7512 pk11-unreserved / pk11-res-avail, plus "&" in the path and "/", "?", "|" in the query. */
const PATH_CHAR = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=&]|%[0-9A-Fa-f]{2})*$/;
const QUERY_CHAR = /^(?:[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]|%[0-9A-Fa-f]{2})*$/;
const MAX_URI = 4096;

function uriError(message: string): TrailproofError {
  return new TrailproofError('argument', `Invalid PKCS#11 URI: ${message}`);
}

/** Percent-decoding to bytes (RFC 3986 §2.1); the character set was checked before. */
function decodeBytes(value: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      out.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(value.charCodeAt(i));
    }
  }
  return new Uint8Array(out);
}

function decodeText(value: string, name: string): string {
  const bytes = decodeBytes(value);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD') || Buffer.from(text, 'utf8').length !== bytes.length) throw uriError(`${name} is not UTF-8`);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw uriError(`${name} holds a control character`);
  return text;
}

function attributes(part: string, separator: string, chars: RegExp, where: string): Array<[string, string]> {
  if (part === '') return [];
  return part.split(separator).map((item) => {
    const eq = item.indexOf('=');
    if (eq <= 0) throw uriError(`a ${where} attribute without a name or "="`);
    const name = item.slice(0, eq);
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw uriError(`a ${where} attribute name is not valid`);
    const value = item.slice(eq + 1);
    if (!chars.test(value)) throw uriError(`${name} holds a character that must be percent-encoded`);
    return [name, value];
  });
}

export function parsePkcs11Uri(text: string): Pkcs11Uri {
  if (text.length > MAX_URI) throw uriError('longer than 4096 characters');
  if (!/^pkcs11:/i.test(text)) throw uriError('it must start with pkcs11:');
  const body = text.slice('pkcs11:'.length);
  const q = body.indexOf('?');
  const pathPart = q < 0 ? body : body.slice(0, q);
  const queryPart = q < 0 ? '' : body.slice(q + 1);
  if (pathPart.includes('/') || pathPart.includes('#') || queryPart.includes('#')) throw uriError('"/" or "#" where RFC 7512 allows none');

  const path: Partial<Record<PathAttribute, string>> = {};
  let idBytes: Uint8Array | undefined;
  for (const [name, raw] of attributes(pathPart, ';', PATH_CHAR, 'path')) {
    if (!(PATH_ATTRIBUTES as readonly string[]).includes(name)) {
      throw uriError(name.startsWith('x-') ? `vendor attribute ${name} is not supported` : `unknown path attribute ${name}`);
    }
    const key = name as PathAttribute;
    if (path[key] !== undefined) throw uriError(`${name} appears twice`);
    if (key === 'id') {
      idBytes = decodeBytes(raw);
      if (idBytes.length === 0) throw uriError('id is empty');
      // Canonical: every byte percent-encoded (an id is bytes, not text).
      path.id = [...idBytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
      continue;
    }
    const value = decodeText(raw, name);
    if (key === 'type' && !['public', 'private', 'cert', 'secret-key', 'data'].includes(value)) throw uriError('type must be public, private, cert, secret-key or data');
    if (key === 'slot-id' && !/^\d{1,19}$/.test(value)) throw uriError('slot-id must be a decimal number');
    if (key === 'library-version' && !/^\d+(?:\.\d+)?$/.test(value)) throw uriError('library-version must be M or M.N');
    path[key] = value;
  }

  const query = new Map<string, string>();
  for (const [name, raw] of attributes(queryPart, '&', QUERY_CHAR, 'query')) {
    if (!(QUERY_ATTRIBUTES as readonly string[]).includes(name)) {
      throw uriError(name.startsWith('x-') ? `vendor attribute ${name} is not supported` : `unknown query attribute ${name}`);
    }
    if (query.has(name)) throw uriError(`${name} appears twice`);
    query.set(name, decodeText(raw, name));
  }
  if (query.has('pin-value') && query.has('pin-source')) throw uriError('give pin-value or pin-source, not both (RFC 7512 §2.3)');
  if (query.has('module-name')) throw uriError('module-name is not supported: give module-path (the library file)');
  const modulePath = query.get('module-path');
  if (modulePath === undefined || !modulePath.startsWith('/')) throw uriError('module-path (the absolute path of the PKCS#11 library) is required');
  if (path.type !== undefined && path.type !== 'private') throw uriError('type must be private (the signing key) when given');
  if (path.object === undefined && idBytes === undefined) throw uriError('name the key with object= (its label) or id= (its CKA_ID)');
  const pinSource = query.get('pin-source');
  if (pinSource !== undefined && !/^(?:file:)?\//.test(pinSource)) throw uriError('pin-source must be file:/path or an absolute path');
  return { path, idBytes, modulePath, pinValue: query.get('pin-value'), pinSource };
}

/** RFC 3986 percent-encoding of the characters outside `allowed` (UTF-8 bytes). */
function encode(value: string, allowed: RegExp): string {
  let out = '';
  for (const ch of value) {
    if (allowed.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const SAFE = /^[A-Za-z0-9\-._~:@!$'()*+,]$/;

/**
 * The URI in canonical form (attributes in RFC order). `withPin: false` (every record and message)
 * drops pin-value: a PIN is never written where the public key record goes, nor printed.
 */
export function formatPkcs11Uri(uri: Pkcs11Uri, options: { withPin: boolean }): string {
  const path: string[] = [];
  for (const name of PATH_ATTRIBUTES) {
    const value = uri.path[name];
    if (value === undefined) continue;
    path.push(`${name}=${name === 'id' ? value : encode(value, SAFE)}`);
  }
  const query: string[] = [`module-path=${encode(uri.modulePath, /^[A-Za-z0-9\-._~:@!$'()*+,/]$/)}`];
  if (uri.pinSource !== undefined) query.push(`pin-source=${encode(uri.pinSource, /^[A-Za-z0-9\-._~:@!$'()*+,/]$/)}`);
  if (options.withPin && uri.pinValue !== undefined) query.push(`pin-value=${encode(uri.pinValue, SAFE)}`);
  return `pkcs11:${path.join(';')}?${query.join('&')}`;
}

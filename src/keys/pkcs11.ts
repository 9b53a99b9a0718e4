import { createPublicKey } from 'node:crypto';
import type * as Pkcs11Module from 'pkcs11js';
import { TrailproofError } from '../errors.js';
import type { KeySigner } from './backend.js';
import { parsePkcs11Uri, type Pkcs11Uri } from './pkcs11-uri.js';
import { readSecretFile } from './key-signers.js';

/**
 * Keys in any PKCS#11 token (AWS CloudHSM, YubiHSM, Thales, SoftHSM...) through `pkcs11js`, an
 * optional native dependency loaded only when a PKCS#11 key is used. Signing is CKM_SHA256_RSA_PKCS:
 * the token hashes and signs; the private key never leaves it. PINs are never put in a message.
 */
type Lib = typeof Pkcs11Module;

let loaded: Promise<Lib> | undefined;

function keysError(message: string): TrailproofError {
  return new TrailproofError('keys', message);
}

async function loadPkcs11js(): Promise<Lib> {
  loaded ??= import('pkcs11js').then(
    (m) => ((m as { default?: Lib }).default ?? m) as Lib,
    (err: unknown) => {
      loaded = undefined;
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw keysError('PKCS#11 keys need the optional package pkcs11js, which is not installed: npm install pkcs11js@2.1.7');
      }
      throw keysError(`PKCS#11 keys need the optional package pkcs11js, which cannot be loaded here (its native build is missing or broken): ${String((err as Error).message ?? err).split('\n')[0]}`);
    },
  );
  return loaded;
}

/** One loaded and initialized module per library file and process (C_Initialize may run once). */
const modules = new Map<string, Promise<Pkcs11Module.PKCS11>>();

function openModule(lib: Lib, path: string): Promise<Pkcs11Module.PKCS11> {
  let m = modules.get(path);
  if (!m) {
    m = (async () => {
      const p11 = new lib.PKCS11();
      try {
        p11.load(path);
      } catch {
        throw keysError(`Cannot load the PKCS#11 module ${path} (module-path of the key's URI)`);
      }
      try {
        p11.C_Initialize();
      } catch (err) {
        if ((err as { code?: number }).code !== lib.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw p11Error('C_Initialize', err);
      }
      return p11;
    })();
    modules.set(path, m);
    m.catch(() => modules.delete(path));
  }
  return m;
}

/** A PKCS#11 failure in words: the function and the CKR_ name, never an argument (a PIN). */
function p11Error(what: string, err: unknown): TrailproofError {
  const text = err instanceof Error ? err.message : String(err);
  const ckr = /CKR_[A-Z_]+/.exec(text)?.[0] ?? 'an error';
  return keysError(`PKCS#11 ${what} failed: ${ckr}`);
}

const trim = (s: string): string => s.replace(/[\s\u0000]+$/, '');

/** The PIN: inline (`pin-value`, or the one registered), else the file `pin-source` names (0600). */
async function pinOf(uri: Pkcs11Uri, registered: string | undefined): Promise<string | undefined> {
  if (registered !== undefined) return registered;
  if (uri.pinValue !== undefined) return uri.pinValue;
  if (uri.pinSource === undefined) return undefined;
  const path = uri.pinSource.replace(/^file:/, '');
  // A secret file's rules (a regular file only its owner may read, at most 4 KiB), read through one descriptor.
  const text = await readSecretFile(path, 'The PIN file (pin-source)', 4096);
  return text.replace(/\r?\n$/, '');
}

/** The slots whose token matches the URI's token attributes (RFC 7512 §3.3: every given attribute). */
function matchingSlots(p11: Pkcs11Module.PKCS11, uri: Pkcs11Uri): Pkcs11Module.Handle[] {
  const slots = p11.C_GetSlotList(true);
  return slots.filter((slot) => {
    if (uri.path['slot-id'] !== undefined && BigInt(`0x${Buffer.from(slot).reverse().toString('hex') || '0'}`) !== BigInt(uri.path['slot-id'])) {
      return false;
    }
    const t = p11.C_GetTokenInfo(slot);
    const want: Array<[string | undefined, string]> = [
      [uri.path.token, t.label],
      [uri.path.manufacturer, t.manufacturerID],
      [uri.path.serial, t.serialNumber],
      [uri.path.model, t.model],
    ];
    return want.every(([w, have]) => w === undefined || w === trim(have));
  });
}

/** Opens the private key a PKCS#11 URI names: exactly one RSA private key must match. */
export async function openPkcs11Signer(uriText: string, registeredPin: string | undefined): Promise<KeySigner> {
  const uri = parsePkcs11Uri(uriText);
  const lib = await loadPkcs11js();
  const p11 = await openModule(lib, uri.modulePath);
  const pin = await pinOf(uri, registeredPin);
  let slots: Pkcs11Module.Handle[];
  try {
    slots = matchingSlots(p11, uri);
  } catch (err) {
    throw p11Error('C_GetSlotList', err);
  }
  if (slots.length === 0) throw keysError('No PKCS#11 token matches the key URI (token, serial, model, manufacturer, slot-id)');
  if (slots.length > 1) throw keysError(`${slots.length} PKCS#11 tokens match the key URI: name the token (token= or serial=)`);
  let session: Pkcs11Module.Handle;
  try {
    session = p11.C_OpenSession(slots[0]!, lib.CKF_SERIAL_SESSION);
  } catch (err) {
    throw p11Error('C_OpenSession', err);
  }
  if (pin !== undefined) {
    try {
      p11.C_Login(session, lib.CKU_USER, pin);
    } catch (err) {
      if ((err as { code?: number }).code !== lib.CKR_USER_ALREADY_LOGGED_IN) {
        p11.C_CloseSession(session);
        throw p11Error('C_Login (the PIN)', err);
      }
    }
  }
  const template: Pkcs11Module.Template = [
    { type: lib.CKA_CLASS, value: lib.CKO_PRIVATE_KEY },
    { type: lib.CKA_KEY_TYPE, value: lib.CKK_RSA },
  ];
  if (uri.path.object !== undefined) template.push({ type: lib.CKA_LABEL, value: uri.path.object });
  if (uri.idBytes !== undefined) template.push({ type: lib.CKA_ID, value: Buffer.from(uri.idBytes) });
  let found: Pkcs11Module.Handle[];
  try {
    p11.C_FindObjectsInit(session, template);
    found = p11.C_FindObjects(session, 2);
    p11.C_FindObjectsFinal(session);
  } catch (err) {
    p11.C_CloseSession(session);
    throw p11Error('C_FindObjects', err);
  }
  if (found.length !== 1) {
    p11.C_CloseSession(session);
    throw keysError(
      found.length === 0
        ? 'No RSA private key on the token matches the key URI (object=, id=); is the PIN given (pin-source or pin-value)?'
        : 'Several RSA private keys match the key URI: name one with object= and id=',
    );
  }
  const key = found[0]!;
  let der: Uint8Array;
  try {
    const [n, e] = p11.C_GetAttributeValue(session, key, [{ type: lib.CKA_MODULUS }, { type: lib.CKA_PUBLIC_EXPONENT }]);
    const b64 = (v: unknown): string => Buffer.from(v as Buffer).toString('base64url');
    der = new Uint8Array(createPublicKey({ key: { kty: 'RSA', n: b64(n!.value), e: b64(e!.value) }, format: 'jwk' }).export({ type: 'pkcs1', format: 'der' }));
  } catch (err) {
    p11.C_CloseSession(session);
    throw err instanceof TrailproofError ? err : keysError('The PKCS#11 key does not give its public half (CKA_MODULUS, CKA_PUBLIC_EXPONENT)');
  }
  // One operation at a time per session (PKCS#11 §5.6): signs queue up.
  let turn: Promise<unknown> = Promise.resolve();
  const signOnce = (data: Uint8Array): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      try {
        p11.C_SignInit(session, { mechanism: lib.CKM_SHA256_RSA_PKCS }, key);
      } catch (err) {
        reject(p11Error('C_SignInit (CKM_SHA256_RSA_PKCS)', err));
        return;
      }
      p11.C_Sign(session, Buffer.from(data), Buffer.alloc(1024), (err, signature) => {
        if (err) reject(p11Error('C_Sign', err));
        else resolve(new Uint8Array(signature));
      });
    });
  return {
    publicKeyDer: async () => der,
    sign: (data) => {
      const result = turn.then(() => signOnce(data));
      turn = result.catch(() => undefined);
      return result;
    },
    close: async () => {
      await turn;
      try {
        p11.C_CloseSession(session);
      } catch {
        // already closed with the module
      }
    },
  };
}

import { TrailproofError } from '../errors.js';
import { loadPkcs1PublicKey } from '../crypto/rsa.js';
import { md5Hex } from '../crypto/hash.js';
import { formatDisplay, nowMicros, parseDate } from '../format/time.js';
import type { KeyBackendRef, KeyBackends, KeySigner } from '../keys/backend.js';
import { signChecked } from '../keys/key-signers.js';
import { checkRegion, DEFAULT_VALIDITY_DAYS, KeyStore } from '../keys/keystore.js';
import { formatPkcs11Uri, parsePkcs11Uri } from '../keys/pkcs11-uri.js';
import { positiveInt, str, usageError, type ParsedArgs } from './args.js';
import { shellQuote } from './sign-safety.js';

/**
 * `trailproof keys register`: adds a key held by an HSM (PKCS#11 URI) or AWS KMS to a region's
 * schedule. The key is opened, its public half read, and a probe signed and verified before the
 * record is written: a wrong PIN, key or mechanism fails here, not at the first hourly run.
 */
export async function registerKey(args: ParsedArgs, backends: KeyBackends, out: (t: string) => void, err: (t: string) => void): Promise<number> {
  const dir = str(args, 'keys-dir')!;
  const region = checkRegion(str(args, 'region')!);
  const uriText = str(args, 'pkcs11');
  const kmsKeyId = str(args, 'kms-key-id');
  if ((uriText === undefined) === (kmsKeyId === undefined)) throw usageError('keys register: give exactly one of --pkcs11 URI or --kms-key-id ARN');
  const validity = positiveInt(args, 'validity-days', 3650) ?? DEFAULT_VALIDITY_DAYS;
  const fromText = str(args, 'valid-from');
  const from = fromText ? parseDate(fromText).clock : nowMicros();

  let backend: KeyBackendRef;
  let pin: string | undefined;
  let signer: KeySigner;
  if (uriText !== undefined) {
    const uri = parsePkcs11Uri(uriText);
    pin = uri.pinValue;
    backend = { type: 'pkcs11', uri: formatPkcs11Uri(uri, { withPin: false }) };
    signer = await backends.pkcs11!(backend.uri, pin);
  } else {
    backend = { type: 'kms', keyId: kmsKeyId! };
    signer = await backends.kms!(kmsKeyId!);
  }
  let der: Uint8Array;
  try {
    der = await signer.publicKeyDer();
    const pub = loadPkcs1PublicKey(der);
    if (pub.size < 256) throw new TrailproofError('keys', `The key is RSA-${pub.size * 8}: CloudTrail digests are signed with RSA-2048 (or larger)`);
    const probe = { region, fingerprint: md5Hex(der), value: Buffer.from(der).toString('base64'), validFrom: from, validTo: from, rotateAt: from, backend };
    await signChecked(signer, probe, Buffer.from(`trailproof keys register probe ${formatDisplay(nowMicros())}`));
  } finally {
    await signer.close?.();
  }
  const store = new KeyStore(dir);
  const k = await store.register(region, backend, der, from, validity, pin);
  const where = backend.type === 'pkcs11' ? `PKCS#11 ${backend.uri}` : `AWS KMS ${backend.keyId}`;
  out(`${region}\t${k.fingerprint}\tvalid ${formatDisplay(k.validFrom)} to ${formatDisplay(k.validTo)}\t${where}\n`);
  if (pin !== undefined)
    err(`notice: the PIN given in the URI is kept in ${dir}/${region}/${k.fingerprint}.pin (mode 0600); pin-source=file:/path keeps it out of the key store\n`);
  err(
    `registered key ${k.fingerprint} for ${region}, valid from ${formatDisplay(k.validFrom)} to ${formatDisplay(k.validTo)}: ` +
      `publish it with trailproof list-public-keys --keys-dir ${shellQuote(dir)} --start-time ${formatDisplay(k.validFrom)} --end-time ${formatDisplay(k.validTo)}\n`,
  );
  return 0;
}

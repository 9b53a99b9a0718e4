import { constants, createHash, createPublicKey, generateKeyPairSync, privateEncrypt, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';

/**
 * A local stand-in for AWS KMS: the JSON 1.1 protocol (`X-Amz-Target: TrentService.<Operation>`,
 * `application/x-amz-json-1.1`) for the two operations the signer uses, GetPublicKey and Sign
 * (RSASSA_PKCS1_V1_5_SHA_256 over a 32-byte DIGEST), with keys held here. It checks what the SDK
 * sends (a SigV4 Authorization header, the target, the fields) and answers as KMS documents; errors
 * as `{"__type": ..., "message": ...}` with status 400. This is what the KMS tests cover: the SDK path,
 * request and answer shapes, and trailproof's checks, not AWS KMS itself.
 */
export interface KmsKey {
  readonly arn: string;
  readonly privateKey: KeyObject;
  readonly keySpec: string;
  readonly keyUsage: string;
}

export interface LocalKms {
  readonly endpoint: string;
  readonly keys: Map<string, KmsKey>;
  /** 'bad-signature': Sign answers with a flipped byte; 'deny': every call is AccessDeniedException. */
  mode: 'ok' | 'bad-signature' | 'deny';
  readonly calls: string[];
  addRsaKey(id: string, options?: { keySpec?: string; keyUsage?: string }): KmsKey;
  close(): Promise<void>;
}

/** DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1): what PKCS#1 v1.5 signs before the hash. */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export async function startLocalKms(): Promise<LocalKms> {
  const keys = new Map<string, KmsKey>();
  const calls: string[] = [];
  const kms: LocalKms = {
    endpoint: '',
    keys,
    mode: 'ok',
    calls,
    addRsaKey(id, o = {}) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = { arn: `arn:aws:kms:us-east-1:111122223333:key/${id}`, privateKey, keySpec: o.keySpec ?? 'RSA_2048', keyUsage: o.keyUsage ?? 'SIGN_VERIFY' };
      keys.set(key.arn, key);
      keys.set(id, key);
      return key;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown): void => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': createHash('md5').update(String(Math.random())).digest('hex'),
        });
        res.end(JSON.stringify(body));
      };
      const fail = (type: string, message: string): void => answer(400, { __type: type, message });
      const target = String(req.headers['x-amz-target'] ?? '');
      calls.push(target);
      if (req.method !== 'POST' || !/^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? '')))
        return fail('IncompleteSignature', 'not signed');
      if (kms.mode === 'deny') return fail('AccessDeniedException', 'User is not authorized to perform: kms:' + target.split('.')[1]);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return fail('SerializationException', 'bad JSON');
      }
      const key = keys.get(String(body.KeyId));
      if (!key) return fail('NotFoundException', `Key '${String(body.KeyId)}' does not exist`);
      if (target === 'TrentService.GetPublicKey') {
        return answer(200, {
          KeyId: key.arn,
          KeySpec: key.keySpec,
          KeyUsage: key.keyUsage,
          // SubjectPublicKeyInfo, as KMS returns it.
          PublicKey: createPublicKey(key.privateKey).export({ type: 'spki', format: 'der' }).toString('base64'),
          SigningAlgorithms: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PSS_SHA_256'],
        });
      }
      if (target === 'TrentService.Sign') {
        if (body.SigningAlgorithm !== 'RSASSA_PKCS1_V1_5_SHA_256' || body.MessageType !== 'DIGEST')
          return fail('ValidationException', 'unexpected algorithm or message type');
        const digest = Buffer.from(String(body.Message), 'base64');
        if (digest.length !== 32) return fail('ValidationException', 'Digest is invalid length for algorithm RSASSA_PKCS1_V1_5_SHA_256.');
        const signature = privateEncrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]));
        if (kms.mode === 'bad-signature') signature[10] = signature[10]! ^ 1;
        return answer(200, { KeyId: key.arn, Signature: signature.toString('base64'), SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' });
      }
      return fail('UnknownOperationException', target);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  (kms as { endpoint: string }).endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return kms;
}

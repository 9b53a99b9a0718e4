// The digests' floor (bench/audit.mjs): the least work any audit must add to the ceiling's, done
// with bare node:fs/zlib/crypto calls on one thread and nothing else: one listing of the bucket
// (every folder read), and for every digest: read it and its metadata sidecar, gunzip, JSON.parse,
// SHA-256, and the RSA check of its signature over CloudTrail's data-signing string with the key its
// fingerprint names. The ceiling itself covers the log files. No chain logic, no findings, no report.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

function listAll(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) listAll(join(dir, e.name), out);
    else out.n++;
  }
  return out;
}

/** The public keys of a key store folder (`<region>/<fingerprint>.key.pem`), by fingerprint. */
export function loadKeys(keysDir) {
  const keys = new Map();
  for (const region of readdirSync(keysDir)) {
    for (const f of readdirSync(join(keysDir, region))) {
      if (!f.endsWith('.key.pem')) continue;
      keys.set(f.slice(0, -'.key.pem'.length), createPublicKey(readFileSync(join(keysDir, region, f), 'utf8')));
    }
  }
  return keys;
}

/**
 * One pass: { ms, cpuMs, listed, digests, verified } (cpuMs: this process, which runs nothing else
 * meanwhile). `verified` must equal `digests` on a clean archive (the caller checks).
 */
export function runFloor({ bucketDir, digestPaths, keys }) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const { n: listed } = listAll(bucketDir, { n: 0 });
  let verified = 0;
  for (const path of digestPaths) {
    const gz = readFileSync(path);
    const meta = JSON.parse(readFileSync(`${path}.metadata.json`, 'utf8'));
    const raw = gunzipSync(gz);
    const d = JSON.parse(raw.toString('utf8'));
    const hash = createHash('sha256').update(raw).digest('hex');
    const data = `${d.digestEndTime}\n${d.digestS3Bucket}/${d.digestS3Object}\n${hash}\n${d.previousDigestSignature}`;
    const key = keys.get(d.digestPublicKeyFingerprint);
    if (key && verify('sha256', Buffer.from(data), key, Buffer.from(meta.signature, 'hex'))) verified++;
  }
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, listed, digests: digestPaths.length, verified };
}

// The AWS CLI itself as the one-at-a-time reference (issue 15), when `aws` is on the PATH:
// `aws cloudtrail validate-logs` against the same bucket, with ListPublicKeys answered by a stand-in
// for CloudTrail on 127.0.0.1 (the keys of the bench's key store, from `trailproof list-public-keys`).
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { checkedCli, iso } from './common.mjs';

/** `aws --version`, or undefined when there is no usable AWS CLI. */
export function awsCliVersion() {
  const r = spawnSync('aws', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim().split(' ')[0] : undefined;
}

/** A CloudTrail stand-in that answers every request with the key store's ListPublicKeys. */
export async function startKeysEndpoint(keysDir, start, end) {
  const keys = (await checkedCli(['list-public-keys', '--keys-dir', keysDir, '--start-time', iso(start), '--end-time', iso(end)], 'list-public-keys')).stdout;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(keys);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/**
 * `aws cloudtrail validate-logs` over [start, end] with S3 at `s3Endpoint`. Resolves with
 * { ms, code, stdout, stderr } (wall time of the whole process, Python start-up included).
 */
export function runAwsCli({ arn, bucket, start, end, s3Endpoint, cloudTrailEndpoint, region }) {
  const args = ['cloudtrail', 'validate-logs', '--trail-arn', arn, '--s3-bucket', bucket, '--start-time', iso(start), '--end-time', iso(end)];
  args.push('--endpoint-url', cloudTrailEndpoint, '--region', region);
  const env = { ...process.env, AWS_ENDPOINT_URL_S3: s3Endpoint, AWS_PAGER: '' };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('aws', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ ms: performance.now() - t0, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

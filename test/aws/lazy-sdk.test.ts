import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/**
 * The AWS SDK lives in src/aws/ and is loaded only on first use: a local run never loads it (README
 * "S3"). Seen from outside, in the built CLI: a module hook records every SDK specifier resolved.
 */
const PRELOAD = join(ROOT, 'test', 'helpers', 'sdk-imports-preload.mjs');
const CASE = join(ROOT, 'test', 'vectors', 'clean');
const spec = JSON.parse(readFileSync(join(CASE, 'expected', 'default.args.json'), 'utf8')) as { args: string[]; local_root: string; public_keys: string };

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The CLI's result and the SDK specifiers it resolved. */
function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; out: string; err: string; sdk: string[] } {
  const dir = tempDir('trailproof-sdk-');
  cleanups.push(dir.cleanup);
  const file = join(dir.path, 'imports.txt');
  writeFileSync(file, '');
  const r = runCli(args, { env: { ...env, NODE_OPTIONS: `--import=${PRELOAD}`, TRAILPROOF_TEST_SDK_IMPORTS: file } });
  const sdk = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];
  return { status: r.status, out: r.out, err: r.err, sdk };
}

describe('the AWS SDK is loaded lazily', () => {
  it('validate-logs --local-root loads no @aws-sdk module, and its report is the reference one', () => {
    const r = run(['validate-logs', ...spec.args, '--local-root', join(CASE, spec.local_root), '--public-keys', join(CASE, spec.public_keys)]);
    expect(r.out).toBe(readFileSync(join(CASE, 'expected', 'default.stdout'), 'utf8'));
    expect(r.status).toBe(Number(readFileSync(join(CASE, 'expected', 'default.rc'), 'utf8')));
    expect(r.sdk).toEqual([]);
  });

  it('the same run from S3 does load it (the hook sees SDK imports)', () => {
    // A closed port: the run stops with the AWS CLI's connection error, after the SDK has loaded.
    const r = run(
      ['validate-logs', ...spec.args, '--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1', '--public-keys', join(CASE, spec.public_keys)],
      { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: '', AWS_PROFILE: '' },
    );
    expect(r.status).toBe(255);
    expect(r.err).toContain('Could not connect to the endpoint URL');
    expect(r.sdk).toContain('@aws-sdk/client-s3');
  });
});

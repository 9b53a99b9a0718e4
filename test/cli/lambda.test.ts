import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_KEYS } from '../../src/cli/demo.js';
import { signHandler } from '../../src/cli/lambda.js';
import { parseDate } from '../../src/format/time.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/** The Lambda handler (`trailproof/lambda`): one sign run per invocation, its key store copied to a writable folder. */
const BUCKET = 'lambda-bucket';
const ACCOUNT = '111122223333';
let dir: { path: string; cleanup: () => void };
let root: string;

beforeAll(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  await simulateDelivery(new LocalStore(root), {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: parseDate('2024-05-01T00:00:00Z').clock,
    hours: 2,
    filesPerHour: 1,
    recordsPerFile: 2,
    seed: 'lambda',
  });
});
afterAll(() => dir?.cleanup());

describe('the Lambda handler', () => {
  const env = () => ({
    TRAILPROOF_KEYS_DIR: TEST_KEYS,
    TRAILPROOF_WORK_DIR: dir.path,
    TRAILPROOF_SIGN_ARGS: JSON.stringify([
      '--trail-arn',
      `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/l`,
      '--s3-bucket',
      BUCKET,
      '--local-root',
      root,
      '--until',
      '2024-05-01T02:00:00Z',
    ]),
  });

  it('signs with the arguments of TRAILPROOF_SIGN_ARGS and a writable copy of the bundled key store', async () => {
    const r = await signHandler(undefined, env());
    expect(r.stdout).toBe(`${ACCOUNT} us-east-1: signed 2 digests (2 log files) from 2024-05-01T00:00:00Z to 2024-05-01T02:00:00Z\n`);
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(dir.path, 'trailproof-keys', 'us-east-1'))).toBe(true);
    expect(readdirSync(join(TEST_KEYS)).includes('.locks')).toBe(false); // the bundled store is never written
    const again = await signHandler(undefined, env());
    expect(again.stdout).toBe(`${ACCOUNT} us-east-1: nothing to sign\n`);
  });

  it("takes the event's args, and throws (the invocation fails) when the run does not end with 0", async () => {
    await expect(signHandler({ args: ['--trail-arn', 'nope'] }, env())).rejects.toThrow(/^trailproof sign exited with 2: /);
    await expect(signHandler(undefined, {})).rejects.toThrow(/TRAILPROOF_SIGN_ARGS/);
    await expect(signHandler(undefined, { TRAILPROOF_SIGN_ARGS: '{"a":1}' })).rejects.toThrow(/array of strings/);
  });
});

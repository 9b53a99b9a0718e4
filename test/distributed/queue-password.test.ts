import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli-async.js';
import { buildOrgArchive, localAuditArgs, type OrgArchive } from '../helpers/org-archive.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';

/**
 * A Redis with a password, the password given in TRAILPROOF_REDIS_PASSWORD rather than in the
 * `--queue` URL: the command line is readable by every user of the machine (`ps`), the environment
 * only by the process's own (review). It is never printed either way.
 */
const PASSWORD = 'Queue-Pass-0f-The-Test';
let redis: TestRedis;
let a: OrgArchive;

beforeAll(async () => {
  if (lacks('redis')) return;
  redis = await startRedis({ password: PASSWORD });
  a = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 2, filesPerHour: 1, recordsPerFile: 1 });
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  a?.cleanup();
});

const env = { TRAILPROOF_REDIS_PASSWORD: PASSWORD };
const queue = () => ['--queue', redis.url, '--queue-key', redis.keyFile];

describe.skipIf(lacks('redis'))('the Redis password from TRAILPROOF_REDIS_PASSWORD', () => {
  it('a coordinator and a worker given it in their environment: the audit runs (exit 0), the password printed nowhere', async () => {
    const w = startCli(['worker', ...queue()], { timeout: 60_000, env });
    try {
      const r = await startCli([...localAuditArgs(a), ...queue(), '--segment-hours', '1', '--queue-check-ms', '200'], { timeout: 60_000, env }).done;
      expect(r.status, r.err).toBe(0);
      expect(r.out + r.err).not.toContain(PASSWORD);
    } finally {
      w.child.kill('SIGTERM');
      const done = await w.done;
      expect(done.out + done.err).not.toContain(PASSWORD);
    }
  }, 60_000);

  it('without it: the server refuses, the worker stops with one line (exit 255)', async () => {
    const r = await startCli(['worker', ...queue()], { timeout: 30_000, env: { TRAILPROOF_REDIS_PASSWORD: '' } }).done;
    expect(r.status, r.err).toBe(255);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  }, 30_000);
});

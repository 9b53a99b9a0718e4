import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli-async.js';
import { demoAuditArgs, runCli, tempDir } from '../helpers/cli.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';
import { join } from 'node:path';

/**
 * A --queue URL whose credentials Redis refuses (a wrong user or password: a CLI
 * argument, hostile input like any other). ioredis reconnects without end on WRONGPASS: the
 * coordinator's timeout fired, but its clean-up then waited forever for the connections to close,
 * and a worker waited forever before its first line, deaf to SIGTERM. Each must stop with one
 * line (no password in it) and a non-zero exit.
 */
let redis: TestRedis;
let dir: { path: string; cleanup: () => void };
const SECRET = 'Sup3rS3cretPassw0rd';

beforeAll(async () => {
  dir = tempDir();
  expect(runCli(['demo', '--dir', join(dir.path, 'd')]).status).toBe(0);
  if (!lacks('redis')) redis = await startRedis();
}, 60_000);
afterAll(async () => {
  await redis?.stop();
  dir?.cleanup();
});

const badUrl = () => `redis://nobody:${SECRET}@127.0.0.1:${redis.port}/0`;

async function finishes(run: ReturnType<typeof startCli>, ms: number): Promise<Awaited<ReturnType<typeof startCli>['done']>> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  const r = await run.done;
  clearTimeout(timer);
  return r;
}

describe.skipIf(lacks('redis'))('a queue URL with credentials Redis refuses', () => {
  it('the coordinator stops: exit 255, one line, no password', async () => {
    const r = await finishes(
      startCli([...demoAuditArgs(join(dir.path, 'd')), '--queue', badUrl(), '--queue-key', redis.keyFile, '--queue-timeout', '2'], { timeout: 60_000 }),
      20_000,
    );
    expect(r.status, r.err).toBe(255);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err + r.out).not.toContain(SECRET);
  }, 30_000);

  it('a worker stops: non-zero, one line, no password', async () => {
    const r = await finishes(startCli(['worker', '--queue', badUrl(), '--queue-key', redis.keyFile], { timeout: 60_000 }), 20_000);
    expect(r.status, r.err).toBe(255);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/refused/);
    expect(r.err + r.out).not.toContain(SECRET);
  }, 30_000);
});

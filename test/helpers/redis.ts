import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real redis-server (Debian's /usr/bin/redis-server) for a test file: on a free loopback port,
 * in a temporary folder, without persistence unless asked (appendonly, for the restart test).
 * `stop()` ends it (and removes the folder); `restart()` starts it again on the same port and
 * folder (with persistence the data survives, as after a Redis restart in production).
 */
export const REDIS_SERVER = '/usr/bin/redis-server';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** A queue key only its owner may read, made with the server (in its folder). */
  readonly keyFile: string;
  /** `--queue URL --queue-key FILE`: what a coordinator and its workers are given. */
  readonly queue: readonly string[];
  /** SIGTERM (a clean shutdown: with persistence, the data is written) and wait. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    // A server with a password answers NOAUTH: up all the same.
    s.once('data', (d) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
  });
}

export async function startRedis(o: { persist?: boolean; password?: string } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'trailproof-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', o.persist ? 'yes' : 'no', '--daemonize', 'no'];
    if (o.persist) args.push('--appendfsync', 'always');
    if (o.password !== undefined) args.push('--requirepass', o.password);
    child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await launch();
  const keyFile = join(dir, 'queue.key');
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  const url = `redis://127.0.0.1:${port}/0`;
  return {
    port,
    url,
    keyFile,
    queue: ['--queue', url, '--queue-key', keyFile],
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

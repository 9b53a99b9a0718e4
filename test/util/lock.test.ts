import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, isStale, releaseAllLocks, type LockHolder } from '../../src/util/lock.js';
import { ROOT, tempDir } from '../helpers/cli.js';

const TS_SOURCES = join(ROOT, 'test', 'helpers', 'ts-sources-preload.mjs');

function startNode(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
  });
}

let dir: { path: string; cleanup: () => void };
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

let n = 0;
const fresh = (): string => join(dir.path, `locks-${n++}`, 'a.lock');

function holder(pid: number, host = hostname()): LockHolder {
  return { pid, host, since: new Date().toISOString(), start: null, token: `t${pid}`, what: 'test' };
}

function writeHolder(path: string, h: LockHolder): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(h));
}

/** A pid that is no process any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  return r.pid!;
}

describe('acquireLock', () => {
  it('creates the lock file with its holder, and removes it on release', async () => {
    const path = fresh();
    const lock = await acquireLock(path, { what: 'the test chain', waitMs: 0 });
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    expect(h).toMatchObject({ pid: process.pid, host: hostname(), what: 'the test chain' });
    expect(readdirSync(join(path, '..'))).toEqual(['a.lock']); // no temporary file left beside it
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it('gives one path to one holder at a time within a process, in order', async () => {
    const path = fresh();
    const order: string[] = [];
    const take = async (name: string): Promise<void> => {
      const lock = await acquireLock(path, { what: 't', waitMs: 0 });
      order.push(`${name}+`);
      await new Promise((r) => setTimeout(r, 5));
      order.push(`${name}-`);
      await lock.release();
    };
    await Promise.all([take('a'), take('b'), take('c')]);
    expect(order).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  });

  it('refuses at once (waitMs 0) when a live process of this host holds it, naming the holder', async () => {
    const path = fresh();
    writeHolder(path, holder(process.ppid));
    let waited = false;
    await expect(acquireLock(path, { what: 'the chain X', waitMs: 0, onWait: () => (waited = true) })).rejects.toThrow(
      new RegExp(`Another signer holds the lock of the chain X \\(pid ${process.ppid} on `),
    );
    expect(waited).toBe(false);
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.ppid); // left alone
  });

  it('waits for a live holder, says so once, and takes the lock when it is released', async () => {
    const path = fresh();
    writeHolder(path, holder(process.ppid)); // another live process of this host
    const waits: Array<LockHolder | null> = [];
    const later = acquireLock(path, { what: 't', waitMs: 120_000, onWait: (h) => waits.push(h) });
    while (waits.length === 0) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300)); // a few more polls: still told once
    expect(waits.map((w) => w?.pid)).toEqual([process.ppid]);
    unlinkSync(path); // the holder is done
    const lock = await later;
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    expect(waits).toHaveLength(1);
    await lock.release();
  });

  it('takes over a lock whose holder died on this host', async () => {
    const path = fresh();
    const dead = deadPid();
    writeHolder(path, holder(dead));
    expect(isStale(holder(dead))).toBe(true);
    const lock = await acquireLock(path, { what: 't', waitMs: 0 });
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock naming this pid that this process does not hold (an earlier process with the same pid)', async () => {
    const path = fresh();
    writeHolder(path, holder(process.pid));
    const lock = await acquireLock(path, { what: 't', waitMs: 0 });
    expect(JSON.parse(readFileSync(path, 'utf8')).token).not.toBe(`t${process.pid}`);
    await lock.release();
  });

  it('never takes over a lock held on another host: it says where to remove it', async () => {
    const path = fresh();
    writeHolder(path, holder(deadPid(), 'some-other-host'));
    expect(isStale(holder(1, 'some-other-host'))).toBe(false);
    await expect(acquireLock(path, { what: 't', waitMs: 0 })).rejects.toThrow(`remove ${path} if no signer runs on some-other-host`);
  });

  it('stops waiting when its signal aborts', async () => {
    const path = fresh();
    writeHolder(path, holder(process.ppid));
    const controller = new AbortController();
    const waiting = acquireLock(path, { what: 't', waitMs: 600_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(waiting).rejects.toThrow(/interrupted/);
  });

  it('across processes: a stale lock is taken over by one, and holders never overlap', async () => {
    const path = fresh();
    writeHolder(path, holder(deadPid()));
    // Each child takes the lock (waiting for the others) and, while it holds it, owns a marker file
    // created exclusively: a second holder at the same time fails to create it (no clocks compared).
    const child = `
      const { acquireLock } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'util', 'lock.ts')).href)});
      const { open, unlink } = await import('node:fs/promises');
      const lock = await acquireLock(process.argv[1], { what: 't', waitMs: 60000 });
      const marker = await open(process.argv[1] + '.inside', 'wx');
      await new Promise((r) => setTimeout(r, 150));
      await marker.close();
      await unlink(process.argv[1] + '.inside');
      await lock.release();
      console.log('held');`;
    // The children run the sources (test/helpers/ts-sources-preload.mjs), as this process does.
    const runs = Array.from({ length: 4 }, () => startNode(['--import', TS_SOURCES, '--input-type=module', '-e', child, path]));
    expect(await Promise.all(runs)).toEqual(['held\n', 'held\n', 'held\n', 'held\n']);
    expect(existsSync(path)).toBe(false);
  }, 120_000);

  it('a process that exits in the middle of a release (an interrupt) leaves nothing in the lock folder', async () => {
    const path = fresh();
    // The release moves the lock aside, reads it back, then removes it: each step a turn of the event
    // loop. The child exits at the first turn after the move (the lock's own name is gone, the moved
    // file not yet removed); the exit hook must remove what the release had not.
    const child = `
      const { acquireLock } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src', 'util', 'lock.ts')).href)});
      const { existsSync, readdirSync } = await import('node:fs');
      const { dirname } = await import('node:path');
      const lock = await acquireLock(process.argv[1], { what: 't', waitMs: 0 });
      void lock.release();
      const poll = () => {
        if (existsSync(process.argv[1])) return setImmediate(poll);
        console.log(readdirSync(dirname(process.argv[1])).filter((f) => f.endsWith('.gone')).length);
        process.exit(0);
      };
      poll();`;
    // The child caught the release half-way (one moved-aside file), and the folder is empty after it.
    expect(await startNode(['--import', TS_SOURCES, '--input-type=module', '-e', child, path])).toBe('1\n');
    expect(readdirSync(join(path, '..')).filter((f) => !f.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('releaseAllLocks removes every lock this process holds', async () => {
    const a = fresh();
    const b = fresh();
    await acquireLock(a, { what: 't', waitMs: 0 });
    await acquireLock(b, { what: 't', waitMs: 0 });
    await releaseAllLocks();
    expect(existsSync(a) || existsSync(b)).toBe(false);
  });
});

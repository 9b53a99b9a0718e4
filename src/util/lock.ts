import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { TrailproofError } from '../errors.js';

/**
 * A cross-process lock: one file created atomically (written whole beside it, then hard-linked to
 * its name, which fails when the name exists: O_EXCL semantics without a half-written lock). The
 * file says who holds it (pid, host, process start, time), so that a lock left by a process that
 * died on this host is taken over, and one held elsewhere names its holder.
 *
 * Taking over a stale lock happens under a second, short-lived lock (`<name>.break`), and only if
 * the file is still the very one judged stale (same token): two waiters that both see a dead holder
 * cannot remove each other's fresh lock. No dependency (proper-lockfile decides staleness by an
 * mtime its holder must keep refreshing; the pid of a signer on this host says more, at once).
 *
 * Within one process the same path is taken in turn (a queue per path), never twice at once.
 */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** When the lock was taken (ISO 8601). */
  readonly since: string;
  /** The holder's start time as the kernel counts it (Linux /proc), to tell a reused pid. */
  readonly start: string | null;
  readonly token: string;
  /** What the lock protects, for people reading the file. */
  readonly what: string;
}

export interface LockOptions {
  /** How long to wait for a live holder, in milliseconds (0: do not wait). */
  readonly waitMs: number;
  /** Said once when the lock is found held and waiting begins. */
  readonly onWait?: ((holder: LockHolder | null) => void) | undefined;
  /** What the lock protects (written into the file, and named in messages). */
  readonly what: string;
  /** Stops waiting (an interrupt). */
  readonly signal?: AbortSignal | undefined;
}

const POLL_MS = 100;
/** A `.break` lock is held for a few file operations; one this old was left by a crash. */
const BREAK_STALE_MS = 10_000;

const held = new Map<string, string>(); // path -> token, for release on exit
const asides = new Map<string, string>(); // a lock being released, moved aside -> token (removed on exit too)
/** Tokens of this process's locks, held or being created (never stale to this process). */
const ours = new Set<string>();
const queues = new Map<string, Promise<void>>();
let exitHookInstalled = false;

function procStart(pid: number): string | null {
  try {
    // Field 22 (starttime), after the command name in parentheses (which may hold spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function parseHolder(text: string): LockHolder | null {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string' || typeof v.token !== 'string' || typeof v.since !== 'string') return null;
    return {
      pid: v.pid,
      host: v.host,
      since: v.since,
      start: typeof v.start === 'string' ? v.start : null,
      token: v.token,
      what: typeof v.what === 'string' ? v.what : '',
    };
  } catch {
    return null;
  }
}

async function readHolder(path: string): Promise<LockHolder | null | 'absent'> {
  try {
    return parseHolder(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

/**
 * A holder on this host whose process is gone (or whose pid now belongs to another process). A
 * file naming this very process that it does not hold (the in-process queue lets one holder at a
 * time) was left by an earlier process with the same pid (a container restarted).
 */
export function isStale(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return false; // cannot tell: another machine's process
  if (holder.pid === process.pid) return !ours.has(holder.token);
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
  }
  const start = procStart(holder.pid);
  return holder.start !== null && start !== null && start !== holder.start;
}

/** Creates `path` holding `body`, atomically; false when it already exists. */
async function createExclusive(path: string, body: string): Promise<boolean> {
  const tmp = join(dirname(path), `.${randomBytes(8).toString('hex')}.lock-tmp`);
  await writeFile(tmp, body, { mode: 0o600 });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Removes `path` only if it still holds `token` (moved aside first, so the check and the removal are one). */
async function removeIfToken(path: string, token: string): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.gone`;
  asides.set(aside, token);
  try {
    await rename(path, aside);
  } catch {
    asides.delete(aside);
    return;
  }
  const holder = await readHolder(aside).catch(() => null);
  if (holder !== 'absent' && holder !== null && holder.token !== token) {
    // Someone else's lock (taken between our read and the move): put it back, unless taken again since.
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
  asides.delete(aside);
}

function holderBody(token: string, what: string): string {
  const h: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString(), start: procStart(process.pid), token, what };
  return `${JSON.stringify(h, null, 2)}\n`;
}

/** Takes over a stale lock: under `<path>.break`, and only if the file is still `stale`'s. */
async function breakStale(path: string, stale: LockHolder): Promise<void> {
  const breakPath = `${path}.break`;
  const token = randomBytes(12).toString('hex');
  if (!(await createExclusive(breakPath, holderBody(token, `taking over ${path}`)))) {
    const info = await stat(breakPath).catch(() => null);
    if (info && Date.now() - info.mtimeMs > BREAK_STALE_MS) {
      const other = await readHolder(breakPath).catch(() => null);
      if (other !== 'absent' && other !== null) await removeIfToken(breakPath, other.token);
    }
    return; // the caller tries again
  }
  try {
    const now = await readHolder(path);
    if (now !== 'absent' && now !== null && now.token === stale.token) await removeIfToken(path, stale.token);
  } finally {
    await removeIfToken(breakPath, token);
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).catch(() => undefined);

export function describeHolder(h: LockHolder | null): string {
  return h ? `pid ${h.pid} on ${h.host}, since ${h.since}` : 'holder unknown';
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Whatever ends the process (process.exit after an error, an interrupt): our locks go with it.
  process.on('exit', () => {
    for (const [path, token] of [...held, ...asides]) {
      try {
        const h = parseHolder(readFileSync(path, 'utf8'));
        if (h?.token === token) unlinkSync(path);
      } catch {
        // already gone
      }
    }
  });
}

export interface HeldLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the lock at `path` (its folder is made 0700 if missing), waiting up to `waitMs` for a live
 * holder; a stale holder on this host is taken over. Throws TrailproofError('signer') naming the
 * holder when the wait runs out, and when `signal` aborts.
 */
export async function acquireLock(path: string, options: LockOptions): Promise<HeldLock> {
  // In-process: one holder of a path at a time, in order.
  const previous = queues.get(path) ?? Promise.resolve();
  let releaseTurn!: () => void;
  const turn = new Promise<void>((r) => (releaseTurn = r));
  const chained = previous.then(() => turn);
  queues.set(path, chained);
  const leaveQueue = (): void => {
    releaseTurn();
    if (queues.get(path) === chained) queues.delete(path);
  };
  try {
    await Promise.race([previous, abortPromise(options.signal)]);
    if (options.signal?.aborted) throw interrupted();
    const token = await acquireFile(path, options);
    installExitHook();
    held.set(path, token);
    let released = false;
    return {
      path,
      release: async () => {
        if (released) return;
        released = true;
        held.delete(path);
        ours.delete(token);
        try {
          await removeIfToken(path, token);
        } finally {
          leaveQueue();
        }
      },
    };
  } catch (err) {
    leaveQueue();
    throw err;
  }
}

const interrupted = (): TrailproofError => new TrailproofError('signer', 'interrupted while waiting for a lock');

const abortPromise = (signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })));

async function acquireFile(path: string, options: LockOptions): Promise<string> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(12).toString('hex');
  const body = holderBody(token, options.what);
  const deadline = Date.now() + options.waitMs;
  let told = false;
  ours.add(token);
  for (;;) {
    if (options.signal?.aborted) {
      ours.delete(token);
      throw interrupted();
    }
    if (await createExclusive(path, body)) return token;
    const holder = await readHolder(path);
    if (holder === 'absent') continue; // released meanwhile
    if (holder !== null && isStale(holder)) {
      await breakStale(path, holder);
      continue;
    }
    if (holder === null) {
      // Not ours to judge by content (written by something else): stale only when old.
      const info = await stat(path).catch(() => null);
      if (info && Date.now() - info.mtimeMs > BREAK_STALE_MS) {
        await unlink(path).catch(() => undefined);
        continue;
      }
    }
    if (Date.now() >= deadline) {
      ours.delete(token);
      throw new TrailproofError(
        'signer',
        `Another signer holds the lock of ${options.what} (${describeHolder(holder)}): try again when it is done` +
          (holder?.host === hostname() || holder === null ? '' : `, or remove ${path} if no signer runs on ${holder.host}`),
      );
    }
    if (!told) {
      told = true;
      options.onWait?.(holder);
    }
    await sleep(Math.min(POLL_MS + Math.floor(Math.random() * POLL_MS), Math.max(1, deadline - Date.now())), options.signal);
  }
}

/** Releases every lock this process holds (an interrupt's last step). */
export async function releaseAllLocks(): Promise<void> {
  await Promise.all(
    [...held].map(async ([path, token]) => {
      held.delete(path);
      await removeIfToken(path, token);
    }),
  );
}

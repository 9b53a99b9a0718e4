import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startCli } from '../helpers/cli-async.js';
import { buildOrgArchive, type OrgArchive } from '../helpers/org-archive.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';

/**
 * Faults in a distributed audit (real redis-server, worker and coordinator processes of the built
 * CLI, 100 accounts x 4 regions): a worker killed (SIGKILL) with segments in hand, whose segments
 * another worker takes again and nothing is counted twice; a coordinator killed and started again,
 * which resumes the run from the queue; Redis restarted (with persistence: the run goes on;
 * without: the run stops with a message). Each run's report must be the local run's, byte for byte.
 * Stalled-job settings are short here (--lock-seconds 2, --stalled-check-seconds 1).
 */
let archive: OrgArchive;
let local: CliResult;

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];

beforeAll(async () => {
  archive = await buildOrgArchive({ accounts: 100, regions: REGIONS, hours: 3, filesPerHour: 2 });
  local = runCli([...auditArgs(), ...window()], { timeout: 300_000 });
  expect(local.status, local.err).toBe(0);
}, 300_000);
afterAll(() => archive?.cleanup());

function auditArgs(): string[] {
  return ['audit', '--s3-bucket', archive.bucket, '--local-root', archive.root, '--keys-dir', archive.keysDir];
}
const window = () => ['--start-time', archive.startTime, '--end-time', archive.endTime, '--verbose'];

function worker(queue: readonly string[]): ReturnType<typeof startCli> {
  return startCli(['worker', ...queue, '--lock-seconds', '2', '--stalled-check-seconds', '1', '--jobs-at-once', '2', '--log-jobs'], {
    timeout: 600_000,
  });
}

function coordinator(queue: readonly string[], extra: string[] = []): ReturnType<typeof startCli> {
  return startCli([...auditArgs(), ...window(), ...queue, '--segment-hours', '1', '--queue-check-ms', '300', ...extra], { timeout: 600_000 });
}

async function until(what: string, test: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (text: string, word: string): string[] => [...text.matchAll(new RegExp(`^${word} (\\S+)`, 'gm'))].map((m) => m[1]!);

async function stop(ws: Array<ReturnType<typeof startCli>>): Promise<void> {
  for (const w of ws) w.child.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.done));
}

describe.skipIf(lacks('redis'))('faults in a distributed audit', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ persist: true });
  });
  afterAll(async () => redis?.stop());

  it('a worker killed with segments in hand: another worker takes them again; the report is the local one', async () => {
    const a = worker(redis.queue);
    const b = worker(redis.queue);
    const run = coordinator(redis.queue);
    let inHand: string[] = [];
    // Frozen first (SIGSTOP), so that what it holds is known exactly, then killed.
    for (;;) {
      await until('worker A to take segments', () => lines(a.stderrSoFar(), 'took').length >= 5);
      a.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 100));
      const done = new Set(lines(a.stderrSoFar(), 'done'));
      inHand = lines(a.stderrSoFar(), 'took').filter((id) => !done.has(id));
      if (inHand.length > 0) break;
      a.child.kill('SIGCONT');
    }
    a.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.status, result.err).toBe(local.status);
    expect(result.out).toBe(local.out);
    // Worker B walked every segment A held when it died (and A's never completed).
    const takenByB = new Set(lines(b.stderrSoFar(), 'done'));
    for (const id of inHand) expect(takenByB.has(id), id).toBe(true);
    await a.done;
    await stop([b]);
  });

  it('a coordinator killed and started again resumes the run from the queue', async () => {
    const ws = [worker(redis.queue), worker(redis.queue)];
    const first = coordinator(redis.queue, ['--output', 'json']);
    await until(
      'the first coordinator to report chains',
      () => (first.child.stdout.readableLength ?? 0) > 0 || lines(ws[0]!.stderrSoFar(), 'done').length > 200,
    );
    first.child.kill('SIGKILL');
    await first.done;
    const doneBefore = lines(ws[0]!.stderrSoFar(), 'done').length + lines(ws[1]!.stderrSoFar(), 'done').length;
    const second = await coordinator(redis.queue, ['--output', 'json']).done;
    expect(second.err).toMatch(/queue: resuming unfinished run/);
    const localJson = runCli([...auditArgs(), ...window(), '--output', 'json'], { timeout: 300_000 });
    expect(second.status, second.err).toBe(localJson.status);
    expect(second.out).toBe(localJson.out);
    // The segments done before the kill were not walked again.
    const doneAfter = lines(ws[0]!.stderrSoFar(), 'done').length + lines(ws[1]!.stderrSoFar(), 'done').length;
    expect(doneBefore).toBeGreaterThan(0);
    expect(doneAfter).toBe(archive.chains.length * 4);
    await stop(ws);
  });

  it('Redis restarted (with persistence) in the middle: the run goes on to the same report', async () => {
    const ws = [worker(redis.queue), worker(redis.queue)];
    const run = coordinator(redis.queue, ['--queue-timeout', '60']);
    await until('segments to be done', () => lines(ws[0]!.stderrSoFar(), 'done').length + lines(ws[1]!.stderrSoFar(), 'done').length > 100);
    await redis.kill();
    await new Promise((r) => setTimeout(r, 1000));
    await redis.restart();
    const result = await run.done;
    expect(result.status, result.err).toBe(local.status);
    expect(result.out).toBe(local.out);
    await stop(ws);
  });
});

describe.skipIf(lacks('redis'))('Redis restarted without persistence', () => {
  it('stops the run with a message, never a verdict', async () => {
    const redis = await startRedis({ persist: false });
    const ws = [worker(redis.queue), worker(redis.queue)];
    try {
      const run = coordinator(redis.queue);
      await until('segments to be done', () => lines(ws[0]!.stderrSoFar(), 'done').length + lines(ws[1]!.stderrSoFar(), 'done').length > 100);
      await redis.kill();
      await redis.restart();
      const result = await run.done;
      expect(result.status, result.err).toBe(255);
      expect(result.err).toMatch(/no longer holds this run|lost segment job/);
      expect(result.out).not.toMatch(/^Totals:/m);
    } finally {
      await stop(ws);
      await redis.stop();
    }
  }, 180_000);
});

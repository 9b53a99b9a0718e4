import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTrail, createTestKey, STACK_FRAME, type DigestFile, type TestKey, type Trail } from '../helpers/trail-builder.js';

/**
 * The trail builder (test/helpers/trail-builder.ts) is an independent signer: these tests pin that
 * the CLI accepts what it builds, so that the tamper tests elsewhere fail for the tampering only.
 * Expected reports are written from behaviour §5, not from the code under test.
 */
let key: TestKey;
const trails: Trail[] = [];
const make = (o: Partial<Parameters<typeof buildTrail>[0]> = {}): Trail => {
  const t = buildTrail({ key, ...o });
  trails.push(t);
  return t;
};

beforeAll(() => {
  key = createTestKey();
});
afterAll(() => {
  for (const t of trails) t.cleanup();
});

function verboseLines(digests: readonly DigestFile[], backfill = false): string {
  return [...digests]
    .reverse()
    .map(
      (d) =>
        `${backfill ? '(backfill) ' : ''}Digest file\ts3://${d.bucket}/${d.key}\tvalid\n` +
        d.logs.map((l) => `Log file\ts3://${l.bucket}/${l.key}\tvalid\n`).join(''),
    )
    .join('');
}

describe('trail builder + validate-logs on a clean trail', () => {
  it('validates a 3-hour trail: exit 0, exact verbose report, nothing on stderr', async () => {
    const t = make();
    const r = await t.run(['--verbose']);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toBe(
      `Validating log files for trail ${t.arn} between ${t.start} and ${t.end}\n\n` +
        verboseLines(t.digests) +
        `\nResults requested for ${t.start} to ${t.end}\n` +
        `Results found for ${t.start} to ${t.end}:\n\n3/3 digest files valid\n6/6 log files valid\n`,
    );
  });

  it('default mode prints the header and summary only', async () => {
    const t = make({ hours: 2, logsPerHour: 1 });
    const r = await t.run();
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      `Validating log files for trail ${t.arn} between ${t.start} and ${t.end}\n\n` +
        `Results requested for ${t.start} to ${t.end}\n` +
        `Results found for ${t.start} to ${t.end}:\n\n2/2 digest files valid\n2/2 log files valid\n`,
    );
  });

  it('validates a trail with a backfill chain and a key prefix', async () => {
    const t = make({ hours: 2, logsPerHour: 1, backfillHours: 2, prefix: 'org/logs', trailName: 'pre-fixed' });
    const r = await t.run(['--verbose']);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toBe(
      `Validating log files for trail ${t.arn} between ${t.start} and ${t.end}\n\n` +
        verboseLines(t.digests) +
        verboseLines(t.backfills, true) +
        `\nResults requested for ${t.start} to ${t.end}\n` +
        `Results found for ${t.start} to ${t.end}:\n\n2/2 digest files valid\n2/2 backfill digest files valid\n4/4 log files valid\n`,
    );
  });

  it('tamper helpers: a flipped log byte, a changed signature digit', async () => {
    const t = make({ hours: 2, logsPerHour: 1 });
    const [d0, d1] = t.digests as [DigestFile, DigestFile];
    t.tamperSignature(d0.key, 17);
    t.flipByte(d1.logs[0]!.key, d1.logs[0]!.gz.length - 6);
    const r = await t.run();
    expect(r.err).toBe(
      `Log file\ts3://${t.bucket}/${d1.logs[0]!.key}\tINVALID: invalid format\n\n` +
        `Digest file\ts3://${t.bucket}/${d0.key}\tINVALID: signature verification failed\n\n`,
    );
    expect(r.status).toBe(1);
    t.restore(d0.key);
    t.restore(d1.logs[0]!.key);
    expect((await t.run()).status).toBe(0);
  });

  it('a deleted log and a moved digest are reported, exit 1', async () => {
    const t = make({ hours: 3, logsPerHour: 1 });
    const [d0, d1, d2] = t.digests as [DigestFile, DigestFile, DigestFile];
    const log = d2.logs[0]!;
    t.deleteObject(log.key);
    // Moved half an hour earlier in the same folder: still listed, no longer where it says it is.
    const moved = t.digestKeyFor(Date.parse(d1.endTime) - 1_800_000);
    t.moveObject(d1.key, moved);
    const r = await t.run();
    expect(r.status).toBe(1);
    expect(r.err).toBe(
      `Log file\ts3://${t.bucket}/${log.key}\tINVALID: not found\n\n` +
        `Digest file\ts3://${t.bucket}/${d1.key}\tINVALID: not found\n\n` +
        `Digest file\ts3://${t.bucket}/${moved}\tINVALID: has been moved from its original location\n\n`,
    );
    expect(r.out).toBe(
      `Validating log files for trail ${t.arn} between ${t.start} and ${t.end}\n\n` +
        `Results requested for ${t.start} to ${t.end}\n` +
        `Results found for ${d0.startTime} to ${d2.endTime}:\n\n` +
        `2/4 digest files valid, 2/4 digest files INVALID\n1/2 log files valid, 1/2 log files INVALID\n`,
    );
    expect(r.err).not.toMatch(STACK_FRAME);
  });
});

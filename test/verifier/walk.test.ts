import { writeFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTrail, createTestKey, iso, keysJson, STACK_FRAME, type TestKey, type Trail } from '../helpers/trail-builder.js';

/**
 * The digest walk (behaviour §2, §3, §5) on trails from the independent builder, through the CLI
 * (in-process: test/helpers/in-process.ts).
 * Expected reports are written out from the rules, never taken from a previous run.
 */
let key: TestKey;
let trail: Trail | undefined;
const HOUR = 3_600_000;

beforeAll(() => {
  key = createTestKey();
});
afterEach(() => {
  trail?.cleanup();
  trail = undefined;
});

function fresh(hours: number): Trail {
  trail = buildTrail({ key, hours, logsPerHour: 1 });
  return trail;
}
const header = (t: Trail, start = t.start, end = t.end): string => `Validating log files for trail ${t.arn} between ${start} and ${end}\n\n`;
const digestValid = (t: Trail, i: number): string =>
  `Digest file\ts3://${t.bucket}/${t.digests[i]!.key}\tvalid\nLog file\ts3://${t.bucket}/${t.digests[i]!.logs[0]!.key}\tvalid\n`;

describe('the digest walk', () => {
  it('a chain that ends early, with an older digest listed: a gap line on stderr, exit 0', async () => {
    const t = fresh(3);
    const [d0, d1, d2] = t.digests;
    t.deleteObject(d1!.key);
    // d2 now starts a new chain: null previous-digest fields, re-signed.
    const body = JSON.parse(d2!.raw.toString('utf8')) as Record<string, unknown>;
    for (const f of ['previousDigestS3Bucket', 'previousDigestS3Object', 'previousDigestHashValue', 'previousDigestHashAlgorithm', 'previousDigestSignature'])
      body[f] = null;
    t.writeDigest(d2!.key, JSON.stringify(body));
    const r = await t.run(['--verbose']);
    expect(r.status).toBe(0);
    expect(r.err).toBe(`\nNo log files were delivered by CloudTrail between ${d0!.endTime} and ${d2!.startTime}\n\n`);
    expect(r.out).toBe(
      `${header(t)}${digestValid(t, 2)}${digestValid(t, 0)}\nResults requested for ${t.start} to ${t.end}\n` +
        `Results found for ${t.start} to ${t.end}:\n\n2/2 digest files valid\n2/2 log files valid\n`,
    );
  });

  it("two missing digests in a row: only the first is reported (the reference's quirk)", async () => {
    const t = fresh(4);
    t.deleteObject(t.digests[1]!.key);
    t.deleteObject(t.digests[2]!.key);
    const r = await t.run();
    expect(r.err).toBe(`Digest file\ts3://${t.bucket}/${t.digests[2]!.key}\tINVALID: not found\n\n`);
    expect(r.out).toBe(
      `${header(t)}Results requested for ${t.start} to ${t.end}\nResults found for ${t.start} to ${t.end}:\n\n` +
        '2/3 digest files valid, 1/3 digest files INVALID\n2/2 log files valid\n',
    );
    expect(r.status).toBe(1);
  });

  it('the newest digest deleted: not listed, so not reported; the walk starts at the next one', async () => {
    const t = fresh(3);
    t.deleteObject(t.digests[2]!.key);
    const r = await t.run();
    // a deleted newest digest is not listed at all: the walk starts at d1, nothing is INVALID
    expect(r.err).toBe('');
    expect(r.out).toContain('2/2 digest files valid\n2/2 log files valid\n');
    expect(r.status).toBe(0);
  });

  it("--start-time equal to a digest's start: the walk goes one digest further (inclusive)", async () => {
    const t = fresh(3);
    const start = t.digests[1]!.startTime;
    const r = await t.run(['--start-time', start, '--verbose']);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      `${header(t, start)}${digestValid(t, 2)}${digestValid(t, 1)}${digestValid(t, 0)}\nResults requested for ${start} to ${t.end}\n` +
        `Results found for ${start} to ${t.end}:\n\n3/3 digest files valid\n3/3 log files valid\n`,
    );
    expect(r.status).toBe(0);
  });

  it('--start-time one second later: the older digest is neither listed nor walked to', async () => {
    const t = fresh(3);
    const start = iso(Date.parse(t.digests[1]!.startTime) + 1000);
    const r = await t.run(['--start-time', start, '--verbose']);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      `${header(t, start)}${digestValid(t, 2)}${digestValid(t, 1)}\nResults requested for ${start} to ${t.end}\n` +
        `Results found for ${start} to ${t.end}:\n\n2/2 digest files valid\n2/2 log files valid\n`,
    );
    expect(r.status).toBe(0);
  });

  it("a fraction of a second after a digest's start stops the walk there (the stop test keeps fractions)", async () => {
    const t = fresh(3);
    const whole = t.digests[1]!.startTime;
    const start = whole.replace('Z', '.5Z');
    const r = await t.run(['--start-time', start, '--verbose']);
    expect(r.err).toBe('');
    // fractions are dropped in the display
    expect(r.out).toBe(
      `${header(t, whole)}${digestValid(t, 2)}${digestValid(t, 1)}\nResults requested for ${whole} to ${t.end}\n` +
        `Results found for ${whole} to ${t.end}:\n\n2/2 digest files valid\n2/2 log files valid\n`,
    );
  });

  it('--end-time: digests stamped up to end + 1 hour are listed; the found window is clipped to end', async () => {
    const t = fresh(3);
    const end = t.digests[0]!.endTime;
    const r = await t.run(['--end-time', end, '--verbose']);
    expect(r.err).toBe('');
    expect(r.out).toBe(
      `${header(t, t.start, end)}${digestValid(t, 1)}${digestValid(t, 0)}\nResults requested for ${t.start} to ${end}\n` +
        `Results found for ${t.start} to ${end}:\n\n2/2 digest files valid\n2/2 log files valid\n`,
    );
    expect(r.status).toBe(0);
  });

  it('a window with no digests: No digests found', async () => {
    const t = fresh(1);
    const start = iso(Date.parse(t.end) + 3 * HOUR);
    const end = iso(Date.parse(t.end) + 4 * HOUR);
    const r = await t.run(['--start-time', start, '--end-time', end]);
    expect(r.err).toBe('');
    expect(r.out).toBe(`${header(t, start, end)}Results requested for ${start} to ${end}\nNo digests found\n`);
    expect(r.status).toBe(0);
  });

  it("the digests' bucket missing: NoSuchBucket, exit 255", async () => {
    const t = fresh(1);
    const r = await t.run(['--s3-bucket', 'no-such-bucket']);
    expect(r.err).toBe('\nAn error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist\n');
    expect(r.err).not.toMatch(STACK_FRAME);
    expect(r.status).toBe(255);
  });

  it('no public key valid in [start, end + 2h]: stops after the header, exit 255', async () => {
    const t = fresh(1);
    const far = Date.parse(t.end) + 10 * 24 * HOUR;
    writeFileSync(t.keysFile, keysJson([{ key, from: far, to: far + HOUR }]));
    const r = await t.run();
    expect(r.out).toBe(header(t));
    expect(r.err).toBe(`\nNo public keys found between ${t.start} and ${iso(Date.parse(t.end) + 2 * HOUR)}\n`);
    expect(r.status).toBe(255);
  });

  it('a key valid only until the window starts still counts (overlap is inclusive)', async () => {
    const t = fresh(1);
    writeFileSync(t.keysFile, keysJson([{ key, from: Date.parse(t.start) - 24 * HOUR, to: Date.parse(t.start) }]));
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });
});

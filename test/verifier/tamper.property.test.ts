import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { buildTrail, createTestKey, STACK_FRAME, type DigestFile, type LogFile, type Trail } from '../helpers/trail-builder.js';

/**
 * "Any change to a signed byte is detected" (conventions, Tests), through the CLI's dispatcher
 * in-process (test/helpers/in-process.ts): a process per property run would block the test worker.
 *
 * One caveat, from RFC 1952 and the reference's own semantics: validate-logs hashes and verifies
 * the *uncompressed* bytes. A change to gzip header fields that no check covers (MTIME, XFL, OS,
 * the FTEXT flag), or to unused padding bits of the last deflate byte, leaves the content intact,
 * and the reference reports the file valid. The oracle is therefore independent of the code under
 * test: node's own gunzip of the changed file. Content intact -> exit 0 and nothing on stderr;
 * otherwise -> exit 1 and an INVALID line for exactly that file. Never a crash.
 */
let trail: Trail;
/** In-process runs are cheap: four times the runs the spawned CLI could afford. */
const RUNS = 100;

beforeAll(() => {
  trail = buildTrail({ key: createTestKey(), hours: 2, logsPerHour: 1 });
});
afterAll(() => trail.cleanup());

function contentIntact(bytes: Buffer, original: Buffer): boolean {
  try {
    return gunzipSync(bytes).equals(original);
  } catch {
    return false;
  }
}

function noCrash(r: CliResult): void {
  expect(r.err).not.toMatch(STACK_FRAME);
  expect(r.err).not.toMatch(/internal error|a bug in trailproof/);
}

/**
 * stderr without node's process warnings. These properties are about detection; stray warnings
 * (once: the log workers' fd race, "Warning: File descriptor N closed but not opened in unmanaged
 * mode", about one run in fifty) are caught by the exact-stderr spawned tests in hostile.test.ts.
 * In-process, node's warnings do not reach the run's stderr at all; the filter stays for safety.
 */
function report(r: CliResult): string {
  return r.err.replace(/^\(node:\d+\) [^\n]*Warning[^\n]*\n(?:\(Use `node --trace-warnings[^\n]*\n)?/gm, '');
}

function flipped(gz: Buffer, offset: number, mask: number): Buffer {
  const b = Buffer.from(gz);
  const at = offset % b.length;
  b[at] = b[at]! ^ mask;
  return b;
}

const byteChange = fc.record({ index: fc.nat(), offset: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) });

/** A run that hangs is cut after this long (the run rejects: the property fails instead of stalling). */
const RUN_TIMEOUT = 10_000;

async function checkDigestChange(d: DigestFile, bytes: Buffer): Promise<void> {
  trail.write(d.key, bytes);
  try {
    const r = await trail.run([], RUN_TIMEOUT);
    noCrash(r);
    const err = report(r);
    if (contentIntact(bytes, d.raw)) {
      expect(err).toBe('');
      expect(r.status).toBe(0);
    } else {
      // exactly one report line, for this digest (the walk goes on to the others, which are valid)
      const prefix = `Digest file\ts3://${trail.bucket}/${d.key}\tINVALID: `;
      expect(err.startsWith(prefix)).toBe(true);
      expect(err.slice(prefix.length)).toMatch(/^[^\n]+\n\n$/);
      expect(r.status).toBe(1);
    }
  } finally {
    trail.restore(d.key);
  }
}

async function checkLogChange(l: LogFile, bytes: Buffer): Promise<void> {
  trail.write(l.key, bytes);
  try {
    const r = await trail.run([], RUN_TIMEOUT);
    noCrash(r);
    const err = report(r);
    if (contentIntact(bytes, l.content)) {
      expect(err).toBe('');
      expect(r.status).toBe(0);
    } else {
      const prefix = `Log file\ts3://${trail.bucket}/${l.key}\tINVALID: `;
      expect(err.startsWith(prefix)).toBe(true);
      expect(['invalid format\n\n', "hash value doesn't match\n\n", 'unexpected data after end of compressed stream\n\n']).toContain(err.slice(prefix.length));
      expect(r.status).toBe(1);
    }
  } finally {
    trail.restore(l.key);
  }
}

describe('tampering is always detected by validate-logs', () => {
  it("the untouched trail is valid (the oracle's baseline)", async () => {
    const r = await trail.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it('header-only changes keep the content: still valid, as for the reference', async () => {
    const d = trail.digests[1]!;
    for (const [offset, mask] of [
      [4, 0xff],
      [7, 0x10],
      [8, 0x02],
      [9, 0x07],
      [3, 0x01],
    ] as const) {
      const bytes = flipped(d.gz, offset, mask);
      expect(contentIntact(bytes, d.raw)).toBe(true);
      await checkDigestChange(d, bytes);
      await checkLogChange(trail.logs[0]!, flipped(trail.logs[0]!.gz, offset, mask));
    }
  });

  it('gzip trailer changes (CRC-32, ISIZE) are detected in digests and logs', async () => {
    for (const back of [8, 5, 4, 1]) {
      const d = trail.digests[0]!;
      await checkDigestChange(d, flipped(d.gz, d.gz.length - back, 0x01));
      const l = trail.logs[1]!;
      await checkLogChange(l, flipped(l.gz, l.gz.length - back, 0x01));
    }
  });

  // Regression, fixed (src/crypto/gzip.ts): a change that makes the deflate data invalid hangs gunzipMember: the
  // CLI prints nothing and exits 0, or never exits while the log worker pool is alive (cut here after
  // RUN_TIMEOUT). About a quarter of single-byte changes do that, so the property finds it at once.
  it('any single-byte change to a signed digest file is detected', async () => {
    await fc.assert(
      fc.asyncProperty(byteChange, async ({ index, offset, mask }) => {
        const d = trail.digests[index % trail.digests.length]!;
        await checkDigestChange(d, flipped(d.gz, offset, mask));
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it('any single-byte change to a referenced log file is detected', async () => {
    await fc.assert(
      fc.asyncProperty(byteChange, async ({ index, offset, mask }) => {
        const l = trail.logs[index % trail.logs.length]!;
        await checkLogChange(l, flipped(l.gz, offset, mask));
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it("any change to a signature hex is detected, with the reference's reason", async () => {
    // python-rsa / binascii (behaviour §3.8): odd length, then non-hex digits, then the integer
    // against the modulus (OverflowError text), then the verification itself.
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.constantFrom(...'0123456789abcdefABCDEFgxz /'.split('')) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...'0123456789abcdefxX'.split('')) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(), edit, async (index, e) => {
        const d = trail.digests[index % trail.digests.length]!;
        const s = d.signature;
        const at = e.at % (s.length + (e.kind === 'insert' ? 1 : 0));
        const hex =
          e.kind === 'replace'
            ? s.slice(0, at) + e.ch + s.slice(at + 1)
            : e.kind === 'delete'
              ? s.slice(0, at) + s.slice(at + 1)
              : s.slice(0, at) + e.ch + s.slice(at);
        let reason: string | null;
        if (hex.length % 2 !== 0) reason = 'Odd-length string';
        else if (!/^[0-9a-fA-F]*$/.test(hex)) reason = 'Non-hexadecimal digit found';
        else if (hex.toLowerCase() === s) reason = null;
        else {
          const v = hex === '' ? 0n : BigInt(`0x${hex}`);
          reason = v > trail.key.n ? `The message ${v} is too long for n=${trail.key.n}` : 'signature verification failed';
        }
        trail.setSignature(d.key, hex);
        try {
          const r = await trail.run();
          noCrash(r);
          if (reason === null) {
            expect(r.err).toBe('');
            expect(r.status).toBe(0);
          } else {
            expect(r.err).toBe(`Digest file\ts3://${trail.bucket}/${d.key}\tINVALID: ${reason}\n\n`);
            expect(r.status).toBe(1);
          }
        } finally {
          trail.restore(d.key);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

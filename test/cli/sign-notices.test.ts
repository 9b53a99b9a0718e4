import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { SIGN_OPTIONS } from '../../src/cli/sign.js';
import { Interrupts, Progress, shellQuote, signCommandLine } from '../../src/cli/sign-safety.js';

/** The pieces of `sign`'s messages: commands to copy and paste, the terminal progress line, signals. */
describe('signCommandLine', () => {
  it('drops options with their values (both spellings) and flags, then adds the new ones', () => {
    const argv = ['--keys-dir', 'k', '--new-chain', '--start-time=2024-05-01', '--regions', 'us-east-1', '--until', 'T'];
    expect(signCommandLine(argv, SIGN_OPTIONS, ['new-chain', 'start-time', 'regions'], ['--backfill', '--start-time', '2024-05-01T02:00:00Z'])).toBe(
      'trailproof sign --keys-dir k --until T --backfill --start-time 2024-05-01T02:00:00Z',
    );
  });

  it('quotes words so that a POSIX shell reads them back unchanged (one shell for 200 random words)', () => {
    const words = fc.sample(
      fc.string({ minLength: 1, unit: 'binary' }).filter((w) => !w.includes('\0')),
      { numRuns: 200, seed: 9 },
    );
    words.push("it's", 'a b', '$HOME', '`x`', '\\', '"', '--regions=us-east-1,eu-west-1');
    const echoed = execFileSync('sh', ['-c', `printf '%s\\0' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
    expect(echoed.split('\0').slice(0, -1)).toEqual(words);
    expect(shellQuote('/tmp/k-1/a.b')).toBe('/tmp/k-1/a.b');
  });
});

describe('Progress', () => {
  it('draws on a terminal at most every 200 ms, and clears before other output', () => {
    let now = 1_000;
    let text = '';
    const p = new Progress(
      (t) => (text += t),
      true,
      () => now,
    );
    const key = 'AWSLogs/1/CloudTrail-Digest/r/2024/05/01/1_CloudTrail-Digest_r_t_r_20240501T030000Z.json.gz';
    p.tick(key);
    p.tick(key);
    now += 250;
    p.tick(key);
    p.clear();
    p.clear();
    expect(text).toBe(
      '\r\x1b[Ksigning: 1 digests written, the latest ending 20240501T030000Z' +
        '\r\x1b[Ksigning: 3 digests written, the latest ending 20240501T030000Z' +
        '\r\x1b[K',
    );
  });

  it('writes nothing when stderr is no terminal', () => {
    let text = '';
    const p = new Progress((t) => (text += t), false);
    p.tick('x_20240501T030000Z.json.gz');
    p.clear();
    expect(text).toBe('');
  });
});

describe('Interrupts', () => {
  it('gives 130 for SIGINT and aborts lock waits', async () => {
    const i = new Interrupts();
    i.trigger('SIGINT');
    expect(await i.fired).toBe(130);
    expect(i.controller.signal.aborted).toBe(true);
  });

  it('gives 143 for SIGTERM', async () => {
    const i = new Interrupts();
    i.trigger('SIGTERM');
    expect(await i.fired).toBe(143);
  });
});

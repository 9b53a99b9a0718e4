import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

/**
 * Arguments, setup errors and hostile input files (behaviour §1, §2, §7): the message and exit code
 * the contract names, or a one-line message and a non-zero exit; never a stack trace.
 */
const CLEAN = join(ROOT, 'test', 'vectors', 'clean');
const ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/oracle-trail';
const base = ['validate-logs', '--trail-arn', ARN, '--start-time', '2024-02-28T21:05:19Z', '--end-time', '2024-02-29T03:05:19Z'];
const local = ['--s3-bucket', 'oracle-trail-bucket', '--local-root', join(CLEAN, 'root'), '--public-keys', join(CLEAN, 'keys.json')];
const HEADER = `Validating log files for trail ${ARN} between 2024-02-28T21:05:19Z and 2024-02-29T03:05:19Z\n\n`;

function noStack(err: string): void {
  expect(err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(err).not.toMatch(/internal error/);
}

let dir: { path: string; cleanup: () => void };
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('arguments', () => {
  it('missing required options are a usage error (exit 2)', () => {
    const r = runCli(['validate-logs', '--local-root', '/tmp']);
    expect(r.status).toBe(2);
    expect(r.err).toContain('the following arguments are required: --trail-arn, --start-time');
    expect(r.out).toBe('');
  });

  it('an unknown option is a usage error (exit 2)', () => {
    const r = runCli([...base, ...local, '--frobnicate', 'x']);
    expect(r.status).toBe(2);
    expect(r.err).toContain('Unknown options: --frobnicate');
    expect(r.out).toBe('');
  });

  it.each([
    [['--trail-arn', 'arn:aws:s3:::bucket'], '\nInvalid trail ARN provided: arn:aws:s3:::bucket\n'],
    [['--start-time', 'not a date'], '\nUnable to parse date value: not a date\n'],
    [['--end-time', '2024-02-30T00:00:00Z'], '\nUnable to parse date value: 2024-02-30T00:00:00Z\n'],
    [['--end-time', '2024-02-27T00:00:00Z'], '\nInvalid time range specified: start-time must occur before end-time\n'],
  ])('%j stops with the reference message and exit 255', (override, message) => {
    const args = [...base];
    for (let i = 0; i < override.length; i += 2) {
      const at = args.indexOf(override[i]!);
      args[at + 1] = override[i + 1]!;
    }
    const r = runCli([...args, ...local]);
    expect(r.err).toBe(message);
    expect(r.out).toBe('');
    expect(r.status).toBe(255);
  });

  it('a date is parsed before the ARN is checked (the reference order)', () => {
    const r = runCli(['validate-logs', '--trail-arn', 'bad', '--start-time', 'bad', ...local]);
    expect(r.err).toBe('\nUnable to parse date value: bad\n');
  });

  it('a zone offset is ignored and fractions are dropped in the display', () => {
    const r = runCli(['validate-logs', '--trail-arn', ARN, '--start-time', '2024-02-28T21:05:19.75+02:00', '--end-time', '2024-02-29T03:05:19', ...local]);
    expect(r.out.startsWith(HEADER)).toBe(true);
    expect(r.status).toBe(0);
  });
});

describe('storage and keys', () => {
  it('a missing bucket stops the run after the header with the AWS wording', () => {
    const r = runCli([...base, '--s3-bucket', 'no-such-bucket', '--local-root', join(CLEAN, 'root'), '--public-keys', join(CLEAN, 'keys.json')]);
    expect(r.out).toBe(HEADER);
    expect(r.err).toBe('\nAn error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist\n');
    expect(r.status).toBe(255);
  });

  it('no public key in the window stops the run after the header', () => {
    const r = runCli(['validate-logs', '--trail-arn', ARN, '--start-time', '2030-01-01T00:00:00Z', '--end-time', '2030-01-02T00:00:00Z', ...local]);
    expect(r.out).toBe(`Validating log files for trail ${ARN} between 2030-01-01T00:00:00Z and 2030-01-02T00:00:00Z\n\n`);
    expect(r.err).toBe('\nNo public keys found between 2030-01-01T00:00:00Z and 2030-01-02T02:00:00Z\n');
    expect(r.status).toBe(255);
  });

  it('an empty range says No digests found', () => {
    const r = runCli(['validate-logs', '--trail-arn', ARN, '--start-time', '2024-02-20T00:00:00Z', '--end-time', '2024-02-21T00:00:00Z', ...local]);
    expect(r.out).toBe(
      `Validating log files for trail ${ARN} between 2024-02-20T00:00:00Z and 2024-02-21T00:00:00Z\n\nResults requested for 2024-02-20T00:00:00Z to 2024-02-21T00:00:00Z\nNo digests found\n`,
    );
    expect(r.status).toBe(0);
  });

  const keys = JSON.parse(readFileSync(join(CLEAN, 'keys.json'), 'utf8')) as { PublicKeyList: Array<Record<string, unknown>> };
  const entry = keys.PublicKeyList[0]!;
  it.each([
    ['not JSON', '{', /not JSON/],
    ['wrong shape', '{"Keys": []}', /expected \{"PublicKeyList"/],
    ['bad base64', JSON.stringify({ PublicKeyList: [{ ...entry, Value: 'not base64!' }] }), /entry 1 .*Value is not base64/],
    [
      'SPKI instead of PKCS#1',
      JSON.stringify({
        PublicKeyList: [
          {
            ...entry,
            Value:
              'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqlzPJbvZJ42UdcmLfPUqXYNfOs6I8lCfao/tOs8CmzPOEdtLWugB9xoIUz78qVHdKIqxbaG4jWHfJBioSSFBM0lt8cdVo4TnRa7oG9io5pysS6DJhBBaEXsicufsiFJR+wrUNh8RSLxL4k6G1+BhLX20tJkZ/erT97tDGBujAelqseGg3vPZbTx9SMfOLN65PdLFudLP7GatOZ9p5jw/rjpcIkfo9Bfc3heeBxWGKwBBOKnFAa9V57pOaosCvPKmHd9bg7jsQkI9Xp22IzGLSTFJZYVA3KiTAEldMu80iFXPHEq9hKNbt9e4UF+lutKVEiLkR2disdCmPTKOVQIDAQAB',
          },
        ],
      }),
      /entry 1 .*not a DER PKCS#1 RSAPublicKey/,
    ],
    ['wrong fingerprint', JSON.stringify({ PublicKeyList: [{ ...entry, Fingerprint: '0'.repeat(32) }] }), /entry 1 .*Fingerprint does not match/],
    [
      'uppercase fingerprint',
      JSON.stringify({ PublicKeyList: [{ ...entry, Fingerprint: String(entry.Fingerprint).toUpperCase() }] }),
      /entry 1 .*Fingerprint must be 32 lowercase hex digits/,
    ],
    ['missing validity', JSON.stringify({ PublicKeyList: [{ ...entry, ValidityStartTime: undefined }] }), /ValidityStartTime is missing/],
  ])('a keys file with %s is refused, naming the problem (exit 255, before the header)', (_name, text, pattern) => {
    const file = join(dir.path, `keys-${_name.replace(/\W/g, '')}.json`);
    writeFileSync(file, text);
    const r = runCli([...base, '--s3-bucket', 'oracle-trail-bucket', '--local-root', join(CLEAN, 'root'), '--public-keys', file]);
    expect(r.status).toBe(255);
    expect(r.out).toBe('');
    expect(r.err).toMatch(pattern);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    noStack(r.err);
  });

  it('an unreadable keys file is a one-line error', () => {
    const r = runCli([...base, '--s3-bucket', 'oracle-trail-bucket', '--local-root', join(CLEAN, 'root'), '--public-keys', join(dir.path, 'missing.json')]);
    expect(r.status).toBe(255);
    expect(r.err).toMatch(/^\nCannot read public keys file .*missing\.json: does not exist\n$/);
  });
});

describe('where the digests are', () => {
  it('a local root with one bucket folder needs no --s3-bucket', () => {
    const r = runCli([...base, '--local-root', join(CLEAN, 'root'), '--public-keys', join(CLEAN, 'keys.json')]);
    expect(r.out).toBe(readFileSync(join(CLEAN, 'expected', 'default.stdout'), 'utf8'));
    expect(r.status).toBe(0);
  });

  it('several bucket folders ask for --s3-bucket', () => {
    const root = join(dir.path, 'two');
    cpSync(join(CLEAN, 'root'), root, { recursive: true });
    cpSync(join(CLEAN, 'root', 'oracle-trail-bucket'), join(root, 'other-bucket'), { recursive: true });
    const r = runCli([...base, '--local-root', root, '--public-keys', join(CLEAN, 'keys.json')]);
    expect(r.status).toBe(255);
    expect(r.err).toMatch(/several bucket folders .*give --s3-bucket/);
  });

  it('--trails gives the bucket and prefix like DescribeTrails, and names an unknown trail', () => {
    const trails = join(dir.path, 'trails.json');
    writeFileSync(
      trails,
      JSON.stringify({ trailList: [{ Name: 'oracle-trail', S3BucketName: 'oracle-trail-bucket', TrailARN: ARN, IsOrganizationTrail: false }] }),
    );
    const ok = runCli([...base, '--trails', trails, '--local-root', join(CLEAN, 'root'), '--public-keys', join(CLEAN, 'keys.json')]);
    expect(ok.out).toBe(readFileSync(join(CLEAN, 'expected', 'default.stdout'), 'utf8'));
    const other = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/other';
    const bad = runCli([
      'validate-logs',
      '--trail-arn',
      other,
      '--start-time',
      '2024-02-28T21:05:19Z',
      '--trails',
      trails,
      '--local-root',
      join(CLEAN, 'root'),
      '--public-keys',
      join(CLEAN, 'keys.json'),
    ]);
    expect(bad.err).toBe(`\nA trail could not be found for ${other}\n`);
    expect(bad.status).toBe(255);
  });

  it('an organization trail from --trails needs --account-id', () => {
    const trails = join(dir.path, 'org-trails.json');
    writeFileSync(trails, JSON.stringify({ trailList: [{ S3BucketName: 'oracle-trail-bucket', TrailARN: ARN, IsOrganizationTrail: true }] }));
    const r = runCli([...base, '--trails', trails, '--local-root', join(CLEAN, 'root'), '--public-keys', join(CLEAN, 'keys.json')]);
    expect(r.err).toBe("\nMissing required parameter for organization trail: '--account-id'\n");
    expect(r.status).toBe(255);
  });
});

describe('--output json', () => {
  it('gives one line per digest, log and gap, then a summary with every count', () => {
    const gap = join(ROOT, 'test', 'vectors', 'gap');
    const r = runCli([
      'validate-logs',
      '--trail-arn',
      ARN,
      '--start-time',
      '2024-02-28T21:05:19Z',
      '--end-time',
      '2024-02-29T05:05:19Z',
      '--s3-bucket',
      'oracle-trail-bucket',
      '--local-root',
      join(gap, 'root'),
      '--public-keys',
      join(gap, 'keys.json'),
      '--output',
      'json',
    ]);
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.kind === 'digest')).toHaveLength(6);
    expect(lines.filter((l) => l.kind === 'log')).toHaveLength(14);
    expect(lines.filter((l) => l.kind === 'gap')).toEqual([
      { kind: 'gap', backfill: false, status: 'gap', from: '2024-02-29T00:05:19Z', to: '2024-02-29T02:05:19Z' },
    ]);
    const summary = lines[lines.length - 1]!;
    expect(summary).toMatchObject({
      kind: 'summary',
      digests: { valid: 6, invalid: 0, total: 6 },
      logs: { valid: 14, invalid: 0, total: 14 },
      gaps: 1,
      exitCode: 0,
    });
    const firstLog = lines.find((l) => l.kind === 'log')!;
    expect(firstLog).toMatchObject({ status: 'valid', reason: null, digestEndTime: '2024-02-29T05:05:19Z' });
  });

  it('reports a tampered log with its reason and exit code 1', () => {
    const v = join(ROOT, 'test', 'vectors', 'modify-log');
    const r = runCli([
      ...base,
      '--s3-bucket',
      'oracle-trail-bucket',
      '--local-root',
      join(v, 'root'),
      '--public-keys',
      join(v, 'keys.json'),
      '--output',
      'json',
    ]);
    expect(r.status).toBe(1);
    const bad = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.status === 'INVALID');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ kind: 'log', reason: "hash value doesn't match" });
  });
});

describe('list-public-keys', () => {
  it('prints the checked keys overlapping the window in the AWS CLI shape', () => {
    const r = runCli([
      'list-public-keys',
      '--public-keys',
      join(ROOT, 'test', 'vectors', 'rotation', 'keys.json'),
      '--start-time',
      '2024-02-29T01:00:00Z',
      '--end-time',
      '2024-02-29T02:00:00Z',
    ]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out) as { PublicKeyList: Array<Record<string, string>> };
    expect(doc.PublicKeyList.map((k) => k.Fingerprint)).toEqual(['18b497666b8d65569fca7f86747804e7']);
    expect(Object.keys(doc.PublicKeyList[0]!)).toEqual(['Value', 'ValidityStartTime', 'ValidityEndTime', 'Fingerprint']);
  });

  it('--keys-dir publishes a key store: validate-logs accepts it', () => {
    const r = runCli(['list-public-keys', '--keys-dir', join(ROOT, 'keys'), '--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-02T00:00:00Z']);
    expect(r.status).toBe(0);
    const fingerprints = (JSON.parse(r.out) as { PublicKeyList: Array<{ Fingerprint: string }> }).PublicKeyList.map((k) => k.Fingerprint);
    expect(fingerprints).toHaveLength(3);
    expect(r.out).not.toContain('PRIVATE');
  });
});

describe('a reader that goes away', () => {
  it('ends the run quietly (141, no stack trace) when stdout is closed early', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'keys', 'list', '--keys-dir', join(ROOT, 'keys')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect([0, 141]).toContain(code);
    noStack(err);
    expect(err).not.toMatch(/EPIPE|Unhandled/);
  });
});

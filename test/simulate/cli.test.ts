import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simulateCommand, SIMULATE_USAGE } from '../../src/cli/simulate.js';
import { TrailproofError } from '../../src/errors.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function root(): string {
  const dir = tempDir('trailproof-simcli-');
  cleanups.push(dir.cleanup);
  return dir.path;
}

const ARGS = [
  '--bucket',
  'demo-trail-bucket',
  '--account',
  '123456789012',
  '--regions',
  'us-east-1,eu-west-1',
  '--start-time',
  '2024-02-28T21:00Z',
  '--hours',
  '2',
];

describe('trailproof simulate', () => {
  it('writes the files and prints a one-line summary', async () => {
    const dir = root();
    let out = '';
    const rc = await simulateCommand(['--local-root', dir, ...ARGS, '--files-per-hour', '3', '--records-per-file', '10', '--seed', 'demo'], {
      out: (t) => (out += t),
    });
    expect(rc).toBe(0);
    // A local root is named as the folder written, not as s3://.
    const head = `Wrote 12 log files (120 records) to ${join(dir, 'demo-trail-bucket')}: `;
    expect(out.startsWith(head)).toBe(true);
    expect(out.slice(head.length)).toMatch(/^\d+\.\d\d MB gzip, \d+\.\d\d MB JSON, delivered 2024-02-28T21:\d\d:00Z to 2024-02-28T22:\d\d:00Z\n$/);
    const keys: string[] = [];
    for await (const k of new LocalStore(dir).list('demo-trail-bucket', { prefix: '' })) keys.push(k);
    expect(keys).toHaveLength(12);
    expect(keys.filter((k) => k.startsWith('AWSLogs/123456789012/CloudTrail/eu-west-1/2024/02/28/'))).toHaveLength(6);
  });

  it('takes the library options (prefix, organization, data events, level, concurrency)', async () => {
    const dir = root();
    const rc = await simulateCommand(
      [
        '--local-root',
        dir,
        ...ARGS,
        '--hours',
        '1',
        '--files-per-hour',
        '1',
        '--records-per-file',
        '5',
        '--prefix',
        'audit',
        '--organization-id',
        'o-a1b2c3d4e5',
        '--data-events',
        '--gzip-level',
        '0',
        '--concurrency',
        '2',
      ],
      { out: () => undefined },
    );
    expect(rc).toBe(0);
    const keys: string[] = [];
    for await (const k of new LocalStore(dir).list('demo-trail-bucket', { prefix: 'audit/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/' })) keys.push(k);
    expect(keys).toHaveLength(2);
  });

  it('documents every option in its usage', () => {
    for (const name of [
      'local-root',
      'bucket',
      'account',
      'accounts',
      'regions',
      'start-time',
      'hours',
      'seed',
      'files-per-hour',
      'records-per-file',
      'prefix',
      'organization-id',
      'data-events',
      'gzip-level',
      'concurrency',
    ]) {
      expect(SIMULATE_USAGE).toContain(`--${name}`);
    }
  });

  const without = (name: string): string[] => {
    const i = ARGS.indexOf(`--${name}`);
    return [...ARGS.slice(0, i), ...ARGS.slice(i + 2)];
  };
  const withValue = (name: string, value: string): string[] => {
    const i = ARGS.indexOf(`--${name}`);
    if (i < 0) return [...ARGS, `--${name}`, value];
    const a = [...ARGS];
    a[i + 1] = value;
    return a;
  };

  it.each<[string, string[], 'usage' | 'argument', string | RegExp]>([
    ['missing bucket', without('bucket'), 'usage', 'the following arguments are required: --bucket'],
    ['unknown option', [...ARGS, '--regoin', 'us-east-1'], 'usage', 'unknown option --regoin (did you mean --region?)'],
    ['bad account', withValue('account', '1234'), 'argument', 'Invalid account ID "1234": expected 12 digits'],
    ['empty region', withValue('regions', 'us-east-1,,eu-west-1'), 'usage', 'argument --regions: expected region names separated by commas'],
    ['bad region', withValue('regions', 'us-east-1,EU-WEST-1'), 'argument', 'Invalid region "EU-WEST-1"'],
    ['duplicate region', withValue('regions', 'us-east-1, us-east-1'), 'argument', 'Duplicate region'],
    ['bad bucket', withValue('bucket', 'My_Bucket'), 'argument', 'Invalid bucket name "My_Bucket"'],
    ['IP bucket', withValue('bucket', '10.0.0.1'), 'argument', 'formatted as an IP address'],
    ['zero hours', withValue('hours', '0'), 'usage', 'argument --hours: expected a whole number from 1 to 87840'],
    ['word hours', withValue('hours', 'two'), 'usage', 'argument --hours: expected a whole number'],
    ['too many hours', withValue('hours', '87841'), 'usage', 'argument --hours'],
    ['files per hour', withValue('files-per-hour', '601'), 'usage', 'argument --files-per-hour: expected a whole number from 1 to 600'],
    ['records per file', withValue('records-per-file', '-1'), 'usage', 'argument --records-per-file'],
    ['concurrency', withValue('concurrency', '65'), 'usage', 'argument --concurrency'],
    ['gzip level', withValue('gzip-level', '10'), 'usage', 'argument --gzip-level: expected a whole number from 0 to 9'],
    ['bad time', withValue('start-time', 'yesterday'), 'argument', 'Unable to parse date value: yesterday'],
    ['seconds', withValue('start-time', '2024-02-28T21:00:30Z'), 'argument', 'expected a whole minute'],
    ['offset', withValue('start-time', '2024-02-28T21:00+02:00'), 'argument', '--start-time must be in UTC'],
    ['late', withValue('start-time', '2199-12-31T23:00Z'), 'argument', 'by the year 2200'],
    ['empty seed', withValue('seed', ''), 'argument', 'Invalid seed'],
    ['prefix slash', withValue('prefix', '/logs'), 'argument', 'Invalid key prefix "/logs"'],
    ['prefix dots', withValue('prefix', 'a/../b'), 'argument', 'Invalid key prefix'],
    ['organization', withValue('organization-id', 'org-1'), 'argument', 'Invalid organization ID "org-1"'],
  ])('rejects %s', async (_name, args, code, message) => {
    const dir = root();
    const err = await simulateCommand(['--local-root', dir, ...args], { out: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrailproofError);
    expect((err as TrailproofError).code).toBe(code);
    expect((err as TrailproofError).message).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });
});

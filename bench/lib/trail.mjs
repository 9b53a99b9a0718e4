// The bench's simulated trails (run.mjs, s3.mjs): one account, hourly digests, a throw-away key store.
import { availableParallelism } from 'node:os';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, checkedCli, iso, log, sameParams, seconds } from './common.mjs';

export const WORK = join(BENCH_DIR, '.work');
export const ACCOUNT = '111122223333';
export const TRAIL = 'bench';
export const HOME_REGION = 'us-east-1';
export const ARN = `arn:aws:cloudtrail:${HOME_REGION}:${ACCOUNT}:trail/${TRAIL}`;
export const START = Date.UTC(2024, 4, 1); // 2024-05-01T00:00:00Z
export const KEYS_VALID_FROM = '2024-04-30T00:00:00Z';

/**
 * A simulated trail with its key store in WORK/<name>, reused when its parameters match (params.json
 * is written last: a half-built trail is rebuilt). Resolves with { dir, root, keys, params, hours, ready }.
 */
export async function prepareTrail(name, { regions, files, fph, records, bucket, fresh = false }) {
  const dir = join(WORK, name);
  const root = join(dir, 'root');
  const keys = join(dir, 'keys');
  const hours = Math.ceil(files / (regions.length * fph));
  const perHour = Math.ceil(files / (regions.length * hours));
  const params = { version: 1, regions, bucket, account: ACCOUNT, start: iso(START), hours, filesPerHour: perHour, records, seed: 1 };
  const ready = !fresh && sameParams(join(dir, 'params.json'), params);
  if (ready) {
    log(`reusing the prepared trail in ${dir}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`simulating ${hours} h x ${perHour} files/h x ${regions.length} regions x ${records} records into ${root}`);
    const t0 = performance.now();
    await checkedCli(
      [
        'simulate',
        '--local-root',
        root,
        '--bucket',
        bucket,
        '--account',
        ACCOUNT,
        '--regions',
        regions.join(','),
        '--start-time',
        iso(START),
        '--hours',
        String(hours),
        '--files-per-hour',
        String(perHour),
        '--records-per-file',
        String(records),
        '--seed',
        '1',
        '--concurrency',
        String(Math.max(4, availableParallelism() * 2)),
      ],
      'trailproof simulate',
    );
    for (const region of regions) {
      await checkedCli(['keys', 'create', '--keys-dir', keys, '--region', region, '--valid-from', KEYS_VALID_FROM], 'trailproof keys create');
    }
    writeFileSync(join(dir, 'params.json'), `${JSON.stringify(params, null, 2)}\n`);
    log(`prepared in ${seconds(performance.now() - t0)}`);
  }
  return { dir, root, keys, params, hours, ready };
}

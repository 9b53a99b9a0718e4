import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { digestKey, logListPrefix } from '../format/names.js';
import { parseDate, MICROS_PER_HOUR } from '../format/time.js';
import { KeyStore } from '../keys/keystore.js';
import { entriesSource } from '../keys/source.js';
import { signRegion } from '../signer/sign.js';
import { simulateDelivery } from '../simulate/deliver.js';
import { LocalStore } from '../store/local.js';
import { createOutput } from '../verifier/output.js';
import { TextReport } from '../verifier/report-text.js';
import { runValidation } from '../verifier/validate.js';
import { TrailproofError } from '../errors.js';
import { describeFsError } from '../util/errno.js';
import { EXIT_PIPE_LINE, EXIT_STOPPED_LINE, EXIT_USAGE_LINE, parseArgs, str, type CommandSpec } from './args.js';
import { formatUsage } from './help.js';
import { counted } from './plural.js';

export const DEMO_COMMAND: CommandSpec = {
  name: 'demo',
  summary: 'Simulates a two-region trail, signs it with the test keys, validates it, tampers with it and validates again.',
  options: [
    { name: 'dir', value: 'DIR', description: 'where the trail and the key store copy go (DIR/root, DIR/keys: replaced)', default: 'a new temporary folder' },
  ],
  exitCodes: [[0, 'tampering was detected, as expected'], [1, 'the demo did not behave as expected'], EXIT_USAGE_LINE, EXIT_STOPPED_LINE, EXIT_PIPE_LINE],
};
export const DEMO_USAGE = formatUsage(DEMO_COMMAND);

/** The repository's test-only key store (keys/README.md). */
export const TEST_KEYS = fileURLToPath(new URL('../../keys', import.meta.url));

import { copyKeyStore } from '../keys/copy.js';

export { copyKeyStore };

const BUCKET = 'trailproof-demo-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/demo-trail`;
const REGIONS = ['us-east-1', 'eu-west-1'];
const START = '2024-05-01T00:00:00Z';
const HOURS = 6;

/**
 * `trailproof demo`: simulate a small two-region trail, sign it, validate it (all valid), then
 * change one log and delete one digest and validate again. Exit 0 when both reports are as expected.
 */
export async function demoCommand(argv: readonly string[], write: (t: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const args = parseArgs(argv, DEMO_COMMAND);
  const given = str(args, 'dir');
  const dir = given ?? (await mkdtemp(join(tmpdir(), 'trailproof-demo-')));
  const root = join(dir, 'root');
  const keysDir = join(dir, 'keys');
  try {
    if (given !== undefined) await mkdir(given, { recursive: true });
    await rm(root, { recursive: true, force: true });
    await rm(keysDir, { recursive: true, force: true });
    await copyKeyStore(TEST_KEYS, keysDir);
  } catch (err) {
    // --dir names a regular file, a folder we may not write, ...: the user's to fix, not a bug.
    if (given === undefined) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EEXIST' || code === 'ENOTDIR' ? 'is not a folder' : describeFsError(err);
    throw new TrailproofError('input', `Cannot prepare the demo in --dir ${given}: ${why}`);
  }
  let step = 0;
  const next = (): number => ++step;

  const store = new LocalStore(root);
  const start = parseDate(START).clock;
  const end = start + HOURS * MICROS_PER_HOUR;
  const sim = await simulateDelivery(store, {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: REGIONS,
    start,
    hours: HOURS,
    filesPerHour: 3,
    recordsPerFile: 25,
    seed: 'demo',
  });
  write(`${next()}. Simulated ${counted(sim.files, 'CloudTrail log file')} (${REGIONS.join(', ')}, ${HOURS} hours) in ${root}\n`);

  const keys = new KeyStore(keysDir);
  for (const region of REGIONS) {
    const scope = { account: ACCOUNT, sourceRegion: region, homeRegion: 'us-east-1', trailName: 'demo-trail' };
    const r = await signRegion({
      store,
      keys,
      bucket: BUCKET,
      scope,
      until: end,
      lookback: 24 * MICROS_PER_HOUR,
      concurrency: 4,
      now: () => end,
      warn: (m) => write(`${m}\n`),
    });
    write(`${next()}. Signed ${counted(r.digests, 'hourly digest')} for ${region} (${counted(r.logFiles, 'log file')}) with the test keys in ${keysDir}\n`);
  }

  const validate = async (title: string, region: string): Promise<number> => {
    write(
      `\n== ${title} ==\n$ trailproof validate-logs --trail-arn ${ARN} --start-time ${START} --end-time 2024-05-01T06:00:00Z --region ${region} --local-root ${root} --keys-dir ${keysDir}\n`,
    );
    const out = createOutput(process.stdout, process.stdout);
    const summary = await runValidation(
      {
        store,
        keys: entriesSource(await keys.publicEntries()),
        scope: { account: ACCOUNT, sourceRegion: region, homeRegion: 'us-east-1', trailName: 'demo-trail' },
        bucket: BUCKET,
        start,
        end,
      },
      new TextReport(out, false, ARN),
    );
    await out.flush();
    write(`(exit code ${summary.exitCode})\n`);
    return summary.exitCode;
  };

  const clean = [
    await validate(`${next()}. validate-logs, untouched trail, us-east-1`, 'us-east-1'),
    await validate(`${next()}. validate-logs, untouched trail, eu-west-1`, 'eu-west-1'),
  ];

  // Tamper: change one record of one log file, and delete one digest.
  const scope = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'demo-trail' };
  let victim: string | undefined;
  for await (const key of store.list(BUCKET, { prefix: logListPrefix(scope, 'us-east-1') })) {
    if (key.includes('T02')) {
      victim = key;
      break;
    }
  }
  if (victim) {
    const object = await store.get(BUCKET, victim);
    const parts: Buffer[] = [];
    for await (const chunk of object!.body) parts.push(Buffer.from(chunk));
    const text = gunzipSync(Buffer.concat(parts))
      .toString('utf8')
      .replace(/"eventName":"[A-Za-z]+"/, '"eventName":"DeleteTrail"');
    await store.put(BUCKET, victim, gzipSync(text));
  }
  const deleted = digestKey(scope, start + 4 * MICROS_PER_HOUR);
  await store.delete(BUCKET, deleted);
  write(`\n${next()}. Tampered: changed one record of s3://${BUCKET}/${victim ?? '?'}\n   and deleted s3://${BUCKET}/${deleted}\n`);
  const tampered = await validate(`${next()}. validate-logs after tampering, us-east-1`, 'us-east-1');

  write(`\nFiles: ${root} (trail), ${keysDir} (key store copy). Remove ${dir} when done.\n`);
  const ok = clean.every((c) => c === 0) && tampered === 1;
  write(ok ? 'Demo finished: tampering was detected.\n' : 'Demo did NOT behave as expected.\n');
  return ok ? 0 : 1;
}

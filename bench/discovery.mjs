// The audit's discovery on an archive with a long history (issue 11, scheduled runs): a daily audit
// lists the window's days of each region folder (src/audit/discovery-window.ts), not every object
// the archive ever received. Measures discover() for the last day of the archive, as the audit
// runs it, and through a store that ignores ListOptions.jump (every key listed, the same rule
// applied to them: what a listing of the whole history costs).
//
//   npm run build && node bench/discovery.mjs                # 20 accounts x 2 regions x 60 days
//   node bench/discovery.mjs --accounts 50 --days 120        # larger
//
// Discovery reads key names only, so the archive is empty files named as CloudTrail names digests
// (one an hour per chain) and logs (--logs-per-hour, default 4); it is kept in bench/.work.
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, REPO_DIR, log, loadLine, machineLine, num, requireBuild, seconds, table } from './lib/common.mjs';

const flags = { accounts: 20, regions: 2, days: 60, 'logs-per-hour': 4, repeat: 3 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const name = argv[i].replace(/^--/, '');
  const v = Number(argv[++i]);
  if (!(name in flags) || !Number.isSafeInteger(v) || v < 1) {
    process.stderr.write('usage: node bench/discovery.mjs [--accounts N] [--regions N] [--days N] [--logs-per-hour N] [--repeat N]\n');
    process.exit(2);
  }
  flags[name] = v;
}
requireBuild();
const dist = (p) => join(REPO_DIR, 'dist', p);
const { discover } = await import(dist('audit/discover.js'));
const { LocalStore } = await import(dist('store/local.js'));
const { digestKey, logKey } = await import(dist('format/names.js'));
const { MICROS_PER_HOUR } = await import(dist('format/time.js'));

const H = MICROS_PER_HOUR;
const REGIONS = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2', 'eu-central-1', 'sa-east-1', 'ca-central-1', 'ap-northeast-1'].slice(
  0,
  flags.regions,
);
const FIRST = Date.UTC(2024, 0, 1) * 1000;
const hours = flags.days * 24;
const BUCKET = 'tp-bench-history';
const dir = join(BENCH_DIR, '.work', `history-${flags.accounts}a-${flags.regions}r-${flags.days}d-${flags['logs-per-hour']}lph`);
const root = join(dir, 'root');
const accounts = Array.from({ length: flags.accounts }, (_, i) => String(100000000000 + i * 7919));
const total = accounts.length * REGIONS.length * hours * (1 + flags['logs-per-hour']);

if (!existsSync(join(dir, 'done'))) {
  rmSync(dir, { recursive: true, force: true });
  log(`writing ${num(total)} empty objects named as an archive of ${flags.days} days...`);
  const t0 = performance.now();
  const made = new Set();
  const put = (key) => {
    const path = join(root, BUCKET, key);
    const folder = path.slice(0, path.lastIndexOf('/'));
    if (!made.has(folder)) {
      mkdirSync(folder, { recursive: true });
      made.add(folder);
    }
    writeFileSync(path, '');
  };
  for (const account of accounts)
    for (const region of REGIONS)
      for (let h = 0; h < hours; h++) {
        const at = FIRST + h * H;
        put(digestKey({ prefix: undefined, organizationId: undefined, account, sourceRegion: region, homeRegion: 'us-east-1', trailName: 'org' }, at + H));
        for (let l = 0; l < flags['logs-per-hour']; l++)
          put(logKey({ account }, region, at + (l * 60 * H) / 60 / flags['logs-per-hour'], `Log${String(l).padStart(13, '0')}`));
      }
  writeFileSync(join(dir, 'done'), '');
  log(`written in ${seconds(performance.now() - t0)}`);
}

/** The store, its listings counted, and `jump` dropped when `skip` is false. */
function measured(skip) {
  const store = new LocalStore(root);
  const counted = { keys: 0 };
  const list = store.list.bind(store);
  store.list = async function* (bucket, o) {
    for await (const k of list(bucket, skip ? o : { ...o, jump: undefined })) {
      counted.keys++;
      yield k;
    }
  };
  return { store, counted };
}

const start = FIRST + (hours - 24) * H;
const end = FIRST + hours * H - 1;
const rows = [];
for (const [what, skip] of [
  ['discovery of the last day (the audit: the window and its lookback)', true],
  ['the same, listing every key of the history (no jump)', false],
]) {
  let best;
  for (let r = 0; r < flags.repeat; r++) {
    const { store, counted } = measured(skip);
    const t = performance.now();
    const c = process.cpuUsage();
    const found = await discover(store, BUCKET, undefined, start, end);
    const cpu = process.cpuUsage(c);
    const run = { ms: performance.now() - t, cpuMs: (cpu.user + cpu.system) / 1000, keys: counted.keys, chains: found.chains.size };
    if (!best || run.ms < best.ms) best = run;
  }
  rows.push({ what, ...best });
}
if (rows[0].chains !== rows[1].chains || rows[0].chains !== accounts.length * REGIONS.length) {
  process.stderr.write(`bench: the two discoveries differ (${rows[0].chains} and ${rows[1].chains} chains)\n`);
  process.exit(1);
}
process.stdout.write(`\ntrailproof audit discovery on a long history, ${machineLine()}\n${loadLine()}\n`);
process.stdout.write(
  `archive: ${flags.accounts} accounts x ${flags.regions} regions x ${flags.days} days (${num(total)} objects: a digest and ${flags['logs-per-hour']} logs per chain-hour), local root, warm page cache; window: its last day; best of ${flags.repeat}\n\n`,
);
process.stdout.write(
  table([['measurement', 'keys listed', 'wall', 'CPU', 'chains'], ...rows.map((r) => [r.what, num(r.keys), seconds(r.ms), seconds(r.cpuMs), num(r.chains)])]) +
    '\n',
);
process.stdout.write(`\nkeys listed: ${(rows[1].keys / rows[0].keys).toFixed(1)}x fewer; wall ${(rows[1].ms / rows[0].ms).toFixed(1)}x less\n`);

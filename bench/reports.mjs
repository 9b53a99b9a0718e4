#!/usr/bin/env node
// The reports at organization-year size (issue 12): `--html` and `--junit` for 100 chains x 1 year
// (876,000 hours), their sizes, and the timeline's load and response times in Debian's Chromium.
//
//   npm run build && node bench/reports.mjs            # 100 chains x 8,760 hours
//   node bench/reports.mjs --chains 20 --hours 2000    # smaller
//
// The report data is synthetic, fed straight to the writers (dist/report/) as runAudit feeds them:
// one digest record per chain-hour (its key named like CloudTrail's, 12 logs, the region's key
// fingerprint) and, in a tenth of the chains, planted trouble: an INVALID digest every 1,000 hours,
// a 48-hour hole (missing-digest per hour, then chain-restart), unreferenced logs, a backfill
// digest. Signing and validating a year of logs would measure the audit, not the reports.
// The JUnit worst case (every hour of every chain missing) shows the size bound.
/* global window, document, Event, MouseEvent -- inside page.evaluate, which runs in the browser */
import { mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSY_NOTE, load, loadLine, log, machineLine, MiB, num, REPO_DIR, requireBuild, table } from './lib/common.mjs';

requireBuild();
const argv = process.argv.slice(2);
const opt = (name, d) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : d;
};
const CHAINS = opt('chains', 100);
const HOURS = opt('hours', 8760);
const REPEAT = opt('repeat', 3);
const H = 3_600_000_000;
const START = Date.UTC(2024, 0, 1) * 1000;

const dist = (p) => import(join(REPO_DIR, 'dist', p));
const { HtmlReport } = await dist('report/html.js');
const { JunitReport } = await dist('report/junit.js');
const { digestKey } = await dist('format/names.js');
const { finding } = await dist('audit/types.js');
const { chromium } = await import('playwright-core');

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'sa-east-1'];
const chains = Array.from({ length: CHAINS }, (_, i) => ({
  account: String(100000000000 + Math.floor(i / REGIONS.length) * 7919).padStart(12, '0'),
  region: REGIONS[i % REGIONS.length],
  trail: 'org-trail',
  homeRegion: 'us-east-1',
  organizationId: 'o-a1b2c3d4e5',
  prefix: null,
}));
const scopeOf = (c) => ({ organizationId: c.organizationId, account: c.account, sourceRegion: c.region, homeRegion: c.homeRegion, trailName: c.trail });

class FileOut {
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.buf = [];
    this.n = 0;
  }
  write(t) {
    this.buf.push(t);
    this.n += t.length;
    if (this.n > 1 << 16) this.flush();
  }
  flush() {
    writeSync(this.fd, this.buf.join(''));
    this.buf = [];
    this.n = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
  }
}

/** The stream runAudit gives a report sink, for one organization-year. */
function feed(sinks, worst = false) {
  const end = START + HOURS * H;
  const totals = { error: 0, warning: 0, info: 0 };
  for (const s of sinks) s.header('org-archive-bucket', undefined, START, end);
  for (let i = 0; i < chains.length; i++) {
    const c = chains[i];
    const troubled = i % 10 === 3;
    const f = { error: 0, warning: 0, info: 0 };
    const findings = [];
    for (const s of sinks) s.chainStart(c);
    for (let h = HOURS - 1; h >= 0; h--) {
      const from = START + h * H;
      const key = digestKey(scopeOf(c), from + H);
      const hole = troubled && h >= 4000 && h < 4048;
      if (worst || hole) {
        findings.push(
          finding('missing-digest', c, `no digest covers the hour (between linked digests): s3://org-archive-bucket/${key} is not there`, {
            s3: `s3://org-archive-bucket/${key}`,
            from,
            to: from + H,
          }),
        );
        continue;
      }
      const invalid = troubled && h % 1000 === 500;
      const r = {
        kind: 'digest',
        backfill: false,
        bucket: 'org-archive-bucket',
        key,
        valid: !invalid,
        reason: invalid ? 'signature verification failed' : null,
        from,
        to: from + H,
        fingerprint: invalid ? null : `f${c.region.length}${'0'.repeat(30)}`,
        logs: { valid: invalid ? 0 : 12, invalid: 0 },
        invalidLogs: [],
      };
      for (const s of sinks) s.record(c, r);
      if (invalid)
        findings.push(
          finding('digest-invalid', c, `digest s3://org-archive-bucket/${key}: signature verification failed`, {
            s3: `s3://org-archive-bucket/${key}`,
            from,
            to: from + H,
          }),
        );
    }
    if (troubled && !worst) {
      for (const s of sinks) s.record(c, { kind: 'gap', backfill: false, from: START + 4000 * H, to: START + 4048 * H });
      findings.push(finding('chain-restart', c, 'the chain restarts: no digest for 48 h', { from: START + 4000 * H, to: START + 4048 * H }));
      for (let k = 0; k < 5; k++) {
        const t = START + (6000 + k * 100) * H + 30 * 60_000_000;
        findings.push(
          finding('unreferenced-log', c, 'log ... is referenced by no valid digest', {
            s3: `s3://org-archive-bucket/AWSLogs/${c.organizationId}/${c.account}/CloudTrail/${c.region}/2024/09/01/${c.account}_CloudTrail_${c.region}_${new Date(t / 1000).toISOString().slice(0, 16).replace(/[-:]/g, '')}Z_UnreferencedLog${k}.json.gz`,
          }),
        );
      }
      const bf = {
        kind: 'digest',
        backfill: true,
        bucket: 'org-archive-bucket',
        key: digestKey(scopeOf(c), START + 7001 * H, true),
        valid: true,
        reason: null,
        from: START + 7000 * H,
        to: START + 7001 * H,
        fingerprint: 'f0',
        logs: { valid: 1, invalid: 0 },
        invalidLogs: [],
      };
      for (const s of sinks) s.record(c, bf);
    }
    for (const x of findings) {
      f[x.severity]++;
      totals[x.severity]++;
      for (const s of sinks) s.finding(x);
    }
    const d = { valid: 0, invalid: 0 };
    for (const s of sinks) s.chainEnd({ chain: c, digests: d, backfillDigests: d, logs: d, findings: f, newestEnd: null, fatal: null });
  }
  for (const s of sinks)
    s.summary({
      bucket: 'org-archive-bucket',
      prefix: null,
      requestedStart: START,
      requestedEnd: end,
      chains: chains.length,
      digests: { valid: 0, invalid: 0 },
      logs: { valid: 0, invalid: 0 },
      findings: totals,
      fatal: null,
      exitCode: totals.error > 0 ? 1 : 0,
    });
}

const dir = mkdtempSync(join(tmpdir(), 'trailproof-bench-reports-'));
try {
  log(`${CHAINS} chains x ${HOURS} hours = ${num(CHAINS * HOURS)} chain-hours`);
  const htmlFile = join(dir, 'timeline.html');
  const junitFile = join(dir, 'junit.xml');
  const worstFile = join(dir, 'junit-worst.xml');
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  const outs = [new FileOut(htmlFile), new FileOut(junitFile)];
  feed([
    new HtmlReport(outs[0], { title: 'bench', command: 'trailproof audit', failOn: 'error' }),
    new JunitReport(outs[1], { name: 'bench', failOn: 'error' }),
  ]);
  outs.forEach((o) => o.close());
  const writeMs = performance.now() - t;
  const rss1 = process.memoryUsage().rss;
  t = performance.now();
  const worst = new FileOut(worstFile);
  feed([new JunitReport(worst, { name: 'bench', failOn: 'error' })], true);
  worst.close();
  const worstMs = performance.now() - t;

  const profile = join(dir, 'profile');
  mkdirSync(profile);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1600, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const runs = [];
  for (let r = 0; r < REPEAT; r++) {
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const t0 = performance.now();
    await page.goto(`file://${htmlFile}`);
    await page.waitForFunction(() => window.trailproofTimeline?.ready === true, null, { timeout: 120_000 });
    const wall = performance.now() - t0;
    const m = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const tl = window.trailproofTimeline;
      const t1 = performance.now();
      const sel = document.getElementById('f-severity');
      sel.value = 'error';
      sel.dispatchEvent(new Event('change'));
      const filterMs = performance.now() - t1;
      const rows = tl.rows().length;
      sel.value = '';
      sel.dispatchEvent(new Event('change'));
      const t2 = performance.now();
      tl.zoom('hour');
      const zoomMs = performance.now() - t2;
      const c = tl.cell(tl.rows()[3], 4500);
      const t3 = performance.now();
      document.getElementById('tl').dispatchEvent(new MouseEvent('click', { clientX: c.x, clientY: c.y, bubbles: true }));
      const clickMs = performance.now() - t3;
      const t4 = performance.now();
      const box = document.getElementById('tl');
      box.scrollLeft += 5000;
      box.dispatchEvent(new Event('scroll'));
      return {
        readyAt: tl.readyAt,
        domContentLoaded: nav.domContentLoadedEventEnd,
        filterMs,
        rows,
        zoomMs,
        clickMs,
        details: document.getElementById('details').textContent.length,
        scrollMs: performance.now() - t4,
      };
    });
    runs.push({ wall, ...m, errors: errors.length });
    await page.close();
  }
  await ctx.close();
  const best = runs.reduce((a, b) => (b.readyAt < a.readyAt ? b : a));
  const mb = (f) => num(statSync(f).size / MiB, 1);
  console.log(`# trailproof reports, ${CHAINS} chains x ${HOURS} hours (${num(CHAINS * HOURS)} chain-hours)`);
  console.log(machineLine());
  console.log(loadLine());
  if (load().busy) console.log(BUSY_NOTE);
  console.log('');
  console.log(
    table([
      ['what', 'figure'],
      ['writing HTML + JUnit (in-process, synthetic stream)', `${num(writeMs)} ms, RSS +${num((rss1 - rss0) / MiB)} MiB`],
      ['HTML file', `${mb(htmlFile)} MiB (limit 20)`],
      ['JUnit file', `${mb(junitFile)} MiB (limit 30, GitLab)`],
      ['JUnit, worst case (every hour of every chain missing)', `${mb(worstFile)} MiB, written in ${num(worstMs)} ms`],
      [`Chromium: interactive (script done, best of ${REPEAT})`, `${num(best.readyAt)} ms after navigation start (limit 3,000)`],
      ['Chromium: DOMContentLoaded', `${num(best.domContentLoaded)} ms`],
      ['Chromium: goto + ready, wall clock from the driver', `${num(best.wall)} ms`],
      ['severity filter (redraw)', `${num(best.filterMs, 1)} ms, ${best.rows} rows shown`],
      ['zoom days -> hours (redraw)', `${num(best.zoomMs, 1)} ms`],
      ['click -> details panel', `${num(best.clickMs, 1)} ms`],
      ['scroll (redraw)', `${num(best.scrollMs, 1)} ms`],
      ['console or page errors', String(runs.reduce((n, r) => n + r.errors, 0))],
    ]),
  );
  console.log(`\nall runs, interactive at: ${runs.map((r) => `${num(r.readyAt)} ms`).join(', ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

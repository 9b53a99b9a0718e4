import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_STATES } from '../../src/report/hours.js';
import { openFile, outputDir, type OpenedPage } from '../helpers/browser.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { lacks } from '../helpers/system-tools.js';
import { buildReportFixture, chainLabel, type ReportFixture } from './fixture.js';

/**
 * The HTML timeline in a real browser (Debian's Chromium through playwright-core), on a simulated
 * organization with planted tampering (fixture.ts): no console error and no request, the colour
 * drawn at each tampered hour and at a clean hour, the details of an INVALID digest, the filters.
 * Each test keeps a screenshot in test-output/report-html/. TRAILPROOF_UPDATE_DOCS=1 also copies
 * the details one to docs/timeline.png (the README's picture).
 */
const SHOTS = outputDir('report-html');
let dir: { path: string; cleanup: () => void };
let fx: ReportFixture;
let html: string;
let opened: OpenedPage;

/** What the page exposes (html-script-ui.ts); these tests run without the DOM types, the page has them. */
interface Timeline {
  ready: boolean;
  rows(): string[];
  zoom(z: 'hour' | 'day'): void;
  cell(name: string, col: number): { x: number; y: number; rgb: [number, number, number] } | null;
}
type PageGlobal = { trailproofTimeline?: Timeline; getComputedStyle(e: unknown): { backgroundColor: string } };

beforeAll(async () => {
  if (lacks('chromium')) return;
  dir = tempDir();
  fx = await buildReportFixture(dir.path);
  html = join(dir.path, 'timeline.html');
  const r = await runInProcess([...fx.args, '--html', html], { timeoutMs: 120_000 });
  expect(r.status, r.err).toBe(1);
  opened = await openFile(html);
  await opened.page.waitForFunction(() => (globalThis as unknown as PageGlobal).trailproofTimeline?.ready === true);
}, 180_000);
afterAll(async () => {
  await opened?.close();
  dir?.cleanup();
});

/** The legend's colour of a state, as the page shows it (rgb). */
async function legendColour(state: string): Promise<[number, number, number]> {
  const css = await opened.page.$eval(`#legend [data-state="${state}"] .sw`, (e) => (globalThis as unknown as PageGlobal).getComputedStyle(e).backgroundColor);
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(css)!;
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

const cell = (name: string, hour: number) =>
  opened.page.evaluate(([n, h]) => (globalThis as unknown as PageGlobal).trailproofTimeline!.cell(n as string, h as number), [name, hour] as const);

describe.skipIf(lacks('chromium'))('the HTML timeline in Chromium', () => {
  it('loads from file:// with no console error and no request; every chain is a row', async () => {
    const { page, problems } = opened;
    await page.screenshot({ path: join(SHOTS, 'loaded.png') });
    expect(problems).toEqual([]);
    expect((await page.evaluate(() => (globalThis as unknown as PageGlobal).trailproofTimeline!.rows())).sort()).toEqual(fx.chains.map(chainLabel).sort());
    expect(await page.textContent('#totals')).toMatch(/4 chains, .* findings: \d+ errors/);
    expect(statSync(html).size).toBeLessThan(200_000);
    // Self-contained: nothing that could fetch.
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<(link|img|iframe)\b|src=|https?:\/\//i);
  });

  it('draws each tampered hour in its colour and a clean hour as valid', async () => {
    expect(fx.expected.map((e) => e.state).sort()).toEqual(['invalid', 'invalid', 'missing', 'unreferenced', 'valid']);
    for (const e of fx.expected) {
      const c = await cell(e.chain, e.hour);
      expect(c, `${e.chain} hour ${e.hour}`).not.toBeNull();
      expect(c!.rgb, `${e.chain} hour ${e.hour} (${e.state})`).toEqual(await legendColour(e.state));
      // The hour next to a tampered one in the same chain is drawn in another colour, unless it is tampered too.
      if (e.state !== 'valid' && !fx.expected.some((x) => x.chain === e.chain && x.hour === e.hour + 1)) {
        expect((await cell(e.chain, e.hour + 1))!.rgb).toEqual(await legendColour('valid'));
      }
    }
    expect(HOUR_STATES).toContain('gap');
    await opened.page.screenshot({ path: join(SHOTS, 'colours.png') });
  });

  it('shows the details of an INVALID digest on click: key, window, fingerprint, reason', async () => {
    const e = fx.expected.find((x) => x.key !== undefined)!;
    const c = (await cell(e.chain, e.hour))!;
    await opened.page.mouse.click(c.x, c.y);
    const text = (await opened.page.textContent('#details'))!;
    await opened.page.screenshot({ path: join(SHOTS, 'details.png') });
    if (process.env.TRAILPROOF_UPDATE_DOCS === '1') copyFileSync(join(SHOTS, 'details.png'), join(ROOT, 'docs', 'timeline.png'));
    expect(text).toContain(e.chain);
    expect(text).toContain('state: INVALID');
    expect(text).toContain(`digest key: ${e.key}`);
    expect(text).toContain(`reason: ${e.reason}`);
    expect(text).toContain('key fingerprint: unknown (the digest is not valid)');
    const from = new Date(fx.archive.start / 1000 + e.hour * 3_600_000).toISOString().replace('.000', '');
    expect(text).toContain(`window: ${from}`);
    // A valid hour: the digest key rebuilt from the compact arrays is the real key, with its key fingerprint.
    const clean = fx.expected.find((x) => x.state === 'valid')!;
    const v = (await cell(clean.chain, clean.hour))!;
    await opened.page.mouse.click(v.x, v.y);
    const valid = (await opened.page.textContent('#details'))!;
    const chain = fx.chains.find((x) => chainLabel(x) === clean.chain)!;
    expect(valid).toContain(`digest key: ${chain.digestKeys[clean.hour]}`);
    expect(valid).toMatch(/key fingerprint: [0-9a-f]{32}/);
  });

  it('filters by account and by severity', async () => {
    const { page } = opened;
    const account = fx.chains[3]!.scope.account;
    await page.selectOption('#f-account', account);
    const rows = await page.evaluate(() => (globalThis as unknown as PageGlobal).trailproofTimeline!.rows());
    expect(rows.sort()).toEqual(
      fx.chains
        .filter((c) => c.scope.account === account)
        .map(chainLabel)
        .sort(),
    );
    expect(await page.textContent('#shown')).toBe(`${rows.length} of 4 chains`);
    await page.screenshot({ path: join(SHOTS, 'filter-account.png') });
    await page.selectOption('#f-account', '');
    await page.selectOption('#f-severity', 'clean');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobal).trailproofTimeline!.rows())).toEqual([chainLabel(fx.chains[3]!)]);
    await page.screenshot({ path: join(SHOTS, 'filter-severity.png') });
    await page.selectOption('#f-severity', '');
    expect(opened.problems).toEqual([]);
  });
});

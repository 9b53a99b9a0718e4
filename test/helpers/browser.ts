import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './cli.js';

/**
 * Debian's Chromium (/usr/bin/chromium, installed by .ci/run) driven by playwright-core: no browser
 * download. The flags keep it quiet on a machine without network (no component updates, no
 * background fetches, no QUIC), and a fresh profile per launch. Every console error, page error
 * and network request (the report must need none) is collected for the test to assert on.
 */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface OpenedPage {
  readonly page: Page;
  /** Console errors, page errors, and any request that is not the file itself. */
  readonly problems: string[];
  close(): Promise<void>;
}

export async function openFile(file: string, viewport = { width: 1400, height: 820 }): Promise<OpenedPage> {
  const profile = mkdtempSync(join(tmpdir(), 'trailproof-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport });
    const page = context.pages()[0] ?? (await context.newPage());
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const url = `file://${file}`;
    page.on('request', (r) => {
      if (r.url() !== url) problems.push(`request: ${r.url()}`);
    });
    await page.goto(url);
    const ctx = context;
    return {
      page,
      problems,
      close: async () => {
        await ctx.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/** test-output/<suite>/ (gitignored): screenshots kept after the run. */
export function outputDir(suite: string): string {
  const dir = join(ROOT, 'test-output', suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}

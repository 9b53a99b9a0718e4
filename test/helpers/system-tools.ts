import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian tools some suites drive for real (never mocks): Chromium for the HTML report, Python's
 * junitparser for the JUnit report, redis-server for the distributed audit, SoftHSM2 and opensc for
 * PKCS#11 keys. `.ci/run` installs them and sets TRAILPROOF_REQUIRE_TOOLS=1, so that there a
 * missing one fails its suites; elsewhere (`npm ci && npm test` on a fresh machine) those suites are
 * skipped, and the test run says so in one line (test/helpers/s3-notice.ts).
 */
export type Tool = 'chromium' | 'junitparser' | 'redis' | 'softhsm';

const TOOLS: Record<Tool, { readonly packages: string; readonly present: () => boolean }> = {
  chromium: { packages: 'chromium', present: () => existsSync('/usr/bin/chromium') },
  junitparser: {
    packages: 'python3-junitparser',
    present: () => spawnSync('/usr/bin/python3', ['-c', 'import junitparser'], { stdio: 'ignore' }).status === 0,
  },
  redis: { packages: 'redis-server', present: () => existsSync('/usr/bin/redis-server') },
  softhsm: {
    packages: 'softhsm2 opensc',
    present: () => existsSync('/usr/lib/softhsm/libsofthsm2.so') && existsSync('/usr/bin/softhsm2-util') && existsSync('/usr/bin/pkcs11-tool'),
  },
};

const seen = new Map<Tool, boolean>();

function present(tool: Tool): boolean {
  let has = seen.get(tool);
  if (has === undefined) seen.set(tool, (has = TOOLS[tool].present()));
  return has;
}

/** Whether the suites that need `tool` are skipped here (never where TRAILPROOF_REQUIRE_TOOLS=1). */
export function lacks(tool: Tool, env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TRAILPROOF_REQUIRE_TOOLS !== '1' && !present(tool);
}

/** One line naming the skipped suites' missing packages, or undefined when nothing is skipped. */
export function toolsNotice(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = (Object.keys(TOOLS) as Tool[]).filter((t) => lacks(t, env));
  if (missing.length === 0) return undefined;
  return `Tests skipped for want of Debian packages: ${missing.map((t) => TOOLS[t].packages).join(', ')} (apt-get install them, or run bash .ci/run)`;
}

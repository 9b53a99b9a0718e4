import { toolsNotice } from './system-tools.js';

/**
 * vitest globalSetup: one line saying why the real-S3 suites are skipped (and one for suites whose
 * Debian tools are missing: system-tools.ts), instead of a list of
 * skipped tests with no reason. The suites decide by TRAILPROOF_S3_ENDPOINT (test/s3/helpers.ts).
 */
export const S3_ENDPOINT_VARIABLE = 'TRAILPROOF_S3_ENDPOINT';

/** The notice for an environment, or undefined when the S3 suites will run. */
export function s3SkipNotice(env: NodeJS.ProcessEnv): string | undefined {
  if (env[S3_ENDPOINT_VARIABLE]) return undefined;
  return `S3 tests skipped: ${S3_ENDPOINT_VARIABLE} is not set (run scripts/with-s3.sh npm test, or bash .ci/run)`;
}

/** Whether the command line's file filters (none: every file) take in test/s3. */
export function runsS3Suites(filters: readonly string[]): boolean {
  return filters.length === 0 || filters.some((f) => f.includes('s3') || 'test/s3/'.startsWith(f.replace(/^\.\//, '')));
}

export default function setup(): void {
  const args = process.argv.slice(2);
  const filters = args.filter((a, i) => !a.startsWith('-') && a !== 'run' && !args[i - 1]?.startsWith('--'));
  const notice = s3SkipNotice(process.env);
  if (notice !== undefined && runsS3Suites(filters)) process.stdout.write(`${notice}\n`);
  const tools = toolsNotice(process.env);
  if (tools !== undefined) process.stdout.write(`${tools}\n`);
}

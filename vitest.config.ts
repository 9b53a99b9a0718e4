import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Says once why the real-S3 suites are skipped when no server is configured.
    globalSetup: ['test/helpers/s3-notice.ts'],
    // Runs in every test file: the environment the suite's expectations assume (clean-env.ts).
    setupFiles: ['test/helpers/clean-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

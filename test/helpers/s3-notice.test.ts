import { describe, expect, it } from 'vitest';
import { runsS3Suites, s3SkipNotice, S3_ENDPOINT_VARIABLE } from './s3-notice.js';

describe('the S3 skip notice (vitest globalSetup)', () => {
  it('is one line naming the variable when it is unset or empty, nothing when it is set', () => {
    for (const env of [{}, { [S3_ENDPOINT_VARIABLE]: '' }]) {
      const notice = s3SkipNotice(env);
      expect(notice).toMatch(/^S3 tests skipped: TRAILPROOF_S3_ENDPOINT is not set \(run scripts\/with-s3\.sh npm test, or bash \.ci\/run\)$/);
    }
    expect(s3SkipNotice({ [S3_ENDPOINT_VARIABLE]: 'http://127.0.0.1:7480' })).toBeUndefined();
  });

  it('is shown for runs that take in test/s3 only', () => {
    expect(runsS3Suites([])).toBe(true);
    expect(runsS3Suites(['test/s3'])).toBe(true);
    expect(runsS3Suites(['test/'])).toBe(true);
    expect(runsS3Suites(['test/cli'])).toBe(false);
  });
});

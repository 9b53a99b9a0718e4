import { describe, expect, it } from 'vitest';
import { sdkOnly } from '../../src/cli/aws.js';

/** The environment as the CLI reads it for the S3 store (src/cli/aws.ts); the store takes options. */
describe('TRAILPROOF_S3_SDK_ONLY', () => {
  it('turns the fast path off when set to 1 (or true/yes)', () => {
    expect(sdkOnly({})).toBe(false);
    expect(sdkOnly({ TRAILPROOF_S3_SDK_ONLY: '' })).toBe(false);
    expect(sdkOnly({ TRAILPROOF_S3_SDK_ONLY: '0' })).toBe(false);
    expect(sdkOnly({ TRAILPROOF_S3_SDK_ONLY: '1' })).toBe(true);
    expect(sdkOnly({ TRAILPROOF_S3_SDK_ONLY: 'true' })).toBe(true);
    expect(sdkOnly({ TRAILPROOF_S3_SDK_ONLY: 'YES' })).toBe(true);
  });
});

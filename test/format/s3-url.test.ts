import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseS3Folder } from '../../src/format/s3-url.js';

/** `s3://bucket[/prefix]` folders (--witness, --results): the one parser of them. */
const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/);
const segment = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/[\u0000-\u001f\u007f/]/.test(s));

describe('parseS3Folder', () => {
  it('reads a bucket and a prefix ending in "/", with or without the trailing slash given', () => {
    fc.assert(
      fc.property(bucket, fc.array(segment, { maxLength: 4 }), fc.boolean(), (b, parts, slash) => {
        const path = parts.join('/');
        const text = `s3://${b}${path === '' ? (slash ? '/' : '') : `/${path}${slash ? '/' : ''}`}`;
        expect(parseS3Folder(text)).toEqual({ bucket: b, prefix: path === '' ? '' : `${path}/` });
      }),
    );
  });

  it('refuses what is not one: a bad bucket name, an empty segment, control characters', () => {
    for (const text of [
      's3://',
      's3:///p',
      's3://Bucket/p',
      's3://b/p',
      's3://bucket..name/p',
      's3://bucket//p',
      's3://bucket//',
      's3://bucket/p//',
      's3://bucket/a//b',
      's3://bucket/a\nb',
      's3://bucket/a\u0000',
      `s3://${'b'.repeat(64)}/p`,
      'http://bucket/p',
    ]) {
      expect(parseS3Folder(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('never throws, and what it accepts names the same folder again', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const at = parseS3Folder(`s3://${text}`);
        if (at) expect(parseS3Folder(`s3://${at.bucket}/${at.prefix}`)).toEqual(at);
      }),
    );
  });
});

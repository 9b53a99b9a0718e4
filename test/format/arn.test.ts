import { describe, expect, it } from 'vitest';
import { TrailproofError } from '../../src/errors.js';
import { parseTrailArn } from '../../src/format/arn.js';

/** Behaviour §1: `arn:<partition>:cloudtrail:<region>:<12 digits>:trail/<name>`, checked as a prefix match. */
describe('parseTrailArn: valid', () => {
  const cases: Array<[string, { partition: string; region: string; account: string; name: string }]> = [
    ['arn:aws:cloudtrail:us-east-1:123456789012:trail/oracle-trail', { partition: 'aws', region: 'us-east-1', account: '123456789012', name: 'oracle-trail' }],
    ['arn:aws-cn:cloudtrail:cn-north-1:000000000000:trail/t', { partition: 'aws-cn', region: 'cn-north-1', account: '000000000000', name: 't' }],
    [
      'arn:aws-us-gov:cloudtrail:us-gov-west-1:123456789012:trail/a_b.c-d',
      { partition: 'aws-us-gov', region: 'us-gov-west-1', account: '123456789012', name: 'a_b.c-d' },
    ],
    // the name is the text after the last slash
    ['arn:aws:cloudtrail:us-east-1:123456789012:trail/path/to/name', { partition: 'aws', region: 'us-east-1', account: '123456789012', name: 'name' }],
    // a prefix match: anything may follow the first name character
    ['arn:aws:cloudtrail:us-east-1:123456789012:trail/x y', { partition: 'aws', region: 'us-east-1', account: '123456789012', name: 'x y' }],
  ];
  it.each(cases)('%s', (arn, expected) => {
    const parsed = parseTrailArn(arn);
    expect(parsed).toEqual({ arn, ...expected });
  });
});

describe('parseTrailArn: invalid -> Invalid trail ARN provided', () => {
  const bad = [
    '',
    'oracle-trail',
    'arn:aws:cloudtrail:us-east-1:123456789012:trail/',
    'arn:aws:cloudtrail:us-east-1:12345678901:trail/x',
    'arn:aws:cloudtrail:us-east-1:1234567890123:trail/x',
    'arn:aws:cloudtrail:us-east-1:12345678901a:trail/x',
    'arn:aws:cloudtrail:us-east-1:123456789012:user/x',
    'arn:aws:cloudtrail:us-east-1:123456789012/trail/x',
    'arn::cloudtrail:us-east-1:123456789012:trail/x',
    'arn:aws:cloudtrail::123456789012:trail/x',
    'arn:aws:s3:::bucket',
    ' arn:aws:cloudtrail:us-east-1:123456789012:trail/x',
    'xarn:aws:cloudtrail:us-east-1:123456789012:trail/x',
    'ARN:aws:cloudtrail:us-east-1:123456789012:trail/x',
  ];
  it.each(bad)('%j', (arn) => {
    let caught: unknown;
    try {
      parseTrailArn(arn);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TrailproofError);
    expect((caught as TrailproofError).message).toBe(`Invalid trail ARN provided: ${arn}`);
    expect((caught as TrailproofError).code).toBe('argument');
  });

  // Regression, fixed (src/format/arn.ts): the reference checks the ARN with Python's
  // re.match(r'arn:.+:cloudtrail:.+:\d{12}:trail/.+'), where \d is any Unicode decimal digit
  // (names.ts already follows this for digest folders). The JS RegExp's \d is ASCII only, so an
  // account written in, e.g., Arabic-Indic digits is rejected here but accepted by the reference.
  it("accepts Unicode decimal digits in the account, as Python's \\d does", () => {
    const arn = 'arn:aws:cloudtrail:us-east-1:١٢٣٤٥٦٧٨٩٠١٢:trail/x';
    expect(parseTrailArn(arn).account).toBe('١٢٣٤٥٦٧٨٩٠١٢');
  });
});

import { TrailproofError } from '../errors.js';

export interface TrailArn {
  readonly arn: string;
  readonly partition: string;
  /** The trail's home region: the ARN's 4th `:` field (behaviour §1). */
  readonly region: string;
  /** The 5th `:` field. */
  readonly account: string;
  /** The text after the last `/`. */
  readonly name: string;
}

// Behaviour §1: arn:<partition>:cloudtrail:<region>:<12 digits>:trail/<name>. The reference's check
// is a prefix match of `arn:.+:cloudtrail:.+:\d{12}:trail/.+` (Python: `.` is anything but a newline,
// `\d` any Unicode decimal digit); the fields are then split by `:` and `/`.
const ARN_SHAPE = /^arn:[^\n]+:cloudtrail:[^\n]+:\p{Nd}{12}:trail\/[^\n]+/u;

export function parseTrailArn(arn: string): TrailArn {
  if (!ARN_SHAPE.test(arn)) {
    throw new TrailproofError('argument', `Invalid trail ARN provided: ${arn}`);
  }
  const parts = arn.split(':');
  const slash = arn.split('/');
  return {
    arn,
    partition: parts[1] ?? '',
    region: parts[3] ?? '',
    account: parts[4] ?? '',
    name: slash[slash.length - 1] ?? '',
  };
}

import { TrailproofError } from '../errors.js';

/** The trail's entry in `aws cloudtrail describe-trails` output (what the AWS CLI asks CloudTrail). */
export interface TrailInfo {
  readonly bucket: string;
  readonly prefix: string | undefined;
  readonly isOrganizationTrail: boolean;
}

export function findTrail(text: string, arn: string, source: string): TrailInfo {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TrailproofError('input', `Trails file ${source}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const list = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).trailList : undefined;
  if (!Array.isArray(list)) throw new TrailproofError('input', `Trails file ${source}: expected {"trailList": [...]}`);
  return trailFromList(list, arn);
}

/** get_trail_by_arn: the entry whose TrailARN is the ARN, else the reference's error. */
export function trailFromList(list: readonly unknown[], arn: string): TrailInfo {
  for (const t of list) {
    if (typeof t !== 'object' || t === null) continue;
    const trail = t as Record<string, unknown>;
    if (trail.TrailARN !== arn) continue;
    if (typeof trail.S3BucketName !== 'string' || trail.S3BucketName === '') {
      throw new TrailproofError('input', `The trail ${arn} has no S3BucketName`);
    }
    const prefix = typeof trail.S3KeyPrefix === 'string' && trail.S3KeyPrefix !== '' ? trail.S3KeyPrefix : undefined;
    return { bucket: trail.S3BucketName, prefix, isOrganizationTrail: trail.IsOrganizationTrail === true };
  }
  throw new TrailproofError('argument', `A trail could not be found for ${arn}`);
}

/**
 * An AWS region name as CloudTrail writes it in folders and file names (`us-east-1`,
 * `us-gov-west-1`, `cn-northwest-1`, the European Sovereign Cloud's `eusc-de-east-1`): the one rule
 * for every reader of region names (key names, key store folders, arguments).
 */
const REGION_NAME = /^[a-z]{2,4}(?:-[a-z0-9]+)+-\d{1,2}$/;

export function isRegionName(name: string): boolean {
  return REGION_NAME.test(name);
}

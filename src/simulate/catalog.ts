import { formatDisplay } from '../format/time.js';
import type { Prng } from './prng.js';
import type { World } from './world.js';

/**
 * Which API calls the simulator makes, how often, and the shape of their parameters. The shapes
 * follow real CloudTrail records of these calls (CloudTrail User Guide, "CloudTrail record
 * contents"; each service's "Logging API calls with AWS CloudTrail" page), trimmed to a few
 * fields. Read-only calls dominate, as in real trails.
 */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json | undefined };

export interface CallContext {
  readonly rng: Prng;
  readonly world: World;
  readonly region: string;
  /** The event time, microseconds. */
  readonly time: number;
}

type Build = (c: CallContext) => Json;

export interface EventSpec {
  readonly source: string;
  readonly name: string;
  readonly readOnly: boolean;
  readonly weight: number;
  /** IAM events are global: CloudTrail logs them in us-east-1 only. */
  readonly global: boolean;
  /** A data event (only produced when data events are asked for). */
  readonly data: boolean;
  /** An AWS service that sometimes makes this call on a user's behalf (userIdentity AWSService). */
  readonly invokedBy?: string;
  readonly request?: Build;
  readonly response?: Build;
  readonly resources?: (c: CallContext) => Json[];
}

type EventDef = [
  name: string,
  readOnly: boolean,
  weight: number,
  extra?: Partial<Pick<EventSpec, 'invokedBy' | 'request' | 'response' | 'resources'>>,
];

function service(source: string, weight: number, defs: EventDef[], flags: { global?: boolean; data?: boolean } = {}): EventSpec[] {
  const total = defs.reduce((s, d) => s + d[2], 0);
  return defs.map(([name, readOnly, w, extra]) => ({
    source: `${source}.amazonaws.com`,
    name,
    readOnly,
    weight: (weight * w) / total,
    global: flags.global ?? false,
    data: flags.data ?? false,
    ...extra,
  }));
}

const millis = (c: CallContext): string => formatDisplay(c.time).replace('Z', '.000Z');
const kmsArn = (c: CallContext, id: string): string => `arn:aws:kms:${c.region}:${c.world.account}:key/${id}`;
const bucketReq = (c: CallContext): Json => ({ bucketName: c.rng.pick(c.world.buckets), Host: 's3.amazonaws.com' });
const instanceItems = (c: CallContext): Json => ({ items: [{ instanceId: c.rng.pick(c.world.instances) }] });

function kmsCall(c: CallContext): Json {
  return {
    encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    keyId: kmsArn(c, c.rng.pick(c.world.kmsKeys)),
    encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::${c.rng.pick(c.world.buckets)}` },
  };
}
const kmsResources = (c: CallContext): Json[] => [
  { accountId: c.world.account, type: 'AWS::KMS::Key', ARN: kmsArn(c, c.rng.pick(c.world.kmsKeys)) },
];

const INSTANCE_TYPES = ['t3.micro', 't3.medium', 'm7g.large', 'c7i.xlarge'];

const EC2 = service('ec2', 30, [
  ['DescribeInstances', true, 10, { request: () => ({ instancesSet: {}, filterSet: {} }) }],
  ['DescribeSecurityGroups', true, 4, { request: () => ({ securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} }) }],
  ['DescribeVolumes', true, 3, { request: () => ({ volumeSet: {}, filterSet: {} }) }],
  ['DescribeVpcs', true, 2, { request: () => ({ vpcSet: {}, filterSet: {} }) }],
  ['CreateTags', false, 1.5, {
    request: (c) => ({ resourcesSet: instanceItems(c), tagSet: { items: [{ key: 'owner', value: c.rng.pick(c.world.users) }] } }),
    response: (c) => ({ requestId: c.rng.uuid(), _return: true }),
  }],
  ['RunInstances', false, 1, {
    request: (c) => ({
      instancesSet: { items: [{ imageId: c.rng.pick(c.world.amis), minCount: 1, maxCount: 1 }] },
      instanceType: c.rng.pick(INSTANCE_TYPES),
      subnetId: c.rng.pick(c.world.subnets),
      disableApiTermination: false,
    }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      reservationId: `r-0${c.rng.hex(16)}`,
      ownerId: c.world.account,
      instancesSet: {
        items: [{ instanceId: `i-0${c.rng.hex(16)}`, imageId: c.rng.pick(c.world.amis), instanceState: { code: 0, name: 'pending' }, launchTime: c.time / 1000 }],
      },
    }),
  }],
  ['StopInstances', false, 0.6, {
    request: (c) => ({ instancesSet: instanceItems(c), force: false }),
    response: (c) => ({ requestId: c.rng.uuid(), instancesSet: instanceItems(c) }),
  }],
  ['TerminateInstances', false, 0.4, {
    request: (c) => ({ instancesSet: instanceItems(c) }),
    response: (c) => ({ requestId: c.rng.uuid(), instancesSet: instanceItems(c) }),
  }],
  ['AuthorizeSecurityGroupIngress', false, 0.3, {
    request: (c) => ({
      groupId: c.rng.pick(c.world.securityGroups),
      ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: '203.0.113.0/24' }] } }] },
    }),
    response: (c) => ({ requestId: c.rng.uuid(), _return: true }),
  }],
]);

const S3 = service('s3', 15, [
  ['ListBuckets', true, 3, { request: () => ({ Host: 's3.amazonaws.com' }) }],
  ['GetBucketAcl', true, 4, { request: (c) => ({ ...(bucketReq(c) as object), acl: '' }) }],
  ['GetBucketLocation', true, 4, { request: (c) => ({ ...(bucketReq(c) as object), location: '' }) }],
  ['GetBucketVersioning', true, 2, { request: (c) => ({ ...(bucketReq(c) as object), versioning: '' }) }],
  ['GetBucketEncryption', true, 2, { request: (c) => ({ ...(bucketReq(c) as object), encryption: '' }) }],
  ['GetBucketPolicy', true, 2, { request: (c) => ({ ...(bucketReq(c) as object), policy: '' }) }],
  ['PutBucketTagging', false, 0.3, { request: (c) => ({ ...(bucketReq(c) as object), tagging: '' }) }],
  ['PutBucketPolicy', false, 0.3, { request: (c) => ({ ...(bucketReq(c) as object), policy: '' }) }],
  ['CreateBucket', false, 0.2, {
    request: (c) => ({ bucketName: `scratch-${c.rng.hex(8)}-${c.world.account}`, Host: 's3.amazonaws.com', CreateBucketConfiguration: { LocationConstraint: c.region } }),
  }],
]);

const STS = service('sts', 12, [
  ['AssumeRole', true, 6, {
    invokedBy: 'lambda.amazonaws.com',
    request: (c) => ({ roleArn: `arn:aws:iam::${c.world.account}:role/${c.rng.pick(c.world.roles)}`, roleSessionName: c.rng.pick(c.world.users), durationSeconds: 3600 }),
    response: (c) => ({
      credentials: { accessKeyId: `ASIA${c.rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`, sessionToken: c.rng.hex(64), expiration: 'Jan 1, 2030, 12:00:00 AM' },
      assumedRoleUser: { assumedRoleId: `AROA${c.rng.hex(17).toUpperCase()}:session`, arn: `arn:aws:sts::${c.world.account}:assumed-role/${c.rng.pick(c.world.roles)}/session` },
    }),
  }],
  ['GetCallerIdentity', true, 4],
  ['GetSessionToken', true, 0.5, { request: () => ({ durationSeconds: 43200 }) }],
]);

const KMS = service('kms', 12, [
  ['Decrypt', true, 6, { invokedBy: 's3.amazonaws.com', request: kmsCall, resources: kmsResources }],
  ['GenerateDataKey', true, 4, { invokedBy: 's3.amazonaws.com', request: (c) => ({ ...(kmsCall(c) as object), keySpec: 'AES_256' }), resources: kmsResources }],
  ['Encrypt', true, 1, { request: kmsCall, resources: kmsResources }],
  ['DescribeKey', true, 1, { request: (c) => ({ keyId: `alias/${c.rng.pick(['app', 'backups', 'aws/s3'])}` }), resources: kmsResources }],
  ['CreateKey', false, 0.1, {
    request: () => ({ keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS', multiRegion: false }),
    response: (c) => ({ keyMetadata: { AWSAccountId: c.world.account, keyId: c.rng.uuid(), creationDate: formatDisplay(c.time), enabled: true, keyState: 'Enabled' } }),
  }],
]);

const fnName = (c: CallContext): Json => ({ functionName: c.rng.pick(c.world.functions) });
const LAMBDA = service('lambda', 8, [
  ['ListFunctions20150331', true, 3],
  ['GetFunction20150331v2', true, 3, { request: fnName }],
  ['UpdateFunctionCode20150331v2', false, 0.5, {
    request: (c) => ({ functionName: c.rng.pick(c.world.functions), publish: true, dryRun: false }),
    response: (c) => ({ functionName: c.rng.pick(c.world.functions), runtime: 'python3.12', codeSize: c.rng.range(10_000, 5_000_000), lastModified: millis(c) }),
  }],
  ['UpdateFunctionConfiguration20150331v2', false, 0.3, { request: (c) => ({ functionName: c.rng.pick(c.world.functions), timeout: 30, memorySize: 512 }) }],
]);

const LOGS = service('logs', 8, [
  ['DescribeLogGroups', true, 4, { request: () => ({ limit: 50 }) }],
  ['DescribeLogStreams', true, 2, { request: (c) => ({ logGroupName: c.rng.pick(c.world.logGroups), orderBy: 'LastEventTime', descending: true }) }],
  ['CreateLogStream', false, 2, { request: (c) => ({ logGroupName: c.rng.pick(c.world.logGroups), logStreamName: `2024/01/01/[$LATEST]${c.rng.hex(32)}` }) }],
  ['CreateLogGroup', false, 0.3, { request: (c) => ({ logGroupName: `/aws/lambda/${c.rng.pick(c.world.functions)}` }) }],
  ['PutRetentionPolicy', false, 0.2, { request: (c) => ({ logGroupName: c.rng.pick(c.world.logGroups), retentionInDays: 90 }) }],
]);

const DYNAMODB = service('dynamodb', 5, [
  ['DescribeTable', true, 4, { request: (c) => ({ tableName: c.rng.pick(c.world.tables) }) }],
  ['ListTables', true, 2],
  ['UpdateTimeToLive', false, 0.2, { request: (c) => ({ tableName: c.rng.pick(c.world.tables), timeToLiveSpecification: { enabled: true, attributeName: 'expiresAt' } }) }],
]);

const MONITORING = service('monitoring', 4, [
  ['DescribeAlarms', true, 3, { request: () => ({ maxRecords: 100 }) }],
  ['PutMetricAlarm', false, 0.5, { request: (c) => ({ alarmName: `${c.rng.pick(c.world.functions)}-errors`, metricName: 'Errors', namespace: 'AWS/Lambda', threshold: 1 }) }],
]);

const CLOUDTRAIL = service('cloudtrail', 2, [
  ['DescribeTrails', true, 2, { request: () => ({ includeShadowTrails: true }) }],
  ['GetTrailStatus', true, 2, { request: (c) => ({ name: `arn:aws:cloudtrail:us-east-1:${c.world.account}:trail/management-events` }) }],
  ['LookupEvents', true, 1, { request: () => ({ maxResults: 50 }) }],
]);

const userReq = (c: CallContext): Json => ({ userName: c.rng.pick(c.world.users) });
const roleReq = (c: CallContext): Json => ({ roleName: c.rng.pick(c.world.roles) });
const IAM = service(
  'iam',
  10,
  [
    ['GetUser', true, 3, { request: userReq }],
    ['GetRole', true, 3, { request: roleReq }],
    ['ListUsers', true, 2],
    ['ListRoles', true, 2],
    ['ListAttachedRolePolicies', true, 2, { request: roleReq }],
    ['AttachRolePolicy', false, 0.3, { request: (c) => ({ ...(roleReq(c) as object), policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }) }],
    ['CreateUser', false, 0.2, {
      request: (c) => ({ userName: `temp-${c.rng.hex(6)}` }),
      response: (c) => ({
        user: { path: '/', userName: `temp-${c.rng.hex(6)}`, userId: `AIDA${c.rng.hex(17).toUpperCase()}`, arn: `arn:aws:iam::${c.world.account}:user/temp`, createDate: millis(c) },
      }),
    }],
    ['CreateAccessKey', false, 0.2, {
      request: userReq,
      response: (c) => ({
        accessKey: { userName: c.rng.pick(c.world.users), accessKeyId: `AKIA${c.rng.hex(16).toUpperCase()}`, status: 'Active', createDate: millis(c) },
      }),
    }],
    ['DeleteUser', false, 0.1, { request: (c) => ({ userName: `temp-${c.rng.hex(6)}` }) }],
  ],
  { global: true },
);

/** Data events: recorded only by trails with event selectors for them (User Guide, "Logging data events"). */
const DATA = [
  ...service(
    's3',
    10,
    [
      ['GetObject', true, 6],
      ['PutObject', false, 3],
    ],
    { data: true },
  ),
  ...service('lambda', 4, [['Invoke', false, 1]], { data: true }),
].map((e) => ({
  ...e,
  request: (c: CallContext): Json =>
    e.source.startsWith('s3')
      ? { bucketName: c.rng.pick(c.world.buckets), Host: 's3.amazonaws.com', key: c.rng.pick(c.world.objectKeys) }
      : { functionName: `arn:aws:lambda:${c.region}:${c.world.account}:function:${c.rng.pick(c.world.functions)}`, invocationType: 'Event' },
  resources: (c: CallContext): Json[] => {
    if (!e.source.startsWith('s3')) {
      return [{ accountId: c.world.account, type: 'AWS::Lambda::Function', ARN: `arn:aws:lambda:${c.region}:${c.world.account}:function:${c.rng.pick(c.world.functions)}` }];
    }
    const bucket = c.rng.pick(c.world.buckets);
    return [
      { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${c.rng.pick(c.world.objectKeys)}` },
      { accountId: c.world.account, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
    ];
  },
}));

export const MANAGEMENT_EVENTS: readonly EventSpec[] = [...EC2, ...S3, ...STS, ...KMS, ...LAMBDA, ...LOGS, ...DYNAMODB, ...MONITORING, ...CLOUDTRAIL, ...IAM];
export const DATA_EVENTS: readonly EventSpec[] = DATA;

/** An error some calls end with (about 1 in 30), in each service's own wording. */
export function errorFor(c: CallContext, spec: EventSpec, arn: string): { code: string; message: string } {
  const service = spec.source.slice(0, spec.source.indexOf('.'));
  const action = `${service}:${spec.name.replace(/\d{8}(v\d)?$/, '')}`;
  const roll = c.rng.int(10);
  if (service === 'ec2') {
    return roll < 8
      ? { code: 'Client.UnauthorizedOperation', message: 'You are not authorized to perform this operation. User: ' + arn + ' is not authorized to perform: ' + action }
      : { code: 'Client.RequestLimitExceeded', message: 'Request limit exceeded.' };
  }
  if (service === 'iam' && spec.name.startsWith('Get') && roll < 5) {
    return { code: 'NoSuchEntityException', message: `The ${spec.name === 'GetRole' ? 'role' : 'user'} with name ${c.rng.pick(c.world.users)}-old cannot be found.` };
  }
  if (roll < 2) return { code: 'ThrottlingException', message: 'Rate exceeded' };
  return {
    code: service === 's3' ? 'AccessDenied' : 'AccessDeniedException',
    message: `User: ${arn} is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`,
  };
}

import { formatDisplay, MICROS_PER_SECOND } from '../format/time.js';
import { DATA_EVENTS, errorFor, MANAGEMENT_EVENTS, type CallContext, type EventSpec, type Json } from './catalog.js';
import { ALNUM, cumulativeOf, pickWeighted, type Prng, type SeedPart } from './prng.js';
import { createWorld, type Principal, type World } from './world.js';

/**
 * Synthetic CloudTrail event records (pure: no I/O, no clock, no Math.random). The fields and
 * their order are those of real records (CloudTrail User Guide, "CloudTrail record contents");
 * a value that does not apply is left out, as CloudTrail does.
 */
export interface CloudTrailRecord {
  readonly eventVersion: '1.08' | '1.09';
  readonly userIdentity: { readonly type: string; readonly [k: string]: Json | undefined };
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion: string;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  readonly errorCode?: string | undefined;
  readonly errorMessage?: string | undefined;
  readonly requestParameters: Json;
  readonly responseElements: Json;
  readonly additionalEventData?: Json | undefined;
  readonly requestID: string;
  readonly eventID: string;
  readonly readOnly: boolean;
  readonly resources?: Json[] | undefined;
  readonly eventType: 'AwsApiCall';
  readonly managementEvent: boolean;
  readonly recipientAccountId: string;
  readonly eventCategory: 'Management' | 'Data';
  readonly tlsDetails?: Json | undefined;
  readonly sessionCredentialFromConsole?: 'true' | undefined;
}

export interface EventOptions {
  /** Also produce S3 object and Lambda Invoke data events (about 40% of the records). */
  readonly dataEvents?: boolean;
}

/** Events happen between 11 minutes and 1 minute before their file is delivered. */
export const EVENT_LAG_MIN = 60;
export const EVENT_LAG_MAX = 11 * 60;
const ERROR_RATE = 1 / 30;
const SERVICE_CALL_RATE = 0.15;
const DATA_SHARE = 0.4;
const TLS = [
  ['TLSv1.3', 'TLS_AES_128_GCM_SHA256'],
  ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256'],
] as const;

interface Table {
  readonly specs: readonly EventSpec[];
  readonly cumulative: readonly number[];
}

function table(includeGlobal: boolean, dataEvents: boolean): Table {
  const mgmt = MANAGEMENT_EVENTS.filter((e) => includeGlobal || !e.global);
  const mgmtTotal = mgmt.reduce((s, e) => s + e.weight, 0);
  const dataTotal = DATA_EVENTS.reduce((s, e) => s + e.weight, 0);
  const scale = (mgmtTotal * DATA_SHARE) / (1 - DATA_SHARE) / dataTotal;
  const specs = dataEvents ? [...mgmt, ...DATA_EVENTS] : mgmt;
  return { specs, cumulative: cumulativeOf(specs.map((e) => (e.data ? e.weight * scale : e.weight))) };
}

export class EventGenerator {
  readonly world: World;
  private readonly regional: Table;
  private readonly withGlobal: Table;

  /** The generator for `account` under `seed`: the same inputs always give the same records. */
  constructor(seed: SeedPart, account: string, options: EventOptions = {}) {
    this.world = createWorld(seed, account);
    this.regional = table(false, options.dataEvents ?? false);
    this.withGlobal = table(true, options.dataEvents ?? false);
  }

  /**
   * The records of one log file delivered at `deliveredAt` (micros): `count` events, whole seconds,
   * in time order, each at least EVENT_LAG_MIN seconds before the delivery.
   */
  fileRecords(rng: Prng, region: string, deliveredAt: number, count: number): CloudTrailRecord[] {
    const lags = new Float64Array(count);
    for (let i = 0; i < count; i++) lags[i] = rng.range(EVENT_LAG_MIN, EVENT_LAG_MAX);
    lags.sort();
    const records: CloudTrailRecord[] = new Array(count);
    const base = Math.floor(deliveredAt / MICROS_PER_SECOND) * MICROS_PER_SECOND;
    // The largest lag is the earliest event.
    for (let i = 0; i < count; i++) records[i] = this.event(rng, region, base - lags[count - 1 - i]! * MICROS_PER_SECOND);
    return records;
  }

  /** One event at `time` (micros) in `region`. */
  event(rng: Prng, region: string, time: number): CloudTrailRecord {
    // Global services (IAM) are logged in us-east-1 (User Guide, "Global service events").
    const t = region === 'us-east-1' ? this.withGlobal : this.regional;
    const spec = pickWeighted(rng, t.specs, t.cumulative);
    const c: CallContext = { rng, world: this.world, region, time };
    const byService = spec.invokedBy !== undefined && rng.chance(SERVICE_CALL_RATE);
    const principal = pickWeighted(rng, this.world.principals, this.world.principalWeights);
    const identity = byService ? { type: 'AWSService', invokedBy: spec.invokedBy } : userIdentity(c, principal);
    const failed = rng.chance(ERROR_RATE);
    const error = failed ? errorFor(c, spec, principal.arn) : undefined;
    const service = spec.source.slice(0, spec.source.indexOf('.'));
    const s3 = service === 's3';
    const tls = rng.pick(TLS);
    return {
      eventVersion: rng.chance(0.6) ? '1.09' : '1.08',
      userIdentity: identity,
      eventTime: formatDisplay(time),
      eventSource: spec.source,
      eventName: spec.name,
      awsRegion: region,
      sourceIPAddress: byService ? spec.invokedBy! : rng.pick(principal.sourceIps),
      userAgent: byService ? spec.invokedBy! : rng.pick(principal.userAgents),
      errorCode: error?.code,
      errorMessage: error?.message,
      requestParameters: spec.request ? spec.request(c) : null,
      responseElements: spec.response && !failed ? spec.response(c) : null,
      additionalEventData:
        s3 && spec.data
          ? {
              SignatureVersion: 'SigV4',
              CipherSuite: tls[1],
              bytesTransferredIn: spec.readOnly ? 0 : rng.range(100, 1 << 20),
              AuthenticationMethod: 'AuthHeader',
              'x-amz-id-2': rng.chars(ALNUM, 76),
              bytesTransferredOut: spec.readOnly ? rng.range(100, 1 << 20) : 0,
            }
          : undefined,
      requestID: s3 ? rng.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 16) : rng.uuid(),
      eventID: rng.uuid(),
      readOnly: spec.readOnly,
      resources: spec.resources?.(c),
      eventType: 'AwsApiCall',
      managementEvent: !spec.data,
      recipientAccountId: this.world.account,
      eventCategory: spec.data ? 'Data' : 'Management',
      tlsDetails: byService
        ? undefined
        : {
            tlsVersion: tls[0],
            cipherSuite: tls[1],
            clientProvidedHostHeader: spec.global ? `${service}.amazonaws.com` : `${service}.${region}.amazonaws.com`,
          },
      sessionCredentialFromConsole: !byService && principal.console ? 'true' : undefined,
    };
  }
}

function userIdentity(c: CallContext, p: Principal): CloudTrailRecord['userIdentity'] {
  const accessKeyId = c.rng.pick(p.accessKeyIds);
  const base = { type: p.type, principalId: p.principalId, arn: p.arn, accountId: c.world.account, accessKeyId };
  if (p.type === 'IAMUser') return { ...base, userName: p.userName };
  const attributes = {
    // Sessions are up to an hour old when they make a call.
    creationDate: formatDisplay(c.time - c.rng.int(3600) * MICROS_PER_SECOND),
    mfaAuthenticated: p.mfa ? 'true' : 'false',
  };
  if (p.type === 'Root' || !p.issuer) return { ...base, sessionContext: { attributes } };
  return {
    ...base,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: p.issuer.principalId, arn: p.issuer.arn, accountId: c.world.account, userName: p.issuer.userName },
      webIdFederationData: {},
      attributes,
    },
  };
}

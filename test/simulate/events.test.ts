import { describe, expect, it } from 'vitest';
import { MICROS_PER_SECOND, parseStrictUtc } from '../../src/format/time.js';
import { DATA_EVENTS, MANAGEMENT_EVENTS } from '../../src/simulate/catalog.js';
import { EVENT_LAG_MAX, EVENT_LAG_MIN, EventGenerator, type CloudTrailRecord } from '../../src/simulate/events.js';
import { Prng } from '../../src/simulate/prng.js';

const ACCOUNT = '123456789012';
const DELIVERED = Date.UTC(2024, 1, 28, 21, 5) * 1000;
const known = new Map<string, Set<string>>();
for (const e of [...MANAGEMENT_EVENTS, ...DATA_EVENTS]) {
  if (!known.has(e.source)) known.set(e.source, new Set());
  known.get(e.source)!.add(e.name);
}

function sample(region: string, count: number, dataEvents = false, seed = 'events'): CloudTrailRecord[] {
  return new EventGenerator(seed, ACCOUNT, { dataEvents }).fileRecords(Prng.from(seed, region), region, DELIVERED, count);
}

describe('EventGenerator', () => {
  it('produces records with the fields of CloudTrail management events', () => {
    const records = sample('us-east-1', 1500);
    for (const r of records) {
      expect(['1.08', '1.09']).toContain(r.eventVersion);
      expect(r.eventTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(r.eventSource).toMatch(/^[a-z0-9]+\.amazonaws\.com$/);
      expect(known.get(r.eventSource)?.has(r.eventName)).toBe(true);
      expect(r.awsRegion).toBe('us-east-1');
      expect(typeof r.sourceIPAddress).toBe('string');
      expect(typeof r.userAgent).toBe('string');
      expect(r.requestParameters === null || typeof r.requestParameters === 'object').toBe(true);
      expect(r.responseElements === null || typeof r.responseElements === 'object').toBe(true);
      expect(r.requestID).toMatch(/^(?:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}|[A-Z0-9]{16})$/);
      expect(r.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(typeof r.readOnly).toBe('boolean');
      expect(r.eventType).toBe('AwsApiCall');
      expect(r.managementEvent).toBe(true);
      expect(r.eventCategory).toBe('Management');
      expect(r.recipientAccountId).toBe(ACCOUNT);
      if (r.errorCode !== undefined) {
        expect(typeof r.errorMessage).toBe('string');
        expect(r.responseElements).toBeNull();
      }
      const id = r.userIdentity as Record<string, unknown>;
      switch (id.type) {
        case 'IAMUser':
          expect(id.arn).toMatch(/^arn:aws:iam::123456789012:user\/[\w+=,.@-]+$/);
          expect(id.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
          expect(id.principalId).toMatch(/^AIDA[A-Z2-7]{17}$/);
          expect(id.accountId).toBe(ACCOUNT);
          break;
        case 'AssumedRole': {
          expect(id.arn).toMatch(/^arn:aws:sts::123456789012:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+$/);
          expect(id.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
          const ctx = id.sessionContext as { sessionIssuer: { type: string; arn: string }; attributes: { creationDate: string } };
          expect(ctx.sessionIssuer.type).toBe('Role');
          expect(ctx.sessionIssuer.arn).toMatch(/^arn:aws:iam::123456789012:role\//);
          expect(parseStrictUtc(ctx.attributes.creationDate)! <= parseStrictUtc(r.eventTime)!).toBe(true);
          break;
        }
        case 'Root':
          expect(id.arn).toBe('arn:aws:iam::123456789012:root');
          break;
        case 'AWSService':
          expect(id.invokedBy).toBe(r.sourceIPAddress);
          break;
        default:
          throw new Error(`unexpected identity type ${String(id.type)}`);
      }
    }
    const types = new Set(records.map((r) => r.userIdentity.type));
    expect([...types].sort()).toEqual(['AWSService', 'AssumedRole', 'IAMUser', 'Root']);
    expect(records.some((r) => r.errorCode !== undefined)).toBe(true);
    expect(records.some((r) => r.eventVersion === '1.08') && records.some((r) => r.eventVersion === '1.09')).toBe(true);
    expect(new Set(records.map((r) => r.eventSource)).size).toBeGreaterThanOrEqual(8);
    // Mostly read-only, as in real trails.
    const ro = records.filter((r) => r.readOnly).length / records.length;
    expect(ro).toBeGreaterThan(0.7);
  });

  it('puts events in time order, between the lags before the delivery', () => {
    const records = sample('eu-west-1', 500);
    const times = records.map((r) => parseStrictUtc(r.eventTime)!);
    for (let i = 1; i < times.length; i++) expect(times[i]! >= times[i - 1]!).toBe(true);
    for (const t of times) {
      expect(t).toBeLessThanOrEqual(DELIVERED - EVENT_LAG_MIN * MICROS_PER_SECOND);
      expect(t).toBeGreaterThanOrEqual(DELIVERED - EVENT_LAG_MAX * MICROS_PER_SECOND);
    }
  });

  it('logs global (IAM) events in us-east-1 only', () => {
    expect(sample('us-east-1', 1000).some((r) => r.eventSource === 'iam.amazonaws.com')).toBe(true);
    expect(sample('eu-west-1', 1000).some((r) => r.eventSource === 'iam.amazonaws.com')).toBe(false);
  });

  it('adds data events only when asked, marked as such', () => {
    const data = sample('us-east-1', 1000, true).filter((r) => r.eventCategory === 'Data');
    expect(data.length).toBeGreaterThan(200);
    for (const r of data) {
      expect(r.managementEvent).toBe(false);
      expect(['GetObject', 'PutObject', 'Invoke']).toContain(r.eventName);
      expect(Array.isArray(r.resources)).toBe(true);
    }
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const a = JSON.stringify(sample('us-east-1', 200, true, 'one'));
    expect(JSON.stringify(sample('us-east-1', 200, true, 'one'))).toBe(a);
    expect(JSON.stringify(sample('us-east-1', 200, true, 'two'))).not.toBe(a);
  });
});

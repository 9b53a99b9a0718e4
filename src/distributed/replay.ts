import type { ChainEvent } from '../chain/events.js';
import { TrailproofError } from '../errors.js';
import { Digest } from '../format/digest.js';
import type { LogChecker, LogResult } from '../verifier/log-check.js';
import type { ValidateOptions } from '../verifier/validate.js';
import type { Joined, JoinedPart } from './join.js';
import { isValidItem, type ItemWire, type LogWire } from './wire.js';

/**
 * A joined walk replayed into runValidation on the coordinator: the walk's chain events (each
 * valid digest parsed again from its exact bytes, as the worker parsed it) and the log results in
 * the order the core asks for them (standard walk, then backfill; each digest's logs in order).
 * Reports, findings and state then come from the same code as in a local audit.
 */
export function replay(joined: Extract<Joined, { kind: 'joined' }>): Required<Pick<ValidateOptions, 'walk' | 'logChecker'>> {
  const parts = [joined.standard, joined.backfill];
  const logs: LogWire[] = [];
  for (const part of parts) for (const item of part?.items ?? []) if (isValidItem(item)) logs.push(...item[6]);
  let next = 0;
  const logChecker: LogChecker = {
    batch: 64,
    check: async (reqs) => {
      const out: LogResult[] = [];
      for (let i = 0; i < reqs.length; i++) {
        const l = logs[next++];
        if (l === undefined) throw new TrailproofError('internal', 'a worker sent fewer log results than its digests list');
        if (l === true) out.push({ valid: true });
        else if (typeof l === 'string') out.push({ valid: false, reason: l });
        else if (l[0] === 't') out.push({ valid: true, truncated: true });
        else {
          out.push({ fatal: new TrailproofError('storage', l[1]) });
          break;
        }
      }
      return out;
    },
  };
  return { walk: (backfill) => events(backfill ? joined.backfill : joined.standard, backfill), logChecker };
}

async function* events(part: JoinedPart | null, backfill: boolean): AsyncGenerator<ChainEvent> {
  if (!part) return;
  for (const item of part.items) yield event(item, backfill);
  if (part.fatal?.from === 'walk') throw new TrailproofError('storage', part.fatal.message);
}

function event(item: ItemWire, backfill: boolean): ChainEvent {
  if (item[0] === 'g') return { kind: 'gap', backfill, from: item[1], to: item[2] };
  if (item[0] === 'i') return { kind: 'invalid', backfill, bucket: item[1], key: item[2], reason: item[3] };
  const parsed = Digest.parse(Buffer.from(item[3], 'base64'));
  if (parsed.kind !== 'digest') throw new TrailproofError('internal', `a worker sent digest s3://${item[1]}/${item[2]} as valid, and it does not parse`);
  return {
    kind: 'valid',
    backfill,
    bucket: item[1],
    key: item[2],
    digest: parsed.digest,
    signature: item[4],
    algorithm: item[5],
    ...(item[0] === 'w' ? { trailing: true } : {}),
  };
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { TrailproofError } from '../errors.js';

/**
 * The queue key: a secret the coordinator and its workers share outside Redis (`--queue-key FILE`).
 * Whoever can write to the Redis, or run a worker on it, could otherwise decide a distributed
 * audit's verdict (a result that says every log is valid) or send workers to read what it names.
 * So what crosses the queue is sealed with HMAC-SHA256 under this key:
 * - the run settings (coordinator -> workers), bound to the run's id;
 * - each job's result (worker -> coordinator), bound to the run, the job's id and the SHA-256 of the
 *   job as the coordinator made it: a job changed in Redis gives a result the coordinator refuses.
 * Sealed text is `<64 hex> <text>`; anything else, or a wrong MAC, is refused (fail closed).
 */
export const QUEUE_KEY_MIN_BYTES = 32;
export const QUEUE_KEY_MAX_BYTES = 4096;

export type SealPurpose = 'run settings' | 'segment result';

export class QueueKey {
  private readonly secret: Buffer;

  constructor(secret: Uint8Array) {
    if (secret.length < QUEUE_KEY_MIN_BYTES || secret.length > QUEUE_KEY_MAX_BYTES) {
      throw new TrailproofError('argument', `a queue key must hold ${QUEUE_KEY_MIN_BYTES} to ${QUEUE_KEY_MAX_BYTES} bytes (it holds ${secret.length})`);
    }
    this.secret = Buffer.from(secret);
  }

  /** `<mac> <text>`, the MAC over the purpose, the context and the text (each length-prefixed). */
  seal(purpose: SealPurpose, text: string, context: readonly string[]): string {
    return `${this.mac(purpose, text, context)} ${text}`;
  }

  /** The text of a sealed value, when its MAC is this key's for that purpose and context; else throws. */
  open(purpose: SealPurpose, sealed: string, context: readonly string[]): string {
    const cut = sealed.indexOf(' ');
    const given = cut === 64 && /^[0-9a-f]{64}$/.test(sealed.slice(0, 64)) ? Buffer.from(sealed.slice(0, 64), 'hex') : undefined;
    const text = sealed.slice(cut + 1);
    if (!given || !timingSafeEqual(given, Buffer.from(this.mac(purpose, text, context), 'hex'))) {
      throw new TrailproofError(
        'input',
        `a ${purpose} in the queue is not sealed with this queue key (a worker or coordinator with another --queue-key, or forged in Redis): refused`,
      );
    }
    return text;
  }

  private mac(purpose: SealPurpose, text: string, context: readonly string[]): string {
    const h = createHmac('sha256', this.secret);
    for (const part of ['trailproof queue v1', purpose, ...context, text]) {
      const bytes = Buffer.from(part, 'utf8');
      h.update(`${bytes.length}:`);
      h.update(bytes);
    }
    return h.digest('hex');
  }
}

/** What binds a result to its job: the SHA-256 of the job's JSON, as the coordinator made it (and a worker gets it back from BullMQ). */
export function jobDigest(job: unknown): string {
  return createHash('sha256').update(JSON.stringify(job)).digest('hex');
}

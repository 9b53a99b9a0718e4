import type { QueueKey } from '../distributed/auth.js';
import type { RedisTarget } from '../distributed/redis-url.js';
import { TrailproofError } from '../errors.js';
import { readSecretBytes } from '../keys/key-signers.js';
import { str, type OptionSpec, type ParsedArgs } from './args.js';

/** `--queue-key FILE`, for `audit --queue` and `worker` alike (README "Distributed audit"). */
export const QUEUE_KEY_OPTION: OptionSpec = {
  name: 'queue-key',
  value: 'FILE',
  description:
    'the secret the coordinator and its workers share outside Redis: 32 to 4096 bytes that only their owner may read (e.g. head -c 32 /dev/urandom > FILE; chmod 600 FILE). The run settings and every result are sealed with it',
};

/** Where a queue URL's password may come from instead (`--queue redis://USER@HOST:PORT/DB`): not the command line, which every user of the machine can read. */
export const REDIS_PASSWORD_ENV = 'TRAILPROOF_REDIS_PASSWORD';

/** The target with its password from REDIS_PASSWORD_ENV when the URL gives none. */
export function withEnvPassword(target: RedisTarget, env: NodeJS.ProcessEnv): RedisTarget {
  const password = env[REDIS_PASSWORD_ENV];
  return target.password === undefined && password !== undefined && password !== '' ? { ...target, password } : target;
}

/** The queue key from `--queue-key` (required with a queue): a file only its owner may read. */
export async function readQueueKey(args: ParsedArgs, make: (secret: Buffer) => QueueKey): Promise<QueueKey> {
  const path = str(args, 'queue-key');
  if (path === undefined) {
    throw new TrailproofError(
      'argument',
      '--queue needs --queue-key FILE: a secret shared with the workers outside Redis (whoever can write to the Redis could otherwise decide the verdict)',
    );
  }
  return make(await readSecretBytes(path, 'The queue key', 4096));
}

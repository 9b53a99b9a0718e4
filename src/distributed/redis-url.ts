import { TrailproofError } from '../errors.js';

/**
 * `--queue redis://[[USER]:PASSWORD@]HOST:PORT[/DB]` (or rediss:// for TLS), read strictly: the
 * connection settings, and a display form without the credentials (never printed).
 */
export interface RedisTarget {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly tls: boolean;
  /** `redis://HOST:PORT/DB`, for messages. */
  readonly display: string;
}

export function parseRedisUrl(text: string): RedisTarget {
  const bad = (why: string): TrailproofError => new TrailproofError('argument', `Bad value for --queue: ${why} (expected redis://HOST:PORT/DB)`);
  if (text.length > 2048) throw bad('too long');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw bad(`scheme ${url.protocol.replace(/:$/, '')} is not redis or rediss`);
  if (url.hostname === '') throw bad('no host');
  if (url.search !== '' || url.hash !== '') throw bad('no query or fragment is read');
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) throw bad(`database ${JSON.stringify(path.slice(0, 20))} is not a number`);
  const db = path === '' ? 0 : Number(path);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // A bad escape (`%zz`, a cut UTF-8 sequence) is a bad value, not a bug; the message names neither.
  const decoded = (part: string, what: string): string | undefined => {
    if (!part) return undefined;
    try {
      return decodeURIComponent(part);
    } catch {
      throw bad(`the ${what} is not percent-encoded UTF-8`);
    }
  };
  return {
    host,
    port,
    db,
    username: decoded(url.username, 'user name'),
    password: decoded(url.password, 'password'),
    tls: url.protocol === 'rediss:',
    display: `${url.protocol}//${url.hostname}:${port}/${db}`,
  };
}

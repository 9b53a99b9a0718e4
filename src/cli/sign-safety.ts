import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { digestListPrefix, digestKeyStamp, type DigestScope } from '../format/names.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import type { KeyRecord } from '../keys/keystore.js';
import type { OptionSpec } from './args.js';

/**
 * What `sign` tells people beside its report (stderr only; stdout keeps its format): commands that
 * fix what a warning names, key notices, the progress line on a terminal, and interrupts.
 */

const PLAIN = /^[A-Za-z0-9_\-.,:/=@+%]+$/;

export function shellQuote(word: string): string {
  return PLAIN.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `trailproof sign ARGS` as given, less the options in `drop` (with their values), plus `add`:
 * the exact command that does what a message asks.
 */
export function signCommandLine(argv: readonly string[], specs: readonly OptionSpec[], drop: readonly string[], add: readonly string[]): string {
  const flags = new Set(specs.filter((s) => s.flag).map((s) => s.name));
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : undefined;
    if (name !== undefined && drop.includes(name)) {
      if (eq < 0 && !flags.has(name)) i++;
      continue;
    }
    kept.push(arg);
  }
  return ['trailproof', 'sign', ...kept, ...add].map(shellQuote).join(' ');
}

/** The hour a time falls in (UTC micros). */
export function hourOf(at: number): number {
  return Math.floor(at / MICROS_PER_HOUR) * MICROS_PER_HOUR;
}

/** The notice for a key that signing made. */
export function keyCreatedNotice(keysDir: string, key: KeyRecord, predecessor: KeyRecord, dryRun = false): string {
  const from = formatDisplay(key.validFrom);
  const to = formatDisplay(key.validTo);
  if (dryRun) return `dry run: would create a key for ${key.region}, valid from ${from} to ${to} (successor of ${predecessor.fingerprint})`;
  return (
    `created key ${key.fingerprint} for ${key.region}, valid from ${from} to ${to} (successor of ${predecessor.fingerprint}): ` +
    `publish it with trailproof list-public-keys --keys-dir ${shellQuote(keysDir)} --start-time ${from} --end-time ${to}`
  );
}

/** The notice for a digest signed with another key than the one before it in its chain. */
export function keyRotatedNotice(key: KeyRecord, previous: string, start: number, dryRun = false): string {
  const where = key.backend.type === 'pkcs11' ? ' (PKCS#11)' : key.backend.type === 'kms' ? ' (AWS KMS)' : '';
  return `${dryRun ? 'dry run: would rotate' : 'rotated'} ${key.region} from key ${previous} to ${key.fingerprint}${where}: digests from ${formatDisplay(start)} on are signed with it`;
}

/**
 * The lock of one chain (bucket, prefix, account, source region) of an archive, in the key store's
 * lock folder: never inside the archive, where it could be listed or synced as an object. Local
 * roots are named by their real path, so two spellings of one root share the lock.
 */
export function chainLock(local: { root: string } | { endpoint: string | undefined }, bucket: string, scope: DigestScope): { name: string; what: string } {
  const chain = `s3://${bucket}/${digestListPrefix(scope)}`;
  let where: string;
  if ('root' in local) {
    let real: string;
    try {
      real = realpathSync(join(local.root, bucket));
    } catch {
      real = join(resolve(local.root), bucket);
    }
    where = `local ${real}`;
  } else {
    where = `s3 ${local.endpoint ?? ''}`;
  }
  const id = createHash('sha256').update(`${where}\n${chain}`).digest('hex').slice(0, 32);
  return { name: `chain-${id}.lock`, what: 'root' in local ? `${chain} in ${local.root}` : chain };
}

/**
 * A progress line on a terminal's stderr (never when stderr is a file or a pipe): redrawn at most
 * every 200 ms, and cleared before anything else is written.
 */
export class Progress {
  private shown = false;
  private last = 0;
  private count = 0;

  constructor(
    private readonly write: (t: string) => void,
    private readonly enabled: boolean,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A digest was written. */
  tick(key: string): void {
    this.count++;
    if (!this.enabled) return;
    const now = this.clock();
    if (now - this.last < 200) return;
    this.last = now;
    this.write(`\r\x1b[Ksigning: ${this.count} digests written, the latest ending ${digestKeyStamp(key)}`);
    this.shown = true;
  }

  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.write('\r\x1b[K');
  }
}

const EXIT_FOR: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * SIGINT and SIGTERM while signing: the first stops the run (its `fired` promise gives the exit
 * code, 128 + the signal's number, and `abort` stops lock waits); a second one exits at once.
 */
export class Interrupts {
  readonly controller = new AbortController();
  signalName: 'SIGINT' | 'SIGTERM' | undefined;
  readonly fired: Promise<number>;
  private fire!: (code: number) => void;
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];

  constructor() {
    this.fired = new Promise((r) => (this.fire = r));
  }

  install(): this {
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => this.trigger(name);
      process.on(name, handler);
      this.handlers.push([name, handler]);
    }
    return this;
  }

  /** What a signal does (also called by tests). */
  trigger(name: 'SIGINT' | 'SIGTERM'): void {
    if (this.signalName !== undefined) process.exit(EXIT_FOR[this.signalName]); // the second: no more waiting
    this.signalName = name;
    this.fire(EXIT_FOR[name]);
    this.controller.abort();
  }

  uninstall(): void {
    for (const [name, handler] of this.handlers) process.off(name, handler);
    this.handlers.length = 0;
  }
}

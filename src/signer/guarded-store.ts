import { TrailproofError } from '../errors.js';
import type { ListOptions, Metadata, ObjectStore, PutOptions, StoredObject } from '../store/types.js';

/**
 * The signer's view of its store: every write goes through here, so that an interrupt can stop new
 * writes, wait for those under way (each ends whole: objects are written atomically), count what
 * was written, and know which folders may hold this run's temporary files.
 */
export class GuardedStore implements ObjectStore {
  readonly kind: 'local' | 's3';
  readonly getBytes?: ObjectStore['getBytes'];
  readonly readLogs?: ObjectStore['readLogs'];
  readonly listEntries?: ObjectStore['listEntries'];
  /** Objects written whole. */
  written = 0;
  /** Key folders written to (`a/b` for `a/b/c.json.gz`), per bucket. */
  readonly folders = new Map<string, Set<string>>();
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly inner: ObjectStore,
    private readonly onWritten: (bucket: string, key: string) => void = () => undefined,
    /** `sign --dry-run`: every write is counted and dropped; reads go through. */
    private readonly dryRun = false,
  ) {
    this.kind = inner.kind;
    if (inner.getBytes) this.getBytes = (bucket, key, limit) => inner.getBytes!(bucket, key, limit);
    if (inner.readLogs) this.readLogs = (objects, options) => inner.readLogs!(objects, options);
    if (inner.listEntries) this.listEntries = (bucket, options) => inner.listEntries!(bucket, options);
  }

  list(bucket: string, options: ListOptions): AsyncIterable<string> {
    return this.inner.list(bucket, options);
  }

  get(bucket: string, key: string): Promise<StoredObject | undefined> {
    return this.inner.get(bucket, key);
  }

  delete(bucket: string, key: string): Promise<void> {
    return this.inner.delete(bucket, key);
  }

  async put(bucket: string, key: string, body: Uint8Array, metadata?: Metadata, options?: PutOptions): Promise<void> {
    if (this.stopped) throw new TrailproofError('signer', 'interrupted');
    if (this.dryRun) {
      this.written++;
      return;
    }
    const cut = key.lastIndexOf('/');
    let folders = this.folders.get(bucket);
    if (!folders) this.folders.set(bucket, (folders = new Set()));
    folders.add(cut < 0 ? '' : key.slice(0, cut));
    const write = this.inner.put(bucket, key, body, metadata, options);
    this.inFlight.add(write);
    try {
      await write;
      this.written++;
      this.onWritten(bucket, key);
    } finally {
      this.inFlight.delete(write);
    }
  }

  /** No write starts from now on; resolves when those under way have ended (or after `timeoutMs`). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }
}

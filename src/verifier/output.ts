/**
 * Buffered writing to stdout and stderr. Each stream keeps its own bytes in order; a stream's
 * buffer is flushed before the other one is written, so a terminal shows them interleaved right.
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  flush(): Promise<void>;
}

type Writable = { write(chunk: string, cb?: (err?: Error | null) => void): boolean };

export function createOutput(stdout: Writable = process.stdout, stderr: Writable = process.stderr, limit = 1 << 16): Output {
  let buf = '';
  let target: Writable | null = null;
  let pending: Promise<void> = Promise.resolve();
  const write = (stream: Writable, text: string): void => {
    const done = new Promise<void>((resolve) => {
      stream.write(text, () => resolve());
    });
    pending = pending.then(() => done);
  };
  const push = (stream: Writable, text: string): void => {
    if (target !== stream && buf) {
      write(target!, buf);
      buf = '';
    }
    target = stream;
    buf += text;
    if (buf.length >= limit) {
      write(stream, buf);
      buf = '';
    }
  };
  return {
    out: (t) => push(stdout, t),
    err: (t) => push(stderr, t),
    flush: async () => {
      if (buf && target) write(target, buf);
      buf = '';
      await pending;
    },
  };
}

/** Collects both streams in memory (tests, library use). */
export function memoryOutput(): Output & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out(t: string) {
      o.stdout += t;
    },
    err(t: string) {
      o.stderr += t;
    },
    flush: async () => undefined,
  };
  return o;
}

/**
 * Runs an async iterator up to `ahead` items in front of its consumer, so that the producer's
 * waiting (I/O) overlaps the consumer's work. Order and errors are kept: an error surfaces where
 * the item that failed would have been.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, ahead: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const buffer: Array<Promise<IteratorResult<T>>> = [];
  let done = false;
  const pull = (): void => {
    while (!done && buffer.length < ahead) {
      const next = iterator.next();
      buffer.push(next);
      next.then(
        (r) => {
          if (r.done) done = true;
        },
        () => {
          done = true;
        },
      );
      // An async generator queues next() calls, so several may be outstanding at once.
    }
  };
  try {
    for (;;) {
      pull();
      const head = buffer.shift();
      if (!head) return;
      const r = await head;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}

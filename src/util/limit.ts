/** A counting semaphore: bounds work in flight so producers feel back-pressure. Weighted, FIFO. */
export class Slots {
  private free: number;
  private readonly waiting: Array<{ n: number; go: () => void }> = [];

  constructor(readonly capacity: number) {
    this.free = Math.max(1, capacity);
  }

  /** Takes `n` slots (at most the capacity), waiting in line when they are not free. */
  async acquire(n = 1): Promise<void> {
    const want = Math.min(Math.max(1, n), Math.max(1, this.capacity));
    if (this.waiting.length === 0 && this.free >= want) {
      this.free -= want;
      return;
    }
    await new Promise<void>((go) => this.waiting.push({ n: want, go }));
  }

  release(n = 1): void {
    this.free += Math.min(Math.max(1, n), Math.max(1, this.capacity));
    while (this.waiting.length > 0 && this.free >= this.waiting[0]!.n) {
      const next = this.waiting.shift()!;
      this.free -= next.n;
      next.go();
    }
  }

  /**
   * Runs `task` in `n` slots. Resolves once the slots are taken (back-pressure) with the running
   * task, boxed so that awaiting the slots does not await the task; the slots are freed when it settles.
   */
  async schedule<T>(task: () => Promise<T>, n = 1): Promise<{ readonly running: Promise<T> }> {
    await this.acquire(n);
    const running = task();
    running.then(
      () => this.release(n),
      () => this.release(n),
    );
    return { running };
  }
}

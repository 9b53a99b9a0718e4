/** A counting semaphore: bounds work in flight so producers feel back-pressure. */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(n: number) {
    this.free = Math.max(1, n);
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /**
   * Runs `task` in a slot. Resolves once the slot is taken (back-pressure) with the running task,
   * boxed so that awaiting the slot does not await the task; the slot is freed when it settles.
   */
  async schedule<T>(task: () => Promise<T>): Promise<{ readonly running: Promise<T> }> {
    await this.acquire();
    const running = task();
    running.then(
      () => this.release(),
      () => this.release(),
    );
    return { running };
  }
}

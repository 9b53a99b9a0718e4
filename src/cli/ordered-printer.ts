/*
 * `sign` runs two jobs at once; what they print must read as if they ran one by one.
 */
/**
 * Writes several jobs' output in job order: the oldest unfinished job writes through, the others
 * are held until their turn.
 */
export class OrderedPrinter {
  private readonly held = new Map<number, Array<['out' | 'err', string]>>();
  private readonly finished = new Set<number>();
  private head = 0;

  constructor(
    private readonly out: (t: string) => void,
    private readonly err: (t: string) => void,
  ) {}

  /** Writes what waiting jobs hold (an interrupt: their lines would be lost). */
  flushAll(): void {
    for (const job of [...this.held.keys()].sort((a, b) => a - b)) {
      for (const [to, text] of this.held.get(job)!) (to === 'out' ? this.out : this.err)(text);
    }
    this.held.clear();
  }

  write(job: number, to: 'out' | 'err', text: string): void {
    if (job === this.head) (to === 'out' ? this.out : this.err)(text);
    else {
      const lines = this.held.get(job) ?? [];
      lines.push([to, text]);
      this.held.set(job, lines);
    }
  }

  done(job: number): void {
    this.finished.add(job);
    while (this.finished.has(this.head)) {
      this.finished.delete(this.head);
      this.head++;
      for (const [to, text] of this.held.get(this.head) ?? []) (to === 'out' ? this.out : this.err)(text);
      this.held.delete(this.head);
    }
  }
}

/**
 * Progress of a long benchmark against its planned work (tokens to read, say), with the time left extrapolated from
 * the throughput so far; the clock is injected so the arithmetic is testable.
 */
export class WorkMeter {
  private done = 0;
  private readonly start: number;

  constructor(
    readonly total: number,
    private readonly now: () => number = () => Date.now()
  ) {
    this.start = now();
  }

  add(work: number) {
    this.done += work;
  }

  get elapsedMs(): number {
    return this.now() - this.start;
  }

  /** Share done, in [0, 1]. */
  get fraction(): number {
    return this.total > 0 ? Math.min(1, this.done / this.total) : 1;
  }

  /** Time left at the mean throughput so far; undefined before any work is done. */
  get etaMs(): number | undefined {
    if (this.done <= 0) return undefined;
    return Math.max(0, ((this.total - this.done) * this.elapsedMs) / this.done);
  }
}

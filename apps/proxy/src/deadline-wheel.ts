/** Something with deadlines: told the time on every turn of the wheel, it acts on those that passed. */
export interface Expiring {
  expire(now: number): void;
}

/**
 * One interval for every in-flight exchange's deadlines (connect, upstream silence, a stalled request body),
 * instead of a timer and a closure per call: an exchange keeps its deadlines as numbers, and each turn scans
 * the live ones. A deadline is honoured within one turn, `resolutionMs` (a tenth of the shortest timeout).
 */
export class DeadlineWheel {
  private readonly live = new Set<Expiring>();
  private timer: NodeJS.Timeout | null = null;
  readonly resolutionMs: number;

  constructor(shortestTimeoutMs: number) {
    this.resolutionMs = Math.min(1000, Math.max(10, Math.floor(shortestTimeoutMs / 10)));
  }

  add(item: Expiring): void {
    this.live.add(item);
    if (!this.timer) {
      this.timer = setInterval(() => this.turn(Date.now()), this.resolutionMs);
      this.timer.unref();
    }
  }

  delete(item: Expiring): void {
    this.live.delete(item);
  }

  get size(): number {
    return this.live.size;
  }

  /** One turn: every live item is told the time (exported for tests, which pass their own clock). */
  turn(now: number): void {
    for (const item of this.live) item.expire(now);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

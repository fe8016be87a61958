/**
 * A value loaded from the database and reloaded every `refreshMs` (prices, usage rules, service settings).
 * `invalidate()` (a change was announced) makes `fresh()` wait for a load that started after the
 * announcement; the last good value stays in use when a reload fails, so a database hiccup never stops
 * metering. One load at a time: a slow database must not pile loads up, nor let an older one land last.
 */
export class RefreshingValue<T> {
  private value: T;
  /** performance.now() when the load that produced `value` started. */
  private valueSince = Number.NEGATIVE_INFINITY;
  private inFlight: { since: number; promise: Promise<void> } | null = null;
  private staleSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Loads started so far (tests and logs). */
  loads = 0;

  constructor(
    private readonly load: () => Promise<T>,
    initial: T,
    private readonly refreshMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.value = initial;
  }

  /** Loads once (failing if the first load fails) and starts the periodic reload (the safety net). */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      if (!this.inFlight) this.refresh().catch(this.onError);
    }, this.refreshMs);
    this.timer.unref();
  }

  /** Reloads now (a load already running that started earlier is not enough). */
  async reload(): Promise<void> {
    await this.loadedSince(performance.now());
  }

  /** The value may be out of date: start a reload, and make `fresh()` wait for it. */
  invalidate(): void {
    const since = performance.now();
    this.staleSince = since;
    this.loadedSince(since).catch(this.onError);
  }

  /** The value, after any announced change has been loaded (or its reload has failed). */
  async fresh(): Promise<T> {
    const since = this.staleSince;
    if (since !== null) {
      try {
        await this.loadedSince(since);
      } catch {
        // Reported by invalidate(); the periodic reload takes over.
      }
      if (this.staleSince === since) this.staleSince = null;
    }
    return this.value;
  }

  /** Resolves once the value comes from a load that started at or after `since` (performance.now()). */
  async loadedSince(since: number): Promise<void> {
    while (this.valueSince < since) {
      const running = this.inFlight;
      if (running && running.since >= since) await running.promise;
      else if (running) await running.promise.catch(() => {});
      else await this.refresh();
    }
  }

  current(): T {
    return this.value;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight.promise;
    const since = performance.now();
    this.loads += 1;
    const promise = this.load()
      .then((value) => {
        if (since >= this.valueSince) {
          this.value = value;
          this.valueSince = since;
        }
      })
      .finally(() => {
        if (this.inFlight?.promise === promise) this.inFlight = null;
      });
    this.inFlight = { since, promise };
    return promise;
  }
}

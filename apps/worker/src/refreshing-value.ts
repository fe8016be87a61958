/**
 * A value loaded from the database and reloaded every `refreshMs` (prices, usage rules). The last good value
 * stays in use when a reload fails, so a database hiccup never stops metering.
 */
export class RefreshingValue<T> {
  private value: T;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly load: () => Promise<T>,
    initial: T,
    private readonly refreshMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.value = initial;
  }

  /** Loads once (failing if the first load fails) and starts refreshing. */
  async start(): Promise<void> {
    this.value = await this.load();
    // One reload at a time: a slow database must not pile up loads, nor let an older one land last.
    let loading = false;
    this.timer = setInterval(() => {
      if (loading) return;
      loading = true;
      this.load()
        .then(
          (value) => {
            this.value = value;
          },
          (error) => this.onError(error),
        )
        .finally(() => {
          loading = false;
        });
    }, this.refreshMs);
    this.timer.unref();
  }

  /** Reloads now. */
  async reload(): Promise<void> {
    this.value = await this.load();
  }

  current(): T {
    return this.value;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

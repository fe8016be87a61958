interface Entry {
  until: number;
  pending: Promise<void> | null;
}

/**
 * At most one re-read per key per interval (a negative cache): a flood of calls for one unknown model costs
 * one query per interval. Calls that arrive while that re-read is running wait for it instead of querying.
 */
export class RecheckLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly intervalMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Runs `reread` unless this key was re-read within the interval; true when a re-read ran or was awaited. */
  async recheck(key: string, reread: () => Promise<void>): Promise<boolean> {
    const now = performance.now();
    const entry = this.entries.get(key);
    if (entry && entry.until > now) {
      if (!entry.pending) return false;
      await entry.pending;
      return true;
    }
    // Bounded memory under a flood of distinct junk names: start over rather than grow.
    if (this.entries.size >= this.maxKeys) this.entries.clear();
    const fresh: Entry = { until: now + this.intervalMs, pending: null };
    fresh.pending = reread().finally(() => {
      fresh.pending = null;
    });
    this.entries.set(key, fresh);
    await fresh.pending;
    return true;
  }
}

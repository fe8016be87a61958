/** A cached lookup: the value (null = known not to exist), when it was fetched, and when to retry after a failure. */
export interface Entry<T> {
  value: T | null;
  fetchedAt: number;
  /** Set after a failed refresh: the entry is trusted as it is until then, and no refresh is tried. */
  retryAt?: number;
}

/**
 * Bounded map of lookups. Answers "not found" live in their own, smaller map, so a flood of made-up keys can
 * only evict other made-up keys, never the real ones; a refreshed entry moves to the back of its map, so the
 * keys in use are the last to be evicted.
 */
export class EntryCache<T> {
  private readonly found = new Map<string, Entry<T>>();
  private readonly missing = new Map<string, Entry<T>>();

  constructor(
    private readonly maxFound: number,
    private readonly maxMissing: number,
  ) {}

  get(id: string): Entry<T> | undefined {
    return this.found.get(id) ?? this.missing.get(id);
  }

  set(id: string, entry: Entry<T>): void {
    const [map, other, max] =
      entry.value === null
        ? [this.missing, this.found, this.maxMissing]
        : [this.found, this.missing, this.maxFound];
    other.delete(id);
    map.delete(id);
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(id, entry);
  }
}

import { TokenmeterError, withTimeout } from "@tokenmeter/runtime";
import { LRUCache } from "lru-cache";

/** Thrown when a lookup is needed and the database cannot answer (and nothing stale is cached). */
export class DirectoryUnavailableError extends TokenmeterError<"unavailable"> {
  override name = "DirectoryUnavailableError";
  constructor(cause: unknown) {
    super("unavailable", `lookup failed: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
      retryable: true,
    });
  }
}

/** Longest a lookup may wait on PostgreSQL, unless told otherwise (the proxy's LOOKUP_TIMEOUT_MS). */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 2000;
/** After a failed refresh, how long the stale answer is trusted before the next attempt. */
const RETRY_AFTER_MS = 1000;

/**
 * At most `entries` entries, counted one each through lru-cache's `maxSize` rather than `max`: given `max`,
 * lru-cache allocates its arrays for all of them up front (≈ 4 MiB per 100,000 entries with TTLs: 11 MiB of
 * every proxy process's memory for the key, service and hash caches, nearly all of it never used); counted by
 * size, its arrays grow with what is cached.
 */
export function entryBound(entries: number) {
  return { maxSize: entries, sizeCalculation: () => 1 };
}

/** The stored form of "known not to exist" (lru-cache holds no null). */
const NOT_FOUND = Object.freeze({ notFound: true as const });
type Answer<V> = V | typeof NOT_FOUND;

/**
 * Lookups of one kind (keys, services) cached with lru-cache, so a proxied request never waits on PostgreSQL
 * while its entry is fresh:
 * - `found` holds existing things, `probes` the answers "does not exist" and the lookups of ids never found,
 *   in a tenth of the room: a flood of made-up keys only ever evicts other made-up keys, never real ones.
 * - `fetchMethod` makes concurrent misses for one id share one query (lru-cache keeps the promise in the entry).
 * - Fresh entries are served at once; past half the TTL they are refreshed in the background (`forceRefresh`
 *   with `allowStale`), so ids in steady use never wait. Past the TTL a caller waits for the refresh, so a
 *   revocation takes effect within the TTL.
 * - `allowStaleOnFetchRejection`: a refresh that fails (PostgreSQL down, or no answer in time) returns the stale
 *   answer, which is then trusted as it is for RETRY_AFTER_MS — an outage costs one lookup per id per second.
 *   With nothing stale, the caller gets DirectoryUnavailableError.
 */
export class LookupCache<V extends object> {
  private readonly found: LRUCache<string, V>;
  private readonly probes: LRUCache<string, Answer<V>>;
  private readonly ttlMs: number;

  constructor(
    load: (id: string) => Promise<V | null>,
    ttlMs: number,
    maxEntries: number,
    timeoutMs = DEFAULT_LOOKUP_TIMEOUT_MS,
  ) {
    // lru-cache reads a TTL of 0 as "no TTL"; ours means "always look up".
    this.ttlMs = Math.max(1, ttlMs);
    const common = {
      ttl: this.ttlMs,
      allowStaleOnFetchRejection: true,
      // A stale entry must survive a `get`: it is what serves during an outage.
      noDeleteOnStaleGet: true,
      // A lookup whose entry is evicted while in flight (a flood of made-up keys) still answers its callers.
      ignoreFetchAbort: true,
      // Read the clock through the global at each call (lru-cache's default binds it at load), so TTL tests
      // can drive it with fake timers.
      perf: { now: () => performance.now() },
    };
    const query = (id: string) => withTimeout(load(id), timeoutMs, "lookup");
    this.found = new LRUCache<string, V>({
      ...common,
      ...entryBound(maxEntries),
      // A thing that no longer exists (a revoked key) leaves `found`; `get` records the negative answer.
      fetchMethod: async (id) => (await query(id)) ?? undefined,
    });
    this.probes = new LRUCache<string, Answer<V>>({
      ...common,
      ...entryBound(Math.max(1, Math.floor(maxEntries / 10))),
      fetchMethod: async (id) => {
        const value = await query(id);
        if (value === null) return NOT_FOUND;
        // Found: it moves to `found`, and the probe entry is dropped (undefined is not cached).
        this.found.set(id, value);
        return undefined;
      },
    });
  }

  /** A fresh answer (`null` = known not to exist), or `undefined` when a lookup is needed. */
  peek(id: string): V | null | undefined {
    const status: LRUCache.Status<string, V> = {};
    const value = this.found.get(id, { status });
    if (value !== undefined) {
      // Refreshed ahead of expiry, in the background; never for an answer kept through an outage.
      if (status.ttl === this.ttlMs && (status.remainingTTL ?? 0) < this.ttlMs / 2)
        this.found.fetch(id, { forceRefresh: true, allowStale: true }).catch(() => undefined);
      return value;
    }
    return this.probes.get(id) === NOT_FOUND ? null : undefined;
  }

  /** Looks `id` up: from memory when fresh, else from the source (one query for concurrent callers). */
  async get(id: string): Promise<V | null> {
    const fresh = this.peek(id);
    if (fresh !== undefined) return fresh;
    if (this.found.peek(id, { allowStale: true }) !== undefined) {
      const value = await this.fetch(this.found, id);
      if (value !== undefined) return value;
      // Gone since it was cached (revoked, deleted): forget it and remember the negative answer.
      this.found.delete(id);
      this.probes.set(id, NOT_FOUND);
      return null;
    }
    const answer = await this.fetch(this.probes, id);
    if (answer === NOT_FOUND) return null;
    const value = this.found.peek(id);
    // A caller that joined a lookup which then failed gets undefined too (only the first caller's status says
    // it failed): nothing was found, so nothing can be told.
    if (value === undefined) throw new DirectoryUnavailableError(new Error("the shared lookup failed"));
    return value;
  }

  // A fetch whose failure returned a stale answer re-arms that answer for RETRY_AFTER_MS; a failure with
  // nothing stale to return is the caller's DirectoryUnavailableError.
  private async fetch<T extends object>(cache: LRUCache<string, T>, id: string): Promise<T | undefined> {
    const status: LRUCache.Status<string, T> = {};
    const value = await cache.fetch(id, { status });
    if (status.fetchRejected) {
      if (value === undefined) throw new DirectoryUnavailableError(status.fetchError);
      cache.set(id, value, { ttl: RETRY_AFTER_MS });
    }
    return value;
  }
}

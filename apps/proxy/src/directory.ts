import url from "node:url";
import type { DbClient } from "@tokenmeter/db";
import { hashApiKey, looksLikeApiKey } from "@tokenmeter/keys";
import { openHeaders, type SecretsKeyring } from "@tokenmeter/secrets";
import { type Entry, EntryCache } from "./entry-cache.js";
import type { KeyLimits } from "./key-limits.js";

/** A buyer key as the proxy needs it, with its limits. */
export interface KeyInfo extends KeyLimits {
  keyId: number;
  buyerId: number;
}

/** A seller's service as the proxy needs it. `upstreamHeaders` are the seller's credentials. */
export interface ServiceInfo {
  id: number;
  slug: string;
  upstreamUrl: string;
  /** `upstreamUrl` parsed once, in the form http-proxy uses (it would parse a string on every call). */
  upstreamTarget: Readonly<url.UrlWithStringQuery>;
  upstreamHeaders: Readonly<Record<string, string>>;
  injectStreamUsage: boolean;
}

/** Thrown when a lookup is needed and the database cannot answer (and nothing stale is cached). */
export class DirectoryUnavailableError extends Error {
  readonly code = "directory_unavailable";
  readonly retryable = true;
}

/** Where lookups come from: the database in production. */
export interface DirectorySource {
  findKey(hash: string): Promise<KeyInfo | null>;
  findService(slug: string): Promise<ServiceInfo | null>;
}

/** Reads keys (unrevoked only) and services from PostgreSQL through Prisma; opens sealed credentials. */
export function databaseDirectorySource(db: DbClient, keyring: SecretsKeyring): DirectorySource {
  return {
    async findKey(hash) {
      const key = await db.apiKey.findUnique({
        where: { keyHash: hash },
        select: {
          id: true,
          buyerId: true,
          revokedAt: true,
          rateLimitPerMinute: true,
          maxConcurrentRequests: true,
        },
      });
      if (!key || key.revokedAt) return null;
      return {
        keyId: Number(key.id),
        buyerId: Number(key.buyerId),
        rateLimitPerMinute: key.rateLimitPerMinute,
        maxConcurrentRequests: key.maxConcurrentRequests,
      };
    },
    async findService(slug) {
      const s = await db.apiService.findUnique({ where: { slug } });
      if (!s) return null;
      const headers: Record<string, string> = {};
      // Sealed by the control plane; a row from before sealing is read from the plaintext column until the
      // control plane's next start seals it. A value that does not open throws: the call gets a 503.
      const stored =
        s.upstreamHeadersSealed !== null
          ? openHeaders(s.upstreamHeadersSealed, keyring, s.slug)
          : s.upstreamHeaders;
      if (stored && typeof stored === "object" && !Array.isArray(stored)) {
        for (const [k, v] of Object.entries(stored)) if (typeof v === "string") headers[k.toLowerCase()] = v;
      }
      const upstreamUrl = s.upstreamUrl.replace(/\/+$/, "");
      return {
        id: Number(s.id),
        slug: s.slug,
        upstreamUrl,
        upstreamTarget: Object.freeze(url.parse(upstreamUrl)),
        upstreamHeaders: Object.freeze(headers),
        injectStreamUsage: s.injectStreamUsage,
      };
    },
  };
}

/**
 * In-memory cache of key and service lookups, so a proxied request never waits on PostgreSQL while its entry is
 * fresh. Negative answers are cached too. When a refresh fails, the stale entry keeps serving (keys already
 * seen keep working while PostgreSQL is down); with no entry at all, lookups throw DirectoryUnavailableError.
 * Concurrent misses for one key share one query.
 */
export class Directory {
  private readonly keys: EntryCache<KeyInfo>;
  private readonly services: EntryCache<ServiceInfo>;
  private readonly inflight = new Map<string, Promise<unknown>>();
  // SHA-256 per request is measurable on the hot path; the hash of a key seen recently is remembered.
  private readonly hashes = new Map<string, string>();

  constructor(
    private readonly source: DirectorySource,
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {
    this.keys = new EntryCache(maxEntries, maxEntries / 10);
    this.services = new EntryCache(maxEntries, maxEntries / 10);
  }

  /** A fresh cached key, `null` for a known-bad key, or `undefined` when a lookup is needed. */
  peekKey(rawKey: string): KeyInfo | null | undefined {
    if (!looksLikeApiKey(rawKey)) return null;
    const entry = this.keys.get(this.hashOf(rawKey));
    if (entry && this.halfStale(entry)) this.key(rawKey).catch(() => undefined);
    return this.fresh(entry);
  }

  /** A fresh cached service, `null` for an unknown slug, or `undefined` when a lookup is needed. */
  peekService(slug: string): ServiceInfo | null | undefined {
    const entry = this.services.get(slug);
    if (entry && this.halfStale(entry)) this.service(slug).catch(() => undefined);
    return this.fresh(entry);
  }

  /** Looks a key up (cache first). */
  async key(rawKey: string): Promise<KeyInfo | null> {
    if (!looksLikeApiKey(rawKey)) return null;
    const hash = this.hashOf(rawKey);
    return this.lookup(this.keys, hash, `k:${hash}`, () => this.source.findKey(hash));
  }

  /** Looks a service up by slug (cache first). */
  async service(slug: string): Promise<ServiceInfo | null> {
    return this.lookup(this.services, slug, `s:${slug}`, () => this.source.findService(slug));
  }

  private hashOf(rawKey: string): string {
    let hash = this.hashes.get(rawKey);
    if (hash === undefined) {
      hash = hashApiKey(rawKey);
      if (this.hashes.size >= this.maxEntries) this.hashes.clear();
      this.hashes.set(rawKey, hash);
    }
    return hash;
  }

  private fresh<T>(entry: Entry<T> | undefined): T | null | undefined {
    if (!entry) return undefined;
    const now = Date.now();
    if ((entry.retryAt ?? 0) > now || now - entry.fetchedAt < this.ttlMs) return entry.value;
    return undefined;
  }

  private halfStale<T>(entry: Entry<T>): boolean {
    const now = Date.now();
    const age = now - entry.fetchedAt;
    return (entry.retryAt ?? 0) <= now && age >= this.ttlMs / 2 && age < this.ttlMs;
  }

  // Fresh entries are served at once; past half the TTL they are refreshed in the background, so keys in
  // steady use never wait on PostgreSQL. Past the TTL a request waits for the refresh (so a revocation
  // takes effect within the TTL) unless the refresh fails: then the stale entry is served and trusted, with
  // no further attempt, for RETRY_AFTER_MS — an outage costs one lookup per key per second, not one per call.
  private async lookup<T>(
    cache: EntryCache<T>,
    id: string,
    flightId: string,
    fetch: () => Promise<T | null>,
  ): Promise<T | null> {
    const entry = cache.get(id);
    const now = Date.now();
    if (entry && ((entry.retryAt ?? 0) > now || now - entry.fetchedAt < this.ttlMs / 2)) return entry.value;
    let flight = this.inflight.get(flightId) as Promise<T | null> | undefined;
    if (!flight) {
      flight = withTimeout(fetch(), LOOKUP_TIMEOUT_MS).then(
        (value) => {
          cache.set(id, { value, fetchedAt: Date.now() });
          return value;
        },
        (error: unknown) => {
          const stale = cache.get(id);
          if (stale) {
            cache.set(id, { ...stale, retryAt: Date.now() + RETRY_AFTER_MS });
            return stale.value;
          }
          throw new DirectoryUnavailableError(`lookup failed: ${(error as Error).message}`);
        },
      );
      flight.finally(() => this.inflight.delete(flightId)).catch(() => undefined);
      this.inflight.set(flightId, flight);
    }
    if (entry && now - entry.fetchedAt < this.ttlMs) return entry.value;
    return flight;
  }
}

/** Longest a lookup may wait on PostgreSQL. */
const LOOKUP_TIMEOUT_MS = 2000;
/** After a failed refresh, how long the stale entry is trusted before the next attempt. */
const RETRY_AFTER_MS = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

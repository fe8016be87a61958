import url from "node:url";
import { hashApiKey, looksLikeApiKey } from "@tokenmeter/keys";
import { findBuyerKey, findServiceRoute, type PgPool } from "@tokenmeter/pg";
import { openHeaders, type SecretsKeyring } from "@tokenmeter/secrets";
import { LRUCache } from "lru-cache";
import type { KeyLimits } from "./key-limits.js";
import { DEFAULT_LOOKUP_TIMEOUT_MS, entryBound, LookupCache } from "./lookup-cache.js";

export { DirectoryUnavailableError } from "./lookup-cache.js";

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

/** Where lookups come from: the database in production. */
export interface DirectorySource {
  findKey(hash: string): Promise<KeyInfo | null>;
  findService(slug: string): Promise<ServiceInfo | null>;
}

/** Reads keys (unrevoked only) and services from PostgreSQL (a plain pool, no Prisma); opens sealed credentials. */
export function databaseDirectorySource(db: PgPool, keyring: SecretsKeyring): DirectorySource {
  return {
    async findKey(hash) {
      const key = await findBuyerKey(db, hash);
      if (!key) return null;
      return {
        keyId: Number(key.id),
        buyerId: Number(key.buyerId),
        rateLimitPerMinute: key.rateLimitPerMinute,
        maxConcurrentRequests: key.maxConcurrentRequests,
      };
    },
    async findService(slug) {
      const s = await findServiceRoute(db, slug);
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
 * The proxy's view of keys and services: lookups cached in memory (see LookupCache: TTL, negative answers,
 * stale answers while PostgreSQL is down, one query for concurrent misses), so a proxied request never waits
 * on PostgreSQL while its entry is fresh. Malformed keys are refused without a lookup.
 */
export class Directory {
  private readonly keys: LookupCache<KeyInfo>;
  private readonly services: LookupCache<ServiceInfo>;
  // SHA-256 per request is measurable on the hot path; the hash of a key seen recently is remembered.
  private readonly hashes: LRUCache<string, string>;

  constructor(
    source: DirectorySource,
    ttlMs: number,
    maxEntries = 100_000,
    lookupTimeoutMs = DEFAULT_LOOKUP_TIMEOUT_MS,
  ) {
    this.keys = new LookupCache((hash) => source.findKey(hash), ttlMs, maxEntries, lookupTimeoutMs);
    this.services = new LookupCache((slug) => source.findService(slug), ttlMs, maxEntries, lookupTimeoutMs);
    this.hashes = new LRUCache<string, string>(entryBound(maxEntries));
  }

  /** A fresh cached key, `null` for a known-bad key, or `undefined` when a lookup is needed. */
  peekKey(rawKey: string): KeyInfo | null | undefined {
    if (!looksLikeApiKey(rawKey)) return null;
    return this.keys.peek(this.hashOf(rawKey));
  }

  /** A fresh cached service, `null` for an unknown slug, or `undefined` when a lookup is needed. */
  peekService(slug: string): ServiceInfo | null | undefined {
    return this.services.peek(slug);
  }

  /** Looks a key up (cache first); throws DirectoryUnavailableError when it cannot tell. */
  async key(rawKey: string): Promise<KeyInfo | null> {
    if (!looksLikeApiKey(rawKey)) return null;
    return this.keys.get(this.hashOf(rawKey));
  }

  /** Looks a service up by slug (cache first); throws DirectoryUnavailableError when it cannot tell. */
  async service(slug: string): Promise<ServiceInfo | null> {
    return this.services.get(slug);
  }

  private hashOf(rawKey: string): string {
    let hash = this.hashes.get(rawKey);
    if (hash === undefined) {
      hash = hashApiKey(rawKey);
      this.hashes.set(rawKey, hash);
    }
    return hash;
  }
}

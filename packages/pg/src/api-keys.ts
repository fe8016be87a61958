import { type PgPool, queryRows, type RawQueryClient } from "./pg-pool.js";

/** An unrevoked buyer key as the proxy and the control plane need it. */
export interface BuyerKeyRecord {
  id: bigint;
  buyerId: bigint;
  rateLimitPerMinute: number | null;
  maxConcurrentRequests: number | null;
}

/**
 * The buyer key with this SHA-256 hash, or null when there is none or it is revoked: the one lookup behind the
 * proxy's key cache and the control plane's buyer authentication, so both refuse the same keys.
 */
export async function findBuyerKey(
  db: RawQueryClient | PgPool,
  keyHash: string,
): Promise<BuyerKeyRecord | null> {
  const [row] = await queryRows<{
    id: string | bigint;
    buyer_id: string | bigint;
    rpm: number | null;
    inflight: number | null;
  }>(
    db,
    `SELECT id, buyer_id, rate_limit_per_minute AS rpm, max_concurrent_requests AS inflight
     FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [keyHash],
  );
  if (!row) return null;
  return {
    id: BigInt(row.id),
    buyerId: BigInt(row.buyer_id),
    rateLimitPerMinute: row.rpm,
    maxConcurrentRequests: row.inflight,
  };
}

/** A service as the proxy routes to it: its upstream and the seller's credentials (sealed, or from before sealing). */
export interface ServiceRouteRecord {
  id: bigint;
  slug: string;
  upstreamUrl: string;
  /** Plaintext credentials of a row from before sealing (an object), else `{}`. */
  upstreamHeaders: unknown;
  upstreamHeadersSealed: string | null;
  injectStreamUsage: boolean;
}

/** The service with this slug, or null: the proxy's lookup (on a pool; the proxy holds no Prisma client). */
export async function findServiceRoute(db: PgPool, slug: string): Promise<ServiceRouteRecord | null> {
  const { rows } = await db.query<Omit<ServiceRouteRecord, "id"> & { id: string }>(
    `SELECT id, slug, upstream_url AS "upstreamUrl", upstream_headers AS "upstreamHeaders",
            upstream_headers_sealed AS "upstreamHeadersSealed", inject_stream_usage AS "injectStreamUsage"
     FROM api_services WHERE slug = $1`,
    [slug],
  );
  const row = rows[0];
  return row ? { ...row, id: BigInt(row.id) } : null;
}

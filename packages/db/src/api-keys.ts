import type { DbClient } from "./client.js";

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
export async function findBuyerKey(db: DbClient, keyHash: string): Promise<BuyerKeyRecord | null> {
  const key = await db.apiKey.findUnique({
    where: { keyHash },
    select: {
      id: true,
      buyerId: true,
      revokedAt: true,
      rateLimitPerMinute: true,
      maxConcurrentRequests: true,
    },
  });
  if (!key || key.revokedAt !== null) return null;
  return {
    id: key.id,
    buyerId: key.buyerId,
    rateLimitPerMinute: key.rateLimitPerMinute,
    maxConcurrentRequests: key.maxConcurrentRequests,
  };
}

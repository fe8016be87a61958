import { randomUUID } from "node:crypto";
import type { DbClient, UsageRow } from "@tokenmeter/db";
import { generateSellerKey } from "@tokenmeter/keys";
import { unique } from "./helpers.js";

/** A metered row with defaults; ids and the timestamp are what a test usually sets. */
export function usageRow(
  ids: { buyerId: bigint; keyId: bigint; serviceId: bigint },
  at: Date,
  overrides: Partial<UsageRow> = {},
): UsageRow {
  return {
    requestId: randomUUID(),
    buyerUserId: Number(ids.buyerId),
    apiKeyId: Number(ids.keyId),
    apiServiceId: Number(ids.serviceId),
    requestTimestamp: at,
    httpMethod: "POST",
    path: "/v1/chat/completions",
    statusCode: 200,
    latencyMs: 12,
    ttfbMs: 5,
    streamed: false,
    upstreamReached: true,
    errorCode: null,
    modelName: "gpt-4o-mini",
    inputTokens: 10,
    outputTokens: 5,
    totalTokens: 15,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
    tokenCost: "0.0000015",
    modelPriceId: 1n,
    usageSource: "reported",
    parser: "openai-chat",
    parseError: null,
    requestSizeBytes: 100,
    responseSizeBytes: 200,
    upstreamRequestId: null,
    ...overrides,
  };
}

/** Inserts a seller with one active key straight into the database. */
export async function createSellerWithKey(db: DbClient, name = `seller-${unique()}`) {
  const seller = await db.seller.create({ data: { name } });
  const fresh = generateSellerKey();
  const key = await db.sellerApiKey.create({
    data: { sellerId: seller.id, keyHash: fresh.hash, prefix: fresh.prefix },
  });
  return { sellerId: seller.id, keyId: key.id, key: fresh.key };
}

/** Removes sellers and their keys (their services must be removed first). */
export async function cleanupSellers(db: DbClient, sellerIds: bigint[]): Promise<void> {
  await db.sellerApiKey.deleteMany({ where: { sellerId: { in: sellerIds } } });
  await db.seller.deleteMany({ where: { id: { in: sellerIds } } });
}

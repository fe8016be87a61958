import { randomUUID } from "node:crypto";
import { type DbClient, recordUsage, type UsageRow } from "@tokenmeter/db";
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
    buyerUserId: BigInt(Number(ids.buyerId)),
    apiKeyId: BigInt(Number(ids.keyId)),
    apiServiceId: BigInt(Number(ids.serviceId)),
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

/** What a fixture adds up to for one buyer, service, model and UTC day. */
export interface FixtureTotals {
  calls: number;
  errorCalls?: number;
  unpricedCalls?: number;
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  tokenCost?: string;
}

/**
 * Records `calls` real rows (through the ledger's own insert, so every rollup level sees them) at noon UTC of
 * `day` that add up to `totals`: the first priced row carries every token and the cost, `errorCalls` rows
 * answered 500, `unpricedCalls` rows have no price.
 */
export async function recordTotals(
  db: DbClient,
  ids: { buyerId: bigint; keyId?: bigint; serviceId: bigint },
  day: string,
  modelName: string,
  totals: FixtureTotals,
): Promise<void> {
  const at = new Date(`${day}T12:00:00Z`);
  const unpriced = totals.unpricedCalls ?? 0;
  const errors = totals.errorCalls ?? 0;
  const carrier = unpriced < totals.calls ? unpriced : 0;
  const rows = Array.from({ length: totals.calls }, (_, i) =>
    usageRow({ buyerId: ids.buyerId, keyId: ids.keyId ?? 1n, serviceId: ids.serviceId }, at, {
      modelName: modelName === "" ? null : modelName,
      statusCode: i >= totals.calls - errors ? 500 : 200,
      inputTokens: i === carrier ? (totals.inputTokens ?? 0) : 0,
      outputTokens: i === carrier ? (totals.outputTokens ?? 0) : 0,
      totalTokens: i === carrier ? (totals.totalTokens ?? 0) : 0,
      tokenCost: i < unpriced ? null : i === carrier ? (totals.tokenCost ?? "0") : "0",
      modelPriceId: i < unpriced ? null : 1n,
    }),
  );
  await recordUsage(db, rows);
}

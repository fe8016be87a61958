import type { DbClient } from "@tokenmeter/db";
import { builtinModelPrices, Decimal, type ModelPrice, PriceBook } from "@tokenmeter/pricing";

/**
 * Writes the built-in prices into `model_prices` (source 'builtin') so every row can name the price it used.
 * Idempotent: an existing (model, source, effective_from) is left as it is.
 */
export async function syncBuiltinPrices(db: DbClient): Promise<number> {
  const result = await db.modelPrice.createMany({
    data: builtinModelPrices().map((p) => ({
      model: p.model,
      source: "builtin",
      origin: p.origin,
      inputCostPer1k: p.usdPer1kInputTokens.toString(),
      outputCostPer1k: p.usdPer1kOutputTokens.toString(),
      cachedInputCostPer1k: p.usdPer1kCachedInputTokens?.toString() ?? null,
      cacheWriteCostPer1k: p.usdPer1kCacheWriteTokens?.toString() ?? null,
      effectiveFrom: p.effectiveFrom,
    })),
    skipDuplicates: true,
  });
  return result.count;
}

/** Loads every price version from the database into a PriceBook. */
export async function loadPriceBook(db: DbClient): Promise<PriceBook> {
  const rows = await db.modelPrice.findMany();
  const prices: ModelPrice[] = rows.map((r) => ({
    id: r.id,
    model: r.model,
    source: r.source === "builtin" ? "builtin" : "custom",
    origin: r.origin,
    usdPer1kInputTokens: new Decimal(r.inputCostPer1k.toString()),
    usdPer1kOutputTokens: new Decimal(r.outputCostPer1k.toString()),
    usdPer1kCachedInputTokens: r.cachedInputCostPer1k ? new Decimal(r.cachedInputCostPer1k.toString()) : null,
    usdPer1kCacheWriteTokens: r.cacheWriteCostPer1k ? new Decimal(r.cacheWriteCostPer1k.toString()) : null,
    effectiveFrom: r.effectiveFrom,
  }));
  return new PriceBook(prices);
}

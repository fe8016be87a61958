import { computeCost, type ModelPrice, type PriceBook, type TokenCounts } from "@tokenmeter/pricing";
import { pricedModelName, type ServiceSettings } from "./service-settings.js";

/** Token counts as metering stores them (usage_logs columns). */
export interface StoredCounts {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

/** A row's price: the exact cost as NUMERIC(20,10) text, or null (unpriced), and the price version used. */
export interface RowPrice {
  tokenCost: string | null;
  modelPriceId: bigint | null;
  /** The price found, when there was one (null also for rows without tokens). */
  price: ModelPrice | null;
}

/**
 * Prices one call, the single rule shared by metering, reprice and remeter: no tokens → "0" (nothing to
 * bill); tokens and a price effective at `at` for the (aliased) model → its exact cost rounded half-up at the
 * 10th decimal (the column's scale); tokens and no price → null, unpriced.
 */
export function priceUsage(
  counts: StoredCounts,
  model: string | null,
  at: Date,
  book: PriceBook,
  service: ServiceSettings,
): RowPrice {
  if (counts.totalTokens <= 0) return { tokenCost: "0", modelPriceId: null, price: null };
  const price = model ? book.find(pricedModelName(model, service), at) : null;
  if (!price) return { tokenCost: null, modelPriceId: null, price: null };
  // The pricing package's TokenCounts takes the one-hour cache writes as an optional subset.
  const tokens: TokenCounts & { cacheWrite1hTokens: number } = {
    inputTokens: counts.inputTokens,
    cachedInputTokens: counts.cachedInputTokens,
    cacheWriteTokens: counts.cacheWriteTokens,
    cacheWrite1hTokens: counts.cacheWrite1hTokens,
    outputTokens: counts.outputTokens,
    reasoningTokens: counts.reasoningTokens,
  };
  return { tokenCost: computeCost(tokens, price).toFixed(10), modelPriceId: price.id, price };
}

import { PricingError } from "./errors.js";
import { parseUsdRate } from "./rates.js";
import type { PriceTier } from "./types.js";

/**
 * A long-context tier as stored in `model_prices.tiers` (JSONB) and taken by the admin API. A type alias,
 * not an interface, so it is assignable to JSON value types with index signatures (Prisma's).
 */
export type PriceTierJson = {
  above_input_tokens: number;
  input_cost_per_1k: string;
  output_cost_per_1k: string;
  cached_input_cost_per_1k: string | null;
  cache_write_cost_per_1k: string | null;
  cache_write_1h_cost_per_1k: string | null;
};

/** More tiers than any provider uses; bounds what an admin request or a stored row can make us scan. */
const MAX_TIERS = 16;
const KEYS = new Set([
  "above_input_tokens",
  "input_cost_per_1k",
  "output_cost_per_1k",
  "cached_input_cost_per_1k",
  "cache_write_cost_per_1k",
  "cache_write_1h_cost_per_1k",
]);

const invalid = (message: string) => new PricingError("invalid_tiers", message);

function rateField(entry: Record<string, unknown>, key: string, at: string, optional: boolean) {
  const value = entry[key];
  if (value === undefined || value === null) {
    if (optional) return null;
    throw invalid(`${at}.${key} is required`);
  }
  if (typeof value !== "string" && typeof value !== "number") {
    throw invalid(`${at}.${key} must be a decimal string or a number`);
  }
  try {
    return parseUsdRate(value);
  } catch (error) {
    if (error instanceof PricingError) throw invalid(`${at}.${key}: ${error.message}`);
    throw error;
  }
}

/**
 * Validates long-context tiers in their JSON form (null or undefined → none): at most 16, each with a
 * positive integer `above_input_tokens`, strictly ascending, input and output rates and optional cache
 * rates (each checked like any rate), no other keys. Throws `PricingError` "invalid_tiers".
 */
export function parsePriceTiers(value: unknown): PriceTier[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid("tiers must be an array");
  if (value.length > MAX_TIERS) throw invalid(`at most ${MAX_TIERS} tiers`);
  const tiers: PriceTier[] = [];
  value.forEach((raw: unknown, i) => {
    const at = `tiers[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw invalid(`${at} must be an object`);
    const entry = raw as Record<string, unknown>;
    const unknownKey = Object.keys(entry).find((key) => !KEYS.has(key));
    if (unknownKey !== undefined) throw invalid(`${at}.${unknownKey} is not a tier field`);
    const above = entry.above_input_tokens;
    if (typeof above !== "number" || !Number.isSafeInteger(above) || above <= 0) {
      throw invalid(`${at}.above_input_tokens must be a positive integer`);
    }
    const previous = tiers[tiers.length - 1];
    if (previous !== undefined && above <= previous.aboveInputTokens) {
      throw invalid(`${at}.above_input_tokens must be greater than the previous tier's`);
    }
    tiers.push({
      aboveInputTokens: above,
      usdPer1kInputTokens: rateField(entry, "input_cost_per_1k", at, false)!,
      usdPer1kOutputTokens: rateField(entry, "output_cost_per_1k", at, false)!,
      usdPer1kCachedInputTokens: rateField(entry, "cached_input_cost_per_1k", at, true),
      usdPer1kCacheWriteTokens: rateField(entry, "cache_write_cost_per_1k", at, true),
      usdPer1kCacheWrite1hTokens: rateField(entry, "cache_write_1h_cost_per_1k", at, true),
    });
  });
  return tiers;
}

/** Tiers in their JSON form, rates as exact decimal strings; null for none (the column's value). */
export function priceTiersJson(tiers: readonly PriceTier[]): PriceTierJson[] | null {
  if (tiers.length === 0) return null;
  return tiers.map((t) => ({
    above_input_tokens: t.aboveInputTokens,
    input_cost_per_1k: t.usdPer1kInputTokens.toFixed(),
    output_cost_per_1k: t.usdPer1kOutputTokens.toFixed(),
    cached_input_cost_per_1k: t.usdPer1kCachedInputTokens?.toFixed() ?? null,
    cache_write_cost_per_1k: t.usdPer1kCacheWriteTokens?.toFixed() ?? null,
    cache_write_1h_cost_per_1k: t.usdPer1kCacheWrite1hTokens?.toFixed() ?? null,
  }));
}

import type { Decimal } from "decimal.js";

/** Where a price came from: shipped with tokenmeter, or set by the operator. */
export type PriceSource = "builtin" | "custom";

/**
 * Rates that replace the base rates of a price when a call's own input tokens (cached and cache-write
 * tokens included) exceed `aboveInputTokens`: a provider's long-context pricing. A null rate falls back as
 * on the base price, but to this tier's rates (cached and cache write → the tier's input rate, 1-hour
 * cache write → the tier's cache-write rate).
 */
export interface PriceTier {
  /** The tier applies when inputTokens > aboveInputTokens (a positive safe integer). */
  readonly aboveInputTokens: number;
  readonly usdPer1kInputTokens: Decimal;
  readonly usdPer1kOutputTokens: Decimal;
  readonly usdPer1kCachedInputTokens: Decimal | null;
  readonly usdPer1kCacheWriteTokens: Decimal | null;
  readonly usdPer1kCacheWrite1hTokens: Decimal | null;
}

/** One version of a model's price, USD per 1K tokens. */
export interface ModelPrice {
  /** Database id; null for an unsaved builtin. */
  id: bigint | null;
  /** Model name as written by the operator, e.g. "gpt-4" or "claude-3-haiku". */
  model: string;
  source: PriceSource;
  /** Where a builtin came from, e.g. "seed document" or the price database and its date. */
  origin: string | null;
  usdPer1kInputTokens: Decimal;
  usdPer1kOutputTokens: Decimal;
  /** Null falls back to the input rate. */
  usdPer1kCachedInputTokens: Decimal | null;
  /** Null falls back to the input rate. */
  usdPer1kCacheWriteTokens: Decimal | null;
  /** Rate of cache writes kept for one hour (Anthropic); null falls back to the cache-write rate. */
  usdPer1kCacheWrite1hTokens: Decimal | null;
  /** Long-context tiers, ascending by `aboveInputTokens`; empty for a flat price. */
  tiers: readonly PriceTier[];
  effectiveFrom: Date;
}

/**
 * Token counts of one call. `inputTokens` includes cached and cache-write tokens; `cacheWriteTokens`
 * includes `cacheWrite1hTokens`; `outputTokens` includes reasoning tokens. Each is a non-negative safe
 * integer.
 */
export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** Cache writes kept for one hour, a subset of cacheWriteTokens; absent means 0. */
  cacheWrite1hTokens?: number;
  outputTokens: number;
  reasoningTokens: number;
}

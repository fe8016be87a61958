import type { Decimal } from "./decimal.js";

/** Where a price came from: shipped with tokenmeter, or set by the operator. */
export type PriceSource = "builtin" | "custom";

/** One version of a model's price, USD per 1K tokens. */
export interface ModelPrice {
  /** Database id; null for an unsaved builtin. */
  id: bigint | null;
  /** Model name as written by the operator, e.g. "gpt-4" or "claude-3-haiku". */
  model: string;
  source: PriceSource;
  /** Where a builtin came from, e.g. "seed document" or a provider's pricing page. */
  origin: string | null;
  usdPer1kInputTokens: Decimal;
  usdPer1kOutputTokens: Decimal;
  /** Null falls back to the input rate. */
  usdPer1kCachedInputTokens: Decimal | null;
  /** Null falls back to the input rate. */
  usdPer1kCacheWriteTokens: Decimal | null;
  effectiveFrom: Date;
}

/**
 * Token counts of one call. `inputTokens` includes cached and cache-write tokens; `outputTokens` includes
 * reasoning tokens. Each is a non-negative safe integer.
 */
export interface TokenCounts {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

import { Decimal } from "decimal.js";
import type { ModelPrice, PriceTier } from "../src/types.js";

const optional = (value: string | undefined) => (value === undefined ? null : new Decimal(value));

/** A PriceTier for tests; rates as decimal strings. */
export function tier(
  aboveInputTokens: number,
  input: string,
  output: string,
  options: { cached?: string; cacheWrite?: string; cacheWrite1h?: string } = {},
): PriceTier {
  return {
    aboveInputTokens,
    usdPer1kInputTokens: new Decimal(input),
    usdPer1kOutputTokens: new Decimal(output),
    usdPer1kCachedInputTokens: optional(options.cached),
    usdPer1kCacheWriteTokens: optional(options.cacheWrite),
    usdPer1kCacheWrite1hTokens: optional(options.cacheWrite1h),
  };
}

/** A ModelPrice for tests; rates as decimal strings. */
export function price(
  model: string,
  input: string,
  output: string,
  options: {
    source?: "builtin" | "custom";
    from?: string;
    cached?: string;
    cacheWrite?: string;
    cacheWrite1h?: string;
    tiers?: PriceTier[];
    id?: bigint;
  } = {},
): ModelPrice {
  return {
    id: options.id ?? null,
    model,
    source: options.source ?? "custom",
    origin: null,
    usdPer1kInputTokens: new Decimal(input),
    usdPer1kOutputTokens: new Decimal(output),
    usdPer1kCachedInputTokens: optional(options.cached),
    usdPer1kCacheWriteTokens: optional(options.cacheWrite),
    usdPer1kCacheWrite1hTokens: optional(options.cacheWrite1h),
    tiers: options.tiers ?? [],
    effectiveFrom: new Date(options.from ?? "2024-01-01T00:00:00Z"),
  };
}

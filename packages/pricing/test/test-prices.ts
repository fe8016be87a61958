import { Decimal } from "../src/decimal.js";
import type { ModelPrice } from "../src/types.js";

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
    usdPer1kCachedInputTokens: options.cached === undefined ? null : new Decimal(options.cached),
    usdPer1kCacheWriteTokens: options.cacheWrite === undefined ? null : new Decimal(options.cacheWrite),
    effectiveFrom: new Date(options.from ?? "2024-01-01T00:00:00Z"),
  };
}

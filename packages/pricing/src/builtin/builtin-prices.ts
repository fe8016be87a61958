import { parseUsdRate } from "../rates.js";
import type { ModelPrice, PriceTier } from "../types.js";
import type { GeneratedRates, GeneratedTier } from "./generated-model.js";
import { GENERATED_MODELS, GENERATED_SOURCE } from "./generated-prices.js";

/** One version of a price shipped with tokenmeter, USD per 1K tokens as exact decimal strings. */
export interface BuiltinPrice {
  /** Normalised model name the price applies to. */
  readonly model: string;
  /** Price database provider id ("openai", "aws" …), or "seed". */
  readonly provider: string;
  readonly usdPer1kInputTokens: string;
  readonly usdPer1kOutputTokens: string;
  /** Cached (cache-read) input rate; absent → the input rate. */
  readonly cached?: string;
  /** Cache-write input rate; absent → the input rate. */
  readonly cacheWrite?: string;
  /** One-hour cache-write rate; absent → the cache-write rate. */
  readonly cacheWrite1h?: string;
  /** Long-context tiers, ascending. */
  readonly tiers: readonly GeneratedTier[];
  /** ISO date-time the version takes effect. */
  readonly effectiveFrom: string;
  readonly origin: string;
}

/** The price database release the generated part of the table came from. */
export const BUILTIN_PRICES_SOURCE = GENERATED_SOURCE;

const cacheRates = (r: GeneratedRates) => ({
  ...(r.cached === undefined ? {} : { cached: r.cached }),
  ...(r.cacheWrite === undefined ? {} : { cacheWrite: r.cacheWrite }),
  ...(r.cacheWrite1h === undefined ? {} : { cacheWrite1h: r.cacheWrite1h }),
});

/**
 * Every built-in price version, one per (name, version) of the generated table: the seed document's eight
 * models and current models of the major providers from the pinned price database (see README).
 */
export const BUILTIN_PRICES: readonly BuiltinPrice[] = Object.freeze(
  GENERATED_MODELS.flatMap((m) =>
    m.names.flatMap((model) =>
      m.versions.map(
        (v): BuiltinPrice =>
          Object.freeze({
            model,
            provider: m.provider,
            usdPer1kInputTokens: v.input,
            usdPer1kOutputTokens: v.output,
            ...cacheRates(v),
            tiers: Object.freeze(v.tiers ?? []),
            effectiveFrom: v.from,
            origin: m.origin,
          }),
      ),
    ),
  ),
);

const optionalRate = (value: string | undefined) => (value === undefined ? null : parseUsdRate(value));

function tier(t: GeneratedTier): PriceTier {
  return {
    aboveInputTokens: t.above,
    usdPer1kInputTokens: parseUsdRate(t.input),
    usdPer1kOutputTokens: parseUsdRate(t.output),
    usdPer1kCachedInputTokens: optionalRate(t.cached),
    usdPer1kCacheWriteTokens: optionalRate(t.cacheWrite),
    usdPer1kCacheWrite1hTokens: optionalRate(t.cacheWrite1h),
  };
}

/** BUILTIN_PRICES as fresh ModelPrice objects (id null, source "builtin"). */
export function builtinModelPrices(): ModelPrice[] {
  return BUILTIN_PRICES.map((b) => ({
    id: null,
    model: b.model,
    source: "builtin",
    origin: b.origin,
    usdPer1kInputTokens: parseUsdRate(b.usdPer1kInputTokens),
    usdPer1kOutputTokens: parseUsdRate(b.usdPer1kOutputTokens),
    usdPer1kCachedInputTokens: optionalRate(b.cached),
    usdPer1kCacheWriteTokens: optionalRate(b.cacheWrite),
    usdPer1kCacheWrite1hTokens: optionalRate(b.cacheWrite1h),
    tiers: b.tiers.map(tier),
    effectiveFrom: new Date(b.effectiveFrom),
  }));
}

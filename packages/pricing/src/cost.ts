import { Decimal } from "decimal.js";
import { PricingError } from "./errors.js";
import type { ModelPrice, PriceTier, TokenCounts } from "./types.js";

/**
 * Private constructor for intermediate sums. Multiplication and addition are exact up to `precision`
 * significant digits, so the maximum keeps every product exact; no division is ever done with it.
 */
const Exact = Decimal.clone({ precision: 1e9 });
const PER_TOKEN = new Exact("0.001");

type CountField =
  | "inputTokens"
  | "cachedInputTokens"
  | "cacheWriteTokens"
  | "outputTokens"
  | "reasoningTokens";

function tokenCount(tokens: TokenCounts, field: CountField | "cacheWrite1hTokens"): Decimal {
  const n = field === "cacheWrite1hTokens" ? (tokens.cacheWrite1hTokens ?? 0) : tokens[field];
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new PricingError(
      "invalid_token_count",
      `${field} must be a non-negative integer, got ${String(n)}`,
    );
  }
  return new Exact(n);
}

// Rates read once per rate object: a price book's Decimals are immutable and shared by every call it prices.
const readRates = new WeakMap<object, Decimal>();

/** Reads a rate through its string form, so Decimals from other decimal.js copies (e.g. Prisma's) work. */
function rate(value: Decimal, field: string): Decimal {
  const known = typeof value === "object" && value !== null ? readRates.get(value) : undefined;
  if (known !== undefined) return known;
  const r = readRate(value, field);
  if (typeof value === "object" && value !== null) readRates.set(value, r);
  return r;
}

function readRate(value: Decimal, field: string): Decimal {
  let r: Decimal;
  try {
    r = new Exact(value.toString());
  } catch {
    throw new PricingError("invalid_rate", `${field} is not a decimal`);
  }
  if (!r.isFinite() || r.isNegative()) {
    throw new PricingError("invalid_rate", `${field} must be finite and non-negative`);
  }
  return r;
}

type Rates = Pick<
  PriceTier,
  | "usdPer1kInputTokens"
  | "usdPer1kOutputTokens"
  | "usdPer1kCachedInputTokens"
  | "usdPer1kCacheWriteTokens"
  | "usdPer1kCacheWrite1hTokens"
>;

/** The tier with the highest threshold below `input`, or the base price when no tier applies. */
function ratesFor(price: ModelPrice, input: number): { rates: Rates; where: string } {
  let chosen: PriceTier | null = null;
  for (const tier of price.tiers ?? []) {
    const above = tier.aboveInputTokens;
    if (!Number.isSafeInteger(above) || above < 0) {
      throw new PricingError("invalid_rate", `tier aboveInputTokens must be a non-negative integer`);
    }
    if (input > above && (chosen === null || above > chosen.aboveInputTokens)) chosen = tier;
  }
  return chosen === null
    ? { rates: price, where: "" }
    : { rates: chosen, where: `tiers[>${chosen.aboveInputTokens}].` };
}

/**
 * Exact USD cost of one call at `price`, never rounded. The rates are the base price's, or those of the
 * long-context tier chosen by the call's own `inputTokens` (a tier applies above its threshold, not at
 * it). Uncached input (input − cached − cache write, at least 0) at the input rate, cached tokens at the
 * cached rate, 5-minute cache writes at the cache-write rate and 1-hour writes (a subset of cache writes,
 * capped at them) at the 1-hour rate, output (reasoning included) at the output rate; the sum divided by
 * 1000. Null rates fall back: cached and cache write → input; 1-hour cache write → cache write.
 */
export function computeCost(tokens: TokenCounts, price: ModelPrice): Decimal {
  const input = tokenCount(tokens, "inputTokens");
  const cached = tokenCount(tokens, "cachedInputTokens");
  const cacheWrite = tokenCount(tokens, "cacheWriteTokens");
  const cacheWrite1h = Exact.min(tokenCount(tokens, "cacheWrite1hTokens"), cacheWrite);
  const output = tokenCount(tokens, "outputTokens");
  tokenCount(tokens, "reasoningTokens"); // validated only: already counted in outputTokens

  const { rates, where } = ratesFor(price, tokens.inputTokens);
  const inputRate = rate(rates.usdPer1kInputTokens, `${where}usdPer1kInputTokens`);
  const outputRate = rate(rates.usdPer1kOutputTokens, `${where}usdPer1kOutputTokens`);
  const cachedRate =
    rates.usdPer1kCachedInputTokens == null
      ? inputRate
      : rate(rates.usdPer1kCachedInputTokens, `${where}usdPer1kCachedInputTokens`);
  const cacheWriteRate =
    rates.usdPer1kCacheWriteTokens == null
      ? inputRate
      : rate(rates.usdPer1kCacheWriteTokens, `${where}usdPer1kCacheWriteTokens`);
  const cacheWrite1hRate =
    rates.usdPer1kCacheWrite1hTokens == null
      ? cacheWriteRate
      : rate(rates.usdPer1kCacheWrite1hTokens, `${where}usdPer1kCacheWrite1hTokens`);

  const uncached = Exact.max(0, input.minus(cached).minus(cacheWrite));
  const total = uncached
    .times(inputRate)
    .plus(cached.times(cachedRate))
    .plus(cacheWrite.minus(cacheWrite1h).times(cacheWriteRate))
    .plus(cacheWrite1h.times(cacheWrite1hRate))
    .plus(output.times(outputRate))
    .times(PER_TOKEN);
  // The Decimal constructor copies digits without rounding; callers get the default configuration back.
  return new Decimal(total);
}

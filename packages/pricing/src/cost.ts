import { Decimal } from "./decimal.js";
import { PricingError } from "./errors.js";
import type { ModelPrice, TokenCounts } from "./types.js";

/**
 * Private constructor for intermediate sums. Multiplication and addition are exact up to `precision`
 * significant digits, so the maximum keeps every product exact; no division is ever done with it.
 */
const Exact = Decimal.clone({ precision: 1e9 });
const PER_TOKEN = new Exact("0.001");

function tokenCount(tokens: TokenCounts, field: keyof TokenCounts): Decimal {
  const n = tokens[field];
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new PricingError(
      "invalid_token_count",
      `${field} must be a non-negative integer, got ${String(n)}`,
    );
  }
  return new Exact(n);
}

/** Reads a rate through its string form, so Decimals from other decimal.js copies (e.g. Prisma's) work. */
function rate(value: Decimal, field: string): Decimal {
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

/**
 * Exact USD cost of one call at `price`, never rounded: uncached input (input − cached − cache write,
 * at least 0) at the input rate, cached and cache-write tokens at their rates (falling back to the input
 * rate when null), output (reasoning included) at the output rate; the sum divided by 1000.
 */
export function computeCost(tokens: TokenCounts, price: ModelPrice): Decimal {
  const input = tokenCount(tokens, "inputTokens");
  const cached = tokenCount(tokens, "cachedInputTokens");
  const cacheWrite = tokenCount(tokens, "cacheWriteTokens");
  const output = tokenCount(tokens, "outputTokens");
  tokenCount(tokens, "reasoningTokens"); // validated only: already counted in outputTokens

  const inputRate = rate(price.usdPer1kInputTokens, "usdPer1kInputTokens");
  const outputRate = rate(price.usdPer1kOutputTokens, "usdPer1kOutputTokens");
  const cachedRate =
    price.usdPer1kCachedInputTokens == null
      ? inputRate
      : rate(price.usdPer1kCachedInputTokens, "usdPer1kCachedInputTokens");
  const cacheWriteRate =
    price.usdPer1kCacheWriteTokens == null
      ? inputRate
      : rate(price.usdPer1kCacheWriteTokens, "usdPer1kCacheWriteTokens");

  const uncached = Exact.max(0, input.minus(cached).minus(cacheWrite));
  const total = uncached
    .times(inputRate)
    .plus(cached.times(cachedRate))
    .plus(cacheWrite.times(cacheWriteRate))
    .plus(output.times(outputRate))
    .times(PER_TOKEN);
  // The Decimal constructor copies digits without rounding; callers get the default configuration back.
  return new Decimal(total);
}

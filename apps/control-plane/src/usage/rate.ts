import {
  type Decimal,
  normaliseModelName,
  type PriceTierJson,
  PricingError,
  parsePriceTiers,
  parseUsdRate,
  priceTiersJson,
} from "@tokenmeter/pricing";
import { z } from "zod";

/**
 * A USD-per-1K-token rate from an admin request, validated by @tokenmeter/pricing's `parseUsdRate` so the
 * admin API accepts exactly what the price book accepts (decimal text or a number, 0..1000, at most 10
 * decimal places, never float maths). Any failure is a 400 `invalid_rate`.
 */
export const rateSchema = z.unknown().transform((value, ctx): Decimal => {
  let message = "must be a decimal string or a number";
  if (typeof value === "string" || typeof value === "number") {
    try {
      return parseUsdRate(value);
    } catch (error) {
      if (!(error instanceof PricingError)) throw error;
      message = error.message;
    }
  }
  ctx.addIssue({ code: "custom", message, params: { code: "invalid_rate" } });
  return z.NEVER;
});

/**
 * Long-context tiers from an admin request, validated by @tokenmeter/pricing's `parsePriceTiers` (ascending
 * `above_input_tokens`, rates checked like any rate) and turned into their stored JSON form with exact
 * decimal strings. Any failure is a 400 `invalid_tiers`.
 */
export const tiersSchema = z.unknown().transform((value, ctx): PriceTierJson[] | null => {
  try {
    return priceTiersJson(parsePriceTiers(value));
  } catch (error) {
    if (!(error instanceof PricingError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message, params: { code: "invalid_tiers" } });
    return z.NEVER;
  }
});

/**
 * A model name as stored in model_prices: the pricing package's canonical form (lower-case, provider
 * prefixes such as "openai/" removed), so a custom price and the builtin one for the same model line up.
 */
export const modelNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^\p{Cc}]*$/u, "must not contain control characters")
  .transform(normaliseModelName)
  .refine((name) => name.length > 0, "is empty once provider prefixes are removed");
